/**
 * The handlers' own token checks (AUTH_MODE=jwt) against an issuer the test owns (JWKS on 127.0.0.1; a second JWKS
 * holds a key per accepted algorithm, for the algorithm and jose-error cases), and what POST / GET do with the caller:
 * 401 before anything else, customerId = sub (403 if the body says otherwise), Idempotency-Key scoped to the sub,
 * another caller's order is a 404 like an unknown one.
 */
import { BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type JWK, type SignOptions } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bodyOf, checked, configWith, ddbMock, httpEvent, postEvent, storeHolds, validOrder } from './fixtures';
import { bearer, serveLocally, TEST_AUDIENCE, TEST_SCOPE, TestIssuer } from '../../integration/support/auth';
import { audienceMatches, authenticate, authSettings, bearerToken, MAX_TOKEN_LENGTH, type AuthSettings } from '../../../lambdas/api/auth';
import { createHandler as createPostOrder } from '../../../lambdas/api/post-order';
import { createHandler as createGetOrder } from '../../../lambdas/api/get-order';
import { apiIdempotencyKey } from '../../../lambdas/adapters/keys';
import { logger } from '../../../lambdas/adapters/logger';

const ID = '3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f';
let issuer: Awaited<ReturnType<typeof TestIssuer.start>>;
/** AUTH_MODE=jwt against the test's issuer, as an AWS stage runs. */
let settings: AuthSettings;
let postOrder: ReturnType<typeof checked>;
let getOrder: ReturnType<typeof checked>;

beforeAll(async () => {
  issuer = await TestIssuer.start();
  settings = authSettings({ STAGE: 'dev', ...issuer.env() });
  postOrder = checked('placeOrder', createPostOrder(configWith(issuer.env())));
  getOrder = checked('getOrder', createGetOrder(configWith(issuer.env())));
});
afterAll(() => issuer.stop());
beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
  storeHolds();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const transactions = () => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
const withoutCustomer = () => {
  const { customerId: _c, ...rest } = validOrder();
  return rest;
};

describe('authSettings', () => {
  it('local stage: off when unset or off; jwt needs issuer, audience, JWKS URL and scope; anything else fails closed', () => {
    const local = { STAGE: 'local' };
    expect(authSettings(local)).toEqual({ mode: 'off' });
    expect(authSettings({ ...local, AUTH_MODE: 'off' })).toEqual({ mode: 'off' });
    expect(authSettings({ ...local, ...issuer.env() })).toEqual({
      mode: 'jwt',
      issuer: issuer.issuer,
      audience: TEST_AUDIENCE,
      jwksUrl: issuer.jwksUrl,
      scope: TEST_SCOPE,
    });
    expect(() => authSettings({ ...local, AUTH_MODE: 'jwt', JWT_ISSUER: 'x', JWT_AUDIENCE: 'y', JWT_SCOPE: 's' })).toThrow(/JWKS_URL/);
    expect(() => authSettings({ ...local, AUTH_MODE: 'jwt', JWT_ISSUER: 'x', JWT_AUDIENCE: 'y', JWKS_URL: 'z' })).toThrow(/JWT_SCOPE/);
    for (const mode of ['JWT', 'on', 'true', '']) expect(() => authSettings({ ...local, AUTH_MODE: mode })).toThrow(/jwt or off/);
  });

  it('jwt: any one of the four variables missing or empty fails, naming all four', () => {
    const full: Record<string, string> = { STAGE: 'dev', ...issuer.env() };
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWKS_URL', 'JWT_SCOPE']) {
      const { [name]: _gone, ...missing } = full;
      for (const env of [missing, { ...full, [name]: '' }])
        expect(() => authSettings(env)).toThrow('AUTH_MODE=jwt needs JWT_ISSUER, JWT_AUDIENCE, JWKS_URL and JWT_SCOPE');
    }
  });

  it.each([['dev'], ['prod'], [undefined]])('stage %s: a missing AUTH_MODE or off fails closed; jwt works', (stage) => {
    const env = stage ? { STAGE: stage } : {};
    expect(() => authSettings(env)).toThrow(/not set/);
    expect(() => authSettings({ ...env, AUTH_MODE: 'off' })).toThrow(/refused outside the local stage/);
    expect(authSettings({ ...env, ...issuer.env() }).mode).toBe('jwt');
  });
});

describe('authenticate', () => {
  const auth = (headers: Record<string, string>) => authenticate({ headers }, settings);

  it('a valid token: the caller is its sub', async () => {
    expect(await auth(bearer(await issuer.token({ sub: 'cust-42' })))).toEqual({ kind: 'caller', sub: 'cust-42' });
    // Scheme case-insensitive; header name in any case (an emulator may keep the client's case).
    expect(await auth({ Authorization: `bearer ${await issuer.token()}` })).toEqual({ kind: 'caller', sub: 'customer-a' });
    // A Cognito access token: token_use=access, client_id instead of aud, the scope in `scope`; or `scp` as a list.
    const cognito = await issuer.token({ sub: 'cust-43', claims: { token_use: 'access', client_id: TEST_AUDIENCE } });
    expect(await auth(bearer(cognito))).toEqual({ kind: 'caller', sub: 'cust-43' });
    expect(await auth(bearer(await issuer.token({ omitScope: true, claims: { scp: ['x', TEST_SCOPE] } })))).toMatchObject({ kind: 'caller' });
  });

  it.each([
    ['no header', {}, 'MISSING_TOKEN', undefined],
    ['an empty header', { authorization: '' }, 'MISSING_TOKEN', undefined],
    ['a blank header', { authorization: ' \t ' }, 'MISSING_TOKEN', undefined],
    ['Basic credentials', { authorization: 'Basic dXNlcjpwYXNz' }, 'INVALID_TOKEN', 'NOT_A_BEARER_TOKEN'],
    ['Bearer without a token', { authorization: 'Bearer ' }, 'INVALID_TOKEN', 'NOT_A_BEARER_TOKEN'],
    ['garbage', { authorization: 'Bearer not.a.jwt' }, 'INVALID_TOKEN', 'ERR_JWS_INVALID'],
    ['an oversized header', { authorization: `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH)}` }, 'INVALID_TOKEN', 'TOKEN_TOO_LONG'],
  ])('refuses %s', async (_name, headers, reason, code) => {
    expect(await auth(headers)).toEqual({ kind: 'refused', reason, code });
  });

  it('a header of MAX_TOKEN_LENGTH characters is read; one more is TOKEN_TOO_LONG, unparsed', async () => {
    const token = await issuer.token();
    // Padded with spaces after "Bearer" (allowed), so the header as sent has exactly the length.
    const sized = (length: number) => ({ authorization: `Bearer${' '.repeat(length - 'Bearer'.length - token.length)}${token}` });
    expect(sized(MAX_TOKEN_LENGTH).authorization).toHaveLength(MAX_TOKEN_LENGTH);
    expect(await auth(sized(MAX_TOKEN_LENGTH))).toEqual({ kind: 'caller', sub: 'customer-a' });
    expect(await auth(sized(MAX_TOKEN_LENGTH + 1))).toEqual({ kind: 'refused', reason: 'INVALID_TOKEN', code: 'TOKEN_TOO_LONG' });
  });

  it('scope: space-separated, extra spaces ignored, a scope matches only whole', async () => {
    const withScope = async (scope: string) => auth(bearer(await issuer.token({ omitScope: true, claims: { scope } })));
    expect(await withScope(`  openid   ${TEST_SCOPE}  `)).toMatchObject({ kind: 'caller' });
    expect(await withScope(`${TEST_SCOPE}x ${TEST_SCOPE.slice(0, -1)}`)).toMatchObject({ code: 'MISSING_SCOPE' });
  });

  it.each([
    ['a bad signature', { foreignKey: true }, 'INVALID_TOKEN', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['an expired token', { expiresIn: -60 }, 'EXPIRED_TOKEN', 'ERR_JWT_EXPIRED'],
    ['another issuer', { issuer: 'https://evil.example' }, 'INVALID_TOKEN', 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['another audience', { audience: 'someone-else' }, 'INVALID_TOKEN', 'WRONG_AUDIENCE'],
    ['no exp', { omitExp: true }, 'INVALID_TOKEN', 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['an empty sub', { sub: '' }, 'INVALID_TOKEN', undefined],
    ['an oversized sub', { sub: 'x'.repeat(129) }, 'INVALID_TOKEN', 'BAD_SUBJECT'],
    ['a Cognito ID token (token_use=id)', { claims: { token_use: 'id' } }, 'INVALID_TOKEN', 'NOT_AN_ACCESS_TOKEN'],
    ['a token without the required scope', { omitScope: true }, 'INVALID_TOKEN', 'MISSING_SCOPE'],
    ['a token with other scopes only', { omitScope: true, claims: { scope: 'orders/read openid' } }, 'INVALID_TOKEN', 'MISSING_SCOPE'],
  ] as const)('refuses %s', async (_name, options, reason, code) => {
    const result = await auth(bearer(await issuer.token(options)));
    expect(result).toMatchObject({ kind: 'refused', reason });
    if (code) expect(result).toMatchObject({ code });
  });

  it('tolerates a few seconds of clock skew, not more', async () => {
    expect(await auth(bearer(await issuer.token({ expiresIn: -3 })))).toMatchObject({ kind: 'caller' });
    expect(await auth(bearer(await issuer.token({ expiresIn: -10 })))).toMatchObject({ kind: 'refused', reason: 'EXPIRED_TOKEN' });
  });

  it('refuses an unsigned (alg none) token even with the right claims', async () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: issuer.issuer, aud: TEST_AUDIENCE, sub: 'x', exp: now + 60 })}.`;
    expect(await auth(bearer(unsigned))).toEqual({ kind: 'refused', reason: 'INVALID_TOKEN', code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });

  it('accepts an access token without aud whose client_id is the audience (as API Gateway does)', async () => {
    const token = await issuer.token({ claims: { client_id: TEST_AUDIENCE, token_use: 'access' } });
    expect(await auth(bearer(token))).toEqual({ kind: 'caller', sub: 'customer-a' });
    expect(audienceMatches({ client_id: 'other' }, TEST_AUDIENCE)).toBe(false);
    expect(audienceMatches({ aud: ['a', TEST_AUDIENCE] }, TEST_AUDIENCE)).toBe(true);
    expect(audienceMatches({ aud: 'a', client_id: TEST_AUDIENCE }, TEST_AUDIENCE)).toBe(false);
  });

  it('fetches the JWKS once per container, not per request', async () => {
    const before = issuer.stats.fetches;
    for (let i = 0; i < 3; i++) await auth(bearer(await issuer.token()));
    expect(issuer.stats.fetches - before).toBeLessThanOrEqual(1);
  });

  it('off: everyone is anonymous, a token is not even looked at', async () => {
    expect(await authenticate({ headers: {} }, { mode: 'off' })).toEqual({ kind: 'anonymous' });
  });

  it("a JWKS that cannot be reached is our fault (throws: 500), not the caller's", async () => {
    await expect(authenticate({ headers: bearer(await issuer.token()) }, { ...settings, jwksUrl: 'http://127.0.0.1:1/jwks.json' })).rejects.toThrow();
  });

  it('bearerToken', () => {
    expect(bearerToken({ headers: { authorization: 'Bearer abc' } })).toBe('abc');
    expect(bearerToken({ headers: { authorization: 'Bearer a b' } })).toBeUndefined();
    expect(bearerToken({ headers: {} })).toBeUndefined();
  });

  it('bearerToken: "Bearer" first, then one or more spaces and one token; surrounding whitespace is trimmed', () => {
    const of = (authorization: string) => bearerToken({ headers: { authorization } });
    expect(of('Bearer    abc')).toBe('abc');
    expect(of(' \tBearer abc \t ')).toBe('abc');
    for (const value of ['Basic Bearer abc', 'xBearer abc', 'Bearer\tabc', 'Bearerabc']) expect(of(value)).toBeUndefined();
  });
});

/** A JSON answer to every request on 127.0.0.1; `answer` undefined: it never answers. */
const serve = (answer?: unknown) =>
  serveLocally((_req, res) => {
    if (answer !== undefined) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });

describe('algorithms and jose errors (a JWKS with one key per algorithm)', () => {
  const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
  type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
  const keys = new Map<string, Keys>();
  let jwks: Awaited<ReturnType<typeof serve>>;
  let settings: AuthSettings;

  beforeAll(async () => {
    for (const alg of ALGS) keys.set(alg, await generateKeyPair(alg, { extractable: true }));
    // A second RS256 key: a token without `kid` then matches two keys.
    keys.set('RS256-twin', await generateKeyPair('RS256', { extractable: true }));
    const published: JWK[] = [];
    for (const [kid, { publicKey }] of keys) published.push({ ...(await exportJWK(publicKey)), kid, alg: kid.slice(0, 5), use: 'sig' });
    jwks = await serve({ keys: published });
    settings = authSettings({
      STAGE: 'dev',
      AUTH_MODE: 'jwt',
      JWT_ISSUER: jwks.base,
      JWT_AUDIENCE: TEST_AUDIENCE,
      JWKS_URL: `${jwks.base}/jwks.json`,
      JWT_SCOPE: TEST_SCOPE,
    });
  });
  afterAll(() => jwks.stop());

  const claims = () => new SignJWT({ scope: TEST_SCOPE }).setIssuer(jwks.base).setAudience(TEST_AUDIENCE).setSubject('cust-1').setExpirationTime('5m');
  const signed = (alg: string, header: Record<string, unknown> = { kid: alg }, options?: SignOptions) =>
    claims()
      .setProtectedHeader({ alg, ...header })
      .sign(keys.get(alg)!.privateKey, options);
  const auth = (token: string) => authenticate({ headers: bearer(token) }, settings);
  const refused = (code: string) => ({ kind: 'refused', reason: 'INVALID_TOKEN', code });

  it.each(ALGS)('accepts a token signed with %s', async (alg) => {
    expect(await auth(await signed(alg))).toEqual({ kind: 'caller', sub: 'cust-1' });
  });

  it('refuses HS256, even keyed with the published public key (algorithm confusion)', async () => {
    const publicJwk = JSON.stringify(await exportJWK(keys.get('RS256')!.publicKey));
    const hmac = await claims().setProtectedHeader({ alg: 'HS256', kid: 'RS256' }).sign(new TextEncoder().encode(publicJwk));
    expect(await auth(hmac)).toEqual(refused('ERR_JOSE_ALG_NOT_ALLOWED'));
  });

  it('refuses a kid the JWKS does not publish', async () => {
    expect(await auth(await signed('RS256', { kid: 'unknown' }))).toEqual(refused('ERR_JWKS_NO_MATCHING_KEY'));
  });

  it('refuses a token without kid that two published keys could have signed', async () => {
    expect(await auth(await signed('RS256', {}))).toEqual(refused('ERR_JWKS_MULTIPLE_MATCHING_KEYS'));
  });

  it('refuses a well-signed token whose payload is not a claims object', async () => {
    const notClaims = await new CompactSign(new TextEncoder().encode('["cust-1"]'))
      .setProtectedHeader({ alg: 'RS256', kid: 'RS256' })
      .sign(keys.get('RS256')!.privateKey);
    expect(await auth(notClaims)).toEqual(refused('ERR_JWT_INVALID'));
  });

  it('refuses a well-signed token with a critical header extension it does not know', async () => {
    // The signer is told the extension is known; the verifier is not.
    const token = await signed('RS256', { kid: 'RS256', crit: ['x-ext'], 'x-ext': 1 }, { crit: { 'x-ext': true } });
    expect(await auth(token)).toEqual(refused('ERR_JOSE_NOT_SUPPORTED'));
  });

  it("a JWKS that does not answer fails after 3 s (throws: 500), not after jose's default 5 s", { timeout: 10_000 }, async () => {
    const silent = await serve();
    const headers = bearer(await signed('RS256'));
    try {
      const started = Date.now();
      const error = await authenticate({ headers }, { ...settings, jwksUrl: `${silent.base}/jwks.json` }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_JWKS_TIMEOUT' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
      // Below jose's own default (5 s), with room for a busy event loop.
      expect(Date.now() - started).toBeLessThan(4800);
    } finally {
      await silent.stop();
    }
  });
});

describe('POST /orders with AUTH_MODE=jwt', () => {
  const invalid = 'Bearer realm="orders", error="invalid_token"';
  it.each([
    ['no token', async () => ({}), 'Bearer realm="orders"', 'a bearer token is required (Authorization: Bearer <JWT>)', 'MISSING_TOKEN', undefined],
    [
      'a bad signature',
      async () => bearer(await issuer.token({ foreignKey: true })),
      invalid,
      'the bearer token is not valid',
      'INVALID_TOKEN',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    ],
    [
      'an expired token',
      async () => bearer(await issuer.token({ expiresIn: -60 })),
      invalid,
      'the bearer token has expired',
      'EXPIRED_TOKEN',
      'ERR_JWT_EXPIRED',
    ],
  ])('401 UNAUTHORIZED for %s, before any other check, writing nothing', async (_name, headers, challenge, message, reason, code) => {
    const warn = vi.spyOn(logger, 'warn');
    const sent: Record<string, string> = await headers();
    // Wrong content type and an oversized body: the 401 comes first and tells nothing about them.
    const res = await postOrder(httpEvent({ body: 'x'.repeat(40_000), headers: { 'content-type': 'text/plain', ...sent } }));
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res)).toEqual({ error: { code: 'UNAUTHORIZED', message, requestId: 'req-1' } });
    expect(res.headers?.['www-authenticate']).toBe(challenge);
    expect(transactions()).toHaveLength(0);
    // Logged at WARN with the failure's kind and jose's code, never the token.
    expect(warn).toHaveBeenCalledWith('order rejected', { correlationId: 'req-1', status: 401, code: 'UNAUTHORIZED', auth: reason, authError: code });
    if (sent.authorization) expect(JSON.stringify(warn.mock.calls)).not.toContain(sent.authorization.slice('Bearer '.length));
  });

  it('the order belongs to the sub: customerId may be left out', async () => {
    const res = await postOrder(postEvent(withoutCustomer(), { headers: bearer(await issuer.token({ sub: 'cust-7' })) }));
    expect(res.statusCode).toBe(202);
    expect(transactions()[0]![0]!.Put!.Item!.customerId).toBe('cust-7');
    expect((transactions()[0]![1]!.Put!.Item!.event as { payload: { customerId: string } }).payload.customerId).toBe('cust-7');
  });

  it('a body customerId equal to the sub is fine', async () => {
    const res = await postOrder(postEvent({ ...validOrder(), customerId: 'cust-7' }, { headers: bearer(await issuer.token({ sub: 'cust-7' })) }));
    expect(res.statusCode).toBe(202);
  });

  it('403 FORBIDDEN for a body customerId that is not the sub, writing nothing', async () => {
    const res = await postOrder(postEvent({ ...validOrder(), customerId: 'someone-else' }, { headers: bearer(await issuer.token({ sub: 'cust-7' })) }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res)).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String), requestId: 'req-1' } });
    expect(res.body).not.toContain('someone-else');
    expect(transactions()).toHaveLength(0);
  });

  it('the Idempotency-Key record is keyed by the authenticated caller', async () => {
    const key = 'k-1';
    await postOrder(postEvent(withoutCustomer(), { headers: { ...bearer(await issuer.token({ sub: 'cust-a' })), 'idempotency-key': key } }));
    await postOrder(postEvent(withoutCustomer(), { headers: { ...bearer(await issuer.token({ sub: 'cust-b' })), 'idempotency-key': key } }));
    expect(transactions().map((items) => items[items.length - 1]!.Put!.Item!.pk)).toEqual([
      apiIdempotencyKey('cust-a', key).pk,
      apiIdempotencyKey('cust-b', key).pk,
    ]);
  });

  it('__proto__ and constructor keys are unknown fields (400), change no behaviour and pollute nothing', async () => {
    const headers = bearer(await issuer.token({ sub: 'cust-7' }));
    const raw = `{"__proto__":{"customerId":"someone-else","isAdmin":true},"constructor":{"prototype":{"polluted":true}},${JSON.stringify(withoutCustomer()).slice(1)}`;
    const res = await postOrder(postEvent(raw, { headers }));
    expect(res.statusCode).toBe(400);
    expect(
      bodyOf(res)
        .error.details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Nested too.
    const nested = { ...withoutCustomer(), items: [JSON.parse('{"sku":"SKU-1","quantity":1,"__proto__":{"quantity":999}}')] };
    const res2 = await postOrder(postEvent(JSON.stringify(nested), { headers }));
    expect(res2.statusCode).toBe(400);
    expect(bodyOf(res2).error.details).toEqual([{ path: 'items[0].__proto__', message: 'unknown field' }]);
    expect(transactions()).toHaveLength(0);
  });
});

describe('GET /orders/{orderId} with AUTH_MODE=jwt', () => {
  const orderOf = (customerId: string) => ({
    pk: `ORDER#${ID}`,
    sk: 'ORDER',
    orderId: ID,
    customerId,
    email: 'a@example.com',
    currency: 'GBP',
    items: [],
    createdAt: '2024-05-01T10:00:00.000Z',
  });
  const get = async (headers: Record<string, string>) =>
    getOrder(httpEvent({ method: 'GET', rawPath: `/orders/${ID}`, pathParameters: { orderId: ID }, headers }));

  it('the owner sees it', async () => {
    storeHolds(orderOf('cust-7'));
    const res = await get(bearer(await issuer.token({ sub: 'cust-7' })));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).customerId).toBe('cust-7');
  });

  it("another caller's order: exactly the 404 of an unknown id", async () => {
    const token = await issuer.token({ sub: 'cust-8' });
    const unknown = await get(bearer(token));
    storeHolds(orderOf('cust-7'));
    const foreign = await get(bearer(token));
    expect(foreign.statusCode).toBe(404);
    expect(foreign).toEqual(unknown);
  });

  it('401 without reading anything for no token, a bad signature, an expired token', async () => {
    for (const headers of [{}, bearer(await issuer.token({ foreignKey: true })), bearer(await issuer.token({ expiresIn: -60 }))]) {
      const res = await get(headers);
      expect(res.statusCode).toBe(401);
      expect(bodyOf(res).error.code).toBe('UNAUTHORIZED');
    }
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it('500 (fail closed) when AUTH_MODE is misspelt', async () => {
    const misspelt = checked('getOrder', createGetOrder(configWith({ ...issuer.env(), AUTH_MODE: 'JWT' })));
    storeHolds(orderOf('cust-7'));
    const res = await misspelt(httpEvent({ method: 'GET', rawPath: `/orders/${ID}`, pathParameters: { orderId: ID } }));
    expect(res.statusCode).toBe(500);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});
