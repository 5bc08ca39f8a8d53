import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BENCH_NOOP_PATH, BENCH_OUTPUTS, benchMode, HOLLOW_ENTRIES } from '../../../lib/constructs/bench';
import { SERVICES, handlerEntry } from '../../../lambdas/services/registry';
import { freshApp } from '../synth';

const functionsNamed = (template: ReturnType<ReturnType<typeof freshApp>['template']>, service: string) =>
  Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } } }));

describe('bench fixtures (-c bench=true)', () => {
  it('are absent without the flag', () => {
    const template = freshApp('local').template();
    expect(functionsNamed(template, 'bench-noop')).toHaveLength(0);
    expect(functionsNamed(template, 'bench-reference')).toHaveLength(0);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain(BENCH_OUTPUTS.noopPath);
  });

  it('add the no-op route on the same API and the Powertools reference worker on its own queue, subscribed like shipping', () => {
    const template = freshApp('local', { bench: 'true' }).template();
    expect(functionsNamed(template, 'bench-noop')).toHaveLength(1);
    expect(functionsNamed(template, 'bench-reference')).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `POST ${BENCH_NOOP_PATH}` });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      FilterPolicy: { eventType: ['OrderConfirmed'] },
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BenchReferenceQueue'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(Object.values(BENCH_OUTPUTS)));
  });

  it('are refused outside the local stage', () => {
    expect(() => freshApp('dev', { bench: 'true' })).toThrow(/local stage only/);
  });

  it('read the flag: true for the fixtures, hollow for the hollow stack, anything else off', () => {
    expect([true, 'true', 'hollow', undefined, 'false', 'yes'].map(benchMode)).toEqual(['fixtures', 'fixtures', 'hollow', 'off', 'off', 'off']);
  });
});

/** Every leaf path where two JSON values differ, as `a.b.c`. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Object.is(a, b) ? [] : [path];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
}

describe('the hollow stack (-c bench=hollow)', () => {
  const fixtures = freshApp('local', { bench: 'true' }).template().toJSON();
  const hollow = freshApp('local', { bench: 'hollow' }).template().toJSON();
  const resources = hollow.Resources as Record<
    string,
    { Type: string; Properties?: { Description?: string; Environment?: { Variables?: Record<string, string> } } }
  >;
  const roleDescription = (id: string) => String(resources[id]?.Properties?.Description);

  it('is the same template as the fixtures stack but for the code of POST /orders and of the six workers', () => {
    const diff = differences(fixtures, hollow);
    const changed = (suffix: string) => diff.filter((p) => p.endsWith(suffix)).map((p) => p.split('.')[1]!);
    const code = changed('.Properties.Code.S3Key');
    // Each function's role names its entry (lib/constructs/pipeline-function.ts).
    const roles = changed('.Properties.Description');
    expect(diff.sort()).toEqual(
      [
        ...code.map((id) => `Resources.${id}.Properties.Code.S3Key`),
        ...roles.map((id) => `Resources.${id}.Properties.Description`),
        `Outputs.${BENCH_OUTPUTS.mode}.Value`,
      ].sort(),
    );
    const serviceOf = (id: string) => resources[id]?.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    expect(code.map(serviceOf).sort()).toEqual(['orders-api', ...SERVICES.map((s) => s.name)].sort());
    expect(resources[code.find((id) => serviceOf(id) === 'orders-api')!]).toMatchObject({
      Properties: { Description: expect.stringMatching(/^POST \/orders/) },
    });
    expect(roles.map((id) => resources[id]!.Type)).toEqual(roles.map(() => 'AWS::IAM::Role'));
    expect(roles.map(roleDescription).sort()).toEqual(
      [`orders-api: ${HOLLOW_ENTRIES.postOrder}`, ...SERVICES.map((s) => `${s.name}: ${HOLLOW_ENTRIES.worker}`)].sort(),
    );
    expect(Object.values(fixtures.Resources as Record<string, { Properties?: { Description?: string } }>).map((r) => r.Properties?.Description)).toEqual(
      expect.arrayContaining(['orders-api: lambdas/api/post-order.ts', ...SERVICES.map((s) => `${s.name}: ${handlerEntry(s.name)}`)]),
    );
    expect(hollow.Outputs[BENCH_OUTPUTS.mode].Value).toBe('hollow');
    expect(fixtures.Outputs[BENCH_OUTPUTS.mode].Value).toBe('fixtures');
  });

  it('is refused outside the local stage', () => {
    expect(() => freshApp('dev', { bench: 'hollow' })).toThrow(/local stage only/);
  });
});
