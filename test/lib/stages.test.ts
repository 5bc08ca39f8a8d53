/**
 * lib/stages.ts: stage selection and the CDK context overrides. The numbers each stage promises are checked against
 * the synthesized template in stage-numbers.test.ts; what is checked here has no number in that table (auth, KMS,
 * tracing, MFA, the demo catalog) or is the rule that derives one (6x visibility, the idempotency record's TTL).
 * Expected values are typed in from the docs (README "Stages", docs/stage-numbers.md, SECURITY.md), never read back.
 */
import { describe, expect, it } from 'vitest';
import { stackName } from '../../lib/pipeline-stack';
import { COGNITO_ACCESS_SCOPE, idempotencyTtlSeconds, STAGES, stageConfig, visibilityTimeoutSeconds, withContext } from '../../lib/stages';

const ctx = (c: Record<string, unknown>) => (k: string) => c[k];

describe('stage selection', () => {
  it('defaults to dev and rejects unknown stages, naming the ones there are', () => {
    expect(stackName(stageConfig(undefined))).toBe('OrderPipeline-dev');
    expect(stageConfig('prod').name).toBe('prod');
    expect(() => stageConfig('staging')).toThrow('unknown stage "staging": use one of local, dev, prod');
  });

  it('AWS stages require a JWT (own Cognito pool by default, MFA in prod); local is off', () => {
    expect(COGNITO_ACCESS_SCOPE).toBe('aws.cognito.signin.user.admin');
    expect(STAGES.dev.auth).toEqual({ mode: 'jwt', createCognito: true, scope: 'aws.cognito.signin.user.admin' });
    expect(STAGES.prod.auth).toEqual({ mode: 'jwt', createCognito: true, scope: 'aws.cognito.signin.user.admin', requireMfa: true });
    expect(STAGES.local.auth).toEqual({ mode: 'off' });
  });

  it('events at rest: a customer-managed key in prod, SSE-SQS elsewhere; X-Ray on AWS, off on the emulator', () => {
    expect(Object.fromEntries(Object.values(STAGES).map((s) => [s.name, [s.kms, s.tracing]]))).toEqual({
      local: ['sqs-managed', false],
      dev: ['sqs-managed', true],
      prod: ['customer-managed', true],
    });
  });

  it('the demo catalog is seeded in local and dev, never in prod; personal data kept 1 day locally, 90 days on AWS', () => {
    expect(Object.fromEntries(Object.values(STAGES).map((s) => [s.name, [s.seedDemoCatalog, s.personalDataRetentionDays]]))).toEqual({
      local: [true, 1],
      dev: [true, 90],
      prod: [false, 90],
    });
  });
});

describe('derived numbers', () => {
  const withNumbers = (timeoutSeconds: number, retentionDays: number, dlqRetentionDays: number, redriveGraceDays: number) => ({
    ...STAGES.dev,
    worker: { ...STAGES.dev.worker, timeoutSeconds },
    queue: { retentionDays, dlqRetentionDays, redriveGraceDays },
  });

  it('visibility timeout is 6x the worker timeout (AWS guidance for an SQS event source)', () => {
    expect(visibilityTimeoutSeconds(withNumbers(7, 1, 1, 1))).toBe(42);
  });

  it('an idempotency record outlives every copy of its message: queue + DLQ retention + redrive grace, in seconds', () => {
    expect(idempotencyTtlSeconds(withNumbers(1, 2, 3, 4))).toBe(9 * 86_400);
  });
});

describe('context overrides', () => {
  it('no context changes nothing', () => {
    for (const s of Object.values(STAGES)) expect(withContext(s, ctx({}))).toEqual(s);
  });

  it('an empty or null value counts as unset', () => {
    expect(withContext(STAGES.local, ctx({ auth: '', kms: null, jwtScope: '' }))).toEqual(STAGES.local);
  });

  it('an issuer replaces the Cognito pool: its own scope and MFA policy, no pool of ours', () => {
    expect(withContext(STAGES.prod, ctx({ jwtIssuer: 'https://i.example', jwtAudience: 'aud', jwtScope: 'orders' })).auth).toEqual({
      mode: 'jwt',
      issuer: 'https://i.example',
      audience: 'aud',
      scope: 'orders',
      createCognito: false,
    });
    expect(
      withContext(STAGES.local, ctx({ auth: 'jwt', jwtIssuer: 'http://127.0.0.1:1', jwtAudience: 'a', jwksUrl: 'http://127.0.0.1:1/jwks.json', jwtScope: 's' }))
        .auth,
    ).toEqual({ mode: 'jwt', issuer: 'http://127.0.0.1:1', audience: 'a', jwksUrl: 'http://127.0.0.1:1/jwks.json', scope: 's', createCognito: false });
  });

  it('a scope or OAuth callbacks alone keep the Cognito pool; callbacks are split on commas and trimmed', () => {
    expect(withContext(STAGES.dev, ctx({ jwtScope: 'orders/write', oauthCallbackUrls: ' https://a.example/cb , ,https://b.example/cb' })).auth).toEqual({
      mode: 'jwt',
      createCognito: true,
      scope: 'orders/write',
      oauthCallbackUrls: ['https://a.example/cb', 'https://b.example/cb'],
    });
  });

  it('auth=jwt on the local stage needs an issuer, an audience and a scope', () => {
    expect(() => withContext(STAGES.local, ctx({ auth: 'jwt' }))).toThrow(
      "stage local: auth=jwt needs -c jwtIssuer=... and -c jwtAudience=... (or the stack's own Cognito pool)",
    );
    expect(() => withContext(STAGES.prod, ctx({ jwtIssuer: 'https://i.example', jwtScope: 's' }))).toThrow(/jwtAudience/);
    expect(() => withContext(STAGES.prod, ctx({ jwtIssuer: 'https://i.example', jwtAudience: 'aud' }))).toThrow(
      'stage prod: auth=jwt with an external issuer needs -c jwtScope=...',
    );
  });

  it('auth=off only for local; unknown values are refused with the accepted ones', () => {
    expect(withContext(STAGES.local, ctx({ auth: 'off' })).auth).toEqual({ mode: 'off' });
    expect(() => withContext(STAGES.prod, ctx({ auth: 'off' }))).toThrow(
      '-c auth=off is refused for stage prod: only the local stage may run without authentication',
    );
    expect(() => withContext(STAGES.dev, ctx({ auth: 'off' }))).toThrow(/refused for stage dev/);
    expect(() => withContext(STAGES.local, ctx({ auth: 'maybe' }))).toThrow('-c auth=maybe: use jwt or off');
  });

  it('https outside the local stage, for the issuer, the JWKS and OAuth callbacks', () => {
    expect(() => withContext(STAGES.prod, ctx({ jwtIssuer: 'http://i.example', jwtAudience: 'aud', jwtScope: 's' }))).toThrow(
      '-c jwtIssuer=http://i.example: must be an https:// URL outside the local stage',
    );
    expect(() => withContext(STAGES.dev, ctx({ jwtIssuer: 'https://i.example', jwtAudience: 'aud', jwtScope: 's', jwksUrl: 'http://i.example/keys' }))).toThrow(
      '-c jwksUrl=http://i.example/keys',
    );
    expect(() => withContext(STAGES.dev, ctx({ oauthCallbackUrls: 'https://ok.example/cb,http://shop.example.org/cb' }))).toThrow(
      '-c oauthCallbackUrls=http://shop.example.org/cb',
    );
    expect(withContext(STAGES.local, ctx({ oauthCallbackUrls: 'http://127.0.0.1:3000/cb' })).auth.oauthCallbackUrls).toEqual(['http://127.0.0.1:3000/cb']);
  });

  it('kms: either mode may be chosen for any stage; anything else is refused', () => {
    expect(withContext(STAGES.local, ctx({ kms: 'customer-managed' })).kms).toBe('customer-managed');
    expect(withContext(STAGES.prod, ctx({ kms: 'sqs-managed' })).kms).toBe('sqs-managed');
    expect(() => withContext(STAGES.local, ctx({ kms: 'aws' }))).toThrow('-c kms=aws: use customer-managed or sqs-managed');
  });
});
