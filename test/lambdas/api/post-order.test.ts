import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bodyOf, cancelled, captureLogLines, checked, configWith, ddbMock, httpEvent, JWT_ENV, ORDERS_TABLE, postEvent, SECRETS, validOrder } from './fixtures';
import { bearer, TestIssuer } from '../../integration/support/auth';
import { createHandler } from '../../../lambdas/api/post-order';
import { apiIdempotencyKey, orderKey, outboxKey, paymentTokenKey, personalDataKey } from '../../../lambdas/adapters/keys';
import { OUTBOX_PENDING } from '../../../lambdas/contract';
import { PAYMENT_TOKEN_TTL_SECONDS } from '../../../lambdas/adapters/order-store';
import { deterministicEventId } from '../../../lambdas/core/ids';
import { requestHash, validateOrder } from '../../../lambdas/core/order';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Order ids an earlier request with the same Idempotency-Key created (real ones: the 202 body is checked against its schema). */
const FIRST_ORDER = '0b6f7c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
const WINNER = '9d8c7b6a-5f4e-4d3c-ab2a-1f0e9d8c7b6a';
const NOW = new Date('2024-05-01T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;

const handler = checked('placeOrder', createHandler(configWith()));
/** As in the local stage, where the fault hooks are on. */
const withFaults = checked('placeOrder', createHandler(configWith({ FAULTS_ENABLED: 'true' })));

const MINISTACK = { rawPath: '/orders', domainName: 'abc123.execute-api.localhost' };
const transactions = () => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
const hashOf = (body: unknown) => {
  const v = validateOrder(body);
  if (!v.ok) throw new Error('invalid fixture');
  return requestHash(v.order);
};

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

describe('POST /orders: rejections write nothing', () => {
  afterEach(() => expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0));

  it.each([undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'application/json; charset=latin1'])(
    '415 for content type %s',
    async (ct) => {
      const event = httpEvent({ body: JSON.stringify(validOrder()), headers: ct ? { 'content-type': ct } : {} });
      const res = await handler(event);
      expect(res.statusCode).toBe(415);
      expect(bodyOf(res)).toEqual({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json', requestId: 'req-1' } });
    },
  );

  it('413 above 32 KiB, counting the decoded bytes of a base64 body', async () => {
    const big = JSON.stringify({ ...validOrder(), pad: 'x'.repeat(32 * 1024) });
    expect((await handler(postEvent(big))).statusCode).toBe(413);
    const b64 = Buffer.from(big).toString('base64');
    const res = await handler(postEvent(b64, { isBase64Encoded: true }));
    expect(res.statusCode).toBe(413);
    expect(bodyOf(res).error.code).toBe('PAYLOAD_TOO_LARGE');
    // Multi-byte characters count as bytes: 11 000 x 3 bytes > 32 KiB although the string is shorter.
    expect((await handler(postEvent(JSON.stringify({ ...validOrder(), customerId: '€'.repeat(11_000) })))).statusCode).toBe(413);
  });

  it.each(['{"customerId":', '', 'not json', '{"a":1}}'])('400 MALFORMED_JSON for %j', async (raw) => {
    const res = await handler(postEvent(raw));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toEqual({ error: { code: 'MALFORMED_JSON', message: 'the body is not valid JSON', requestId: 'req-1' } });
  });

  it('400 VALIDATION_FAILED listing every offending field', async () => {
    const res = await handler(
      postEvent({
        customerId: '',
        email: 'nope',
        currency: 'usd',
        items: [
          { sku: 'A', quantity: 0 },
          { sku: '', quantity: 2.5 },
        ],
        paymentToken: 'x'.repeat(129),
        shippingAddress: { line1: '', city: 'c', postalCode: '1', country: 'UK1' },
        extra: 1,
      }),
    );
    expect(res.statusCode).toBe(400);
    const { error } = bodyOf(res);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe('the order is invalid');
    expect(error.requestId).toBe('req-1');
    expect(error.details.map((d: { path: string }) => d.path).sort()).toEqual(
      [
        'customerId',
        'email',
        'currency',
        'items[0].quantity',
        'items[1].sku',
        'items[1].quantity',
        'paymentToken',
        'shippingAddress.line1',
        'shippingAddress.country',
        'extra',
      ].sort(),
    );
    for (const d of error.details) expect(d).toEqual({ path: expect.any(String), message: expect.any(String) });
  });

  it('400 for a body that is JSON but not an object', async () => {
    for (const raw of ['null', '[]', '"order"', '42']) {
      const res = await handler(postEvent(raw));
      expect(res.statusCode).toBe(400);
      expect(bodyOf(res).error.details).toEqual([{ path: '(body)', message: expect.any(String) }]);
    }
  });

  it('400 naming the duplicate SKU', async () => {
    const res = await handler(
      postEvent({
        ...validOrder(),
        items: [
          { sku: 'SKU-1', quantity: 1 },
          { sku: 'SKU-1', quantity: 2 },
        ],
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error.details).toEqual([{ path: 'items[1].sku', message: expect.stringContaining('duplicate SKU') }]);
  });

  it.each([
    ['customerId', { customerId: 'c\ud800' }],
    ['customerId', { customerId: 'c\udc00x' }],
    ['items[0].sku', { items: [{ sku: 'SKU\u202E1', quantity: 1 }] }],
    ['paymentToken', { paymentToken: 'tok\u0000' }],
    ['shippingAddress.city', { shippingAddress: { line1: 'a', city: 'Lon\u2067don', postalCode: '1', country: 'GB' } }],
    ['shippingAddress.line2', { shippingAddress: { line1: 'a', line2: 'b\u0085', city: 'c', postalCode: '1', country: 'GB' } }],
  ])('400 VALIDATION_FAILED naming %s for a lone surrogate, a bidi override or a control character (never a 500)', async (path, patch) => {
    // JSON.stringify writes a lone surrogate as the escape \udXXX, as the fuzzer sent it.
    const raw = JSON.stringify({ ...validOrder(), ...patch });
    const res = await handler(postEvent(raw));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path, message: expect.stringMatching(/control characters/) }] });
  });

  it('400 for a body that is not UTF-8: invalid bytes (base64 from the gateway) or U+FFFD (a gateway that decoded it for us)', async () => {
    const json = Buffer.from(JSON.stringify(validOrder()));
    const at = json.indexOf('Lane');
    const invalid = Buffer.concat([json.subarray(0, at), Buffer.from([0xc3, 0x28]), json.subarray(at)]);
    for (const event of [postEvent(invalid.toString('base64'), { isBase64Encoded: true }), postEvent(invalid.toString('utf8'))]) {
      const res = await handler(event);
      expect(res.statusCode).toBe(400);
      expect(bodyOf(res).error).toEqual({ code: 'MALFORMED_JSON', message: expect.stringContaining('UTF-8'), requestId: 'req-1' });
    }
    // Overlong encodings and a raw surrogate in CESU form are invalid too.
    for (const bytes of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
    ]) {
      const body = Buffer.concat([Buffer.from('{"customerId":"'), Buffer.from(bytes), Buffer.from('"}')]);
      expect((await handler(postEvent(body.toString('base64'), { isBase64Encoded: true }))).statusCode).toBe(400);
    }
  });

  it('400 INVALID_HEADER for an X-Fault-Inject value that names no hook, where hooks are on', async () => {
    for (const value of ['publish-fail-twice', 'PUBLISH-FAIL-ONCE', 'publish-fail-once,', 'drop:', 'drop:Payment', '']) {
      const res = await withFaults(postEvent(validOrder(), { headers: { 'x-fault-inject': value } }));
      expect(res.statusCode, value).toBe(400);
      expect(bodyOf(res).error).toMatchObject({
        code: 'INVALID_HEADER',
        message: 'X-Fault-Inject must be a comma-separated list of fault hook names',
        details: [{ path: 'X-Fault-Inject', message: expect.stringContaining('publish-fail-once') }],
      });
    }
  });

  it.each(['', 'has space', 'a'.repeat(65), 'semi;colon', 'ключ', 'a#b'])('400 INVALID_IDEMPOTENCY_KEY for %j', async (key) => {
    const res = await handler(postEvent(validOrder(), { headers: { 'idempotency-key': key } }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toEqual({
      code: 'INVALID_IDEMPOTENCY_KEY',
      message: 'Idempotency-Key must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -',
      requestId: 'req-1',
      details: [{ path: 'Idempotency-Key', message: 'expected 1 to 64 characters of [A-Za-z0-9_-]' }],
    });
  });
});

describe('POST /orders: an authenticated caller', () => {
  let issuer: Awaited<ReturnType<typeof TestIssuer.start>>;
  let guarded: ReturnType<typeof checked>;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    guarded = checked('placeOrder', createHandler(configWith(issuer.env())));
  });
  afterAll(() => issuer.stop());
  afterEach(() => expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0));

  it('403 FORBIDDEN for a customerId that is not the sub', async () => {
    const res = await guarded(postEvent({ ...validOrder(), customerId: 'someone-else' }, { headers: bearer(await issuer.token({ sub: 'cust-7' })) }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error).toEqual({
      code: 'FORBIDDEN',
      message: "customerId must be the authenticated caller (the token's sub), or be left out",
      requestId: 'req-1',
    });
  });

  it.each([
    ['null', 'null'],
    ['[]', 'array'],
    ['"order"', 'string'],
    ['42', 'number'],
  ])('400 for the JSON body %s: the sub is added to an object only', async (raw, received) => {
    const res = await guarded(postEvent(raw, { headers: bearer(await issuer.token({ sub: 'cust-7' })) }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'the order is invalid',
      requestId: 'req-1',
      details: [{ path: '(body)', message: `Invalid input: expected object, received ${received}` }],
    });
  });
});

describe('POST /orders: its log lines', () => {
  let byMessage: ReturnType<typeof captureLogLines>['byMessage'];
  beforeEach(() => ({ byMessage } = captureLogLines()));
  afterEach(() => vi.restoreAllMocks());

  it('one line per accepted order: which order, how many lines, whether replayed, what it cost', async () => {
    const res = await handler(postEvent(validOrder(), { headers: { 'x-correlation-id': 'corr-abc' } }));
    expect(byMessage('order accepted')).toEqual([
      // The cost fields count through the real client's middleware, which the mocked client skips.
      expect.objectContaining({
        level: 'INFO',
        correlationId: 'corr-abc',
        orderId: bodyOf(res).orderId,
        lines: 2,
        replayed: false,
        sdkRequests: expect.any(Number),
        requests: expect.any(Object),
        rcu: expect.any(Number),
        wcu: expect.any(Number),
      }),
    ]);
  });

  it('a refusal names its status, code and offending paths; an unknown field never by its name (client input)', async () => {
    await handler(postEvent({ ...validOrder(), email: 'nope', 'my-own-key': 1 }));
    expect(byMessage('order rejected')).toEqual([
      expect.objectContaining({ level: 'INFO', correlationId: 'req-1', status: 400, code: 'VALIDATION_FAILED', fields: ['email', '(unknown field)'] }),
    ]);
    expect(JSON.stringify(byMessage('order rejected'))).not.toContain('my-own-key');
  });

  it("a 401 and a 500 are logged as this route's own", async () => {
    const guarded = checked('placeOrder', createHandler(configWith(JWT_ENV)));
    expect((await guarded(postEvent(validOrder()))).statusCode).toBe(401);
    expect(byMessage('order rejected')).toEqual([expect.objectContaining({ level: 'WARN', status: 401 })]);
    ddbMock.on(TransactWriteCommand).rejects(new Error('boom'));
    expect((await handler(postEvent(validOrder()))).statusCode).toBe(500);
    expect(byMessage('order failed')).toEqual([expect.objectContaining({ level: 'ERROR', error: 'boom' })]);
  });
});

describe('POST /orders: accepted', () => {
  it('writes ORDER (no token, no personal data), OUTBOX (the full event, pending, no TTL), PII (expiring) and PAYTOKEN in one transaction and answers 202', async () => {
    // Fails on c5101ed: the token travelled in OrderPlaced (OUTBOX item, every queue), the OUTBOX item expired in a
    // day whether published or not, and nothing marked it pending for the sweeper.
    const res = await handler(postEvent(validOrder(), { headers: { 'x-correlation-id': 'corr-abc' } }));
    expect(res.statusCode).toBe(202);
    const { orderId } = bodyOf(res);
    expect(orderId).toMatch(UUID);
    const eventId = deterministicEventId(orderId, 'orders', 'OrderPlaced');
    const { items, paymentToken, shippingAddress, email, ...rest } = validOrder();
    expect(transactions()).toEqual([
      [
        {
          Put: {
            TableName: ORDERS_TABLE,
            Item: { ...orderKey(orderId), orderId, ...rest, items, correlationId: 'corr-abc', createdAt: NOW.toISOString() },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: ORDERS_TABLE,
            Item: {
              ...outboxKey(orderId, eventId),
              eventId,
              eventType: 'OrderPlaced',
              orderId,
              event: {
                eventId,
                eventType: 'OrderPlaced',
                schemaVersion: 1,
                occurredAt: NOW.toISOString(),
                correlationId: 'corr-abc',
                orderId,
                payload: { customerId: 'c-1', currency: 'GBP', items },
              },
              [OUTBOX_PENDING.partition]: OUTBOX_PENDING.value,
              [OUTBOX_PENDING.since]: NOW.getTime(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: ORDERS_TABLE,
            // The stage's retention (PERSONAL_DATA_TTL_SECONDS unset here: the 90-day default).
            Item: { ...personalDataKey(orderId), orderId, email, shippingAddress, createdAt: NOW.toISOString(), expiresAt: NOW_S + 90 * 86_400 },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: ORDERS_TABLE,
            Item: { ...paymentTokenKey(orderId), orderId, token: paymentToken, expiresAt: NOW_S + PAYMENT_TOKEN_TTL_SECONDS },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    ]);
    const [order, outbox] = transactions()[0]!;
    for (const secret of [SECRETS.token, SECRETS.email, SECRETS.line1]) {
      expect(JSON.stringify(order)).not.toContain(secret);
      expect(JSON.stringify(outbox)).not.toContain(secret);
    }
    expect(outbox!.Put!.Item).not.toHaveProperty('expiresAt');
  });

  it('without a payment token: no PAYTOKEN item', async () => {
    const { paymentToken: _t, ...noToken } = validOrder();
    expect((await handler(postEvent(noToken))).statusCode).toBe(202);
    const [items] = transactions();
    expect(items).toHaveLength(3);
    expect(JSON.stringify(items)).not.toContain('PAYTOKEN#');
  });

  it('stores text fields in NFC, so a decomposed spelling is the same request (same hash) as the composed one', async () => {
    const decomposed = { ...validOrder(), shippingAddress: { ...validOrder().shippingAddress, city: 'Zu\u0308rich' } };
    expect((await handler(postEvent(decomposed))).statusCode).toBe(202);
    const stored = transactions()[0]![2]!.Put!.Item!;
    expect(stored.shippingAddress.city).toBe('Z\u00fcrich');
    expect(hashOf(decomposed)).toBe(hashOf({ ...decomposed, shippingAddress: { ...decomposed.shippingAddress, city: 'Z\u00fcrich' } }));
  });

  it('accepts characters outside the BMP (a surrogate pair) and counts them as one', async () => {
    const res = await handler(postEvent({ ...validOrder(), customerId: '\u{1F600}'.repeat(128) }));
    expect(res.statusCode).toBe(202);
  });

  it('accepts application/json with parameters, in any case', async () => {
    for (const ct of ['application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/json; boundary=x']) {
      expect((await handler(postEvent(validOrder(), { headers: { 'content-type': ct } }))).statusCode).toBe(202);
    }
  });

  it('accepts a base64-encoded body', async () => {
    const res = await handler(postEvent(Buffer.from(JSON.stringify(validOrder())).toString('base64'), { isBase64Encoded: true }));
    expect(res.statusCode).toBe(202);
  });

  it('uses the request id as correlation id when x-correlation-id is missing or unsafe', async () => {
    await handler(postEvent(validOrder(), { headers: { 'x-correlation-id': 'bad id\n{"injected":1}' } }));
    await handler(postEvent(validOrder()));
    for (const items of transactions()) expect(items[0]!.Put!.Item!.correlationId).toBe('req-1');
  });

  it.each([
    ['$default on AWS', { rawPath: '/orders' }, 'https://abc123.execute-api.us-east-1.amazonaws.com/orders/'],
    ['a named stage in the raw path', { rawPath: '/dev/orders', stage: 'dev' }, 'https://abc123.execute-api.us-east-1.amazonaws.com/dev/orders/'],
    ['a named stage missing from the raw path', { rawPath: '/orders', stage: 'dev' }, 'https://abc123.execute-api.us-east-1.amazonaws.com/dev/orders/'],
    [
      'the MiniStack prefix in the raw path',
      { rawPath: '/_aws/execute-api/abc123/orders', headers: { host: '127.0.0.1:4566', 'x-forwarded-proto': 'http' } },
      'http://127.0.0.1:4566/_aws/execute-api/abc123/orders/',
    ],
    [
      'a named stage after the MiniStack prefix',
      { rawPath: '/_aws/execute-api/abc123/orders', stage: 'v1', headers: { host: '127.0.0.1:4566', 'x-forwarded-proto': 'http' } },
      'http://127.0.0.1:4566/_aws/execute-api/abc123/v1/orders/',
    ],
    // MiniStack 1.5.33 as it is: rawPath stripped of the prefix (and of the stage), no x-forwarded-proto.
    [
      'MiniStack path addressing (prefix stripped, no scheme header)',
      { ...MINISTACK, headers: { host: '127.0.0.1:45123', 'x-forwarded-proto': '' } },
      'http://127.0.0.1:45123/_aws/execute-api/abc123/orders/',
    ],
    [
      'MiniStack path addressing with a named stage',
      { ...MINISTACK, stage: 'v1', headers: { host: 'localhost:4566', 'x-forwarded-proto': '' } },
      'http://localhost:4566/_aws/execute-api/abc123/v1/orders/',
    ],
    [
      'MiniStack host addressing',
      { ...MINISTACK, headers: { host: 'abc123.execute-api.localhost:4566', 'x-forwarded-proto': '' } },
      'http://abc123.execute-api.localhost:4566/orders/',
    ],
    [
      'a custom domain with a base path',
      { rawPath: '/shop/orders', domainName: 'api.example.com', headers: { host: 'api.example.com' } },
      'https://api.example.com/shop/orders/',
    ],
    [
      'no x-forwarded-proto (https) and a forged host (domain name instead)',
      { headers: { 'x-forwarded-proto': '', host: 'evil.example/path?' } },
      'https://abc123.execute-api.us-east-1.amazonaws.com/orders/',
    ],
  ] as const)('Location and statusUrl for %s', async (_name, o, base) => {
    const res = await handler(postEvent(validOrder(), { ...o, headers: { ...(o as { headers?: Record<string, string> }).headers } }));
    expect(res.statusCode).toBe(202);
    const body = bodyOf(res);
    expect(body).toEqual({ orderId: expect.stringMatching(UUID), status: 'ACCEPTED', statusUrl: `${base}${body.orderId}` });
    expect(res.headers?.location).toBe(body.statusUrl);
    expect(res.headers?.['idempotent-replayed']).toBeUndefined();
  });
});

describe('POST /orders: Idempotency-Key', () => {
  const key = 'checkout-42';
  const keyRecordPut = (items: NonNullable<ReturnType<typeof transactions>[number]>) => items[items.length - 1]!.Put!;

  it('adds the key record, scoped to the customer, with the request hash and the configured expiry', async () => {
    const res = await handler(postEvent(validOrder(), { headers: { 'idempotency-key': key } }));
    expect(res.statusCode).toBe(202);
    const [items] = transactions();
    // ORDER, OUTBOX, PII, PAYTOKEN, then the key record (last: its cancellation code is the last one).
    expect(items).toHaveLength(5);
    expect(items![3]!.Put!.Item).toMatchObject(paymentTokenKey(bodyOf(res).orderId));
    expect(keyRecordPut(items!)).toEqual({
      TableName: ORDERS_TABLE,
      Item: {
        ...apiIdempotencyKey('c-1', key),
        orderId: bodyOf(res).orderId,
        requestHash: hashOf(validOrder()),
        createdAt: NOW.toISOString(),
        expiresAt: NOW_S + 86_400,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
      ExpressionAttributeNames: { '#ttl': 'expiresAt' },
      ExpressionAttributeValues: { ':now': NOW_S },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(JSON.stringify(keyRecordPut(items!))).not.toContain(SECRETS.token);
  });

  it('the request hash leaves the token out: the same body with another token is a replay of the first order', async () => {
    // Fails on c5101ed: the stored request hash (unsalted SHA-256, kept for a day) covered the payment token.
    const other = { ...validOrder(), paymentToken: 'tok_other_9999' };
    expect(hashOf(other)).toBe(hashOf(validOrder()));
    const { paymentToken: _t, ...withoutToken } = validOrder();
    expect(hashOf(withoutToken)).toBe(hashOf(validOrder()));
    expect(hashOf({ ...validOrder(), currency: 'EUR' })).not.toBe(hashOf(validOrder()));

    ddbMock.on(TransactWriteCommand).rejects(
      cancelled([
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'None' },
        {
          Code: 'ConditionalCheckFailed',
          Item: { orderId: { S: FIRST_ORDER }, requestHash: { S: hashOf(validOrder()) }, expiresAt: { N: String(NOW_S + 60) } },
        },
      ]),
    );
    const res = await handler(postEvent(other, { headers: { 'idempotency-key': key } }));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res).orderId).toBe(FIRST_ORDER);
  });

  it('count OrdersAccepted (EMF) for a new order, not for an Idempotency-Key replay', async () => {
    const lines: string[] = [];
    const emf = () =>
      lines
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>)
        .filter((l) => l._aws);
    const counted = [
      expect.objectContaining({
        OrdersAccepted: 1,
        service: 'orders-api',
        _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Namespace: 'OrderPipeline' })] }),
      }),
    ];
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => (lines.push(String(chunk)), true)) as typeof process.stdout.write);
    try {
      expect((await handler(postEvent(validOrder(), { headers: { 'Idempotency-Key': key } }))).statusCode).toBe(202);
      // Counted by the new order itself (a count moved to the replay would show only after it).
      expect(emf()).toEqual(counted);
      ddbMock.on(TransactWriteCommand).rejects(
        cancelled([
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'None' },
          {
            Code: 'ConditionalCheckFailed',
            Item: { orderId: { S: FIRST_ORDER }, requestHash: { S: hashOf(validOrder()) }, expiresAt: { N: String(NOW_S + 60) } },
          },
        ]),
      );
      expect((await handler(postEvent(validOrder(), { headers: { 'Idempotency-Key': key } }))).headers).toMatchObject({ 'idempotent-replayed': 'true' });
    } finally {
      vi.mocked(process.stdout.write).mockRestore();
    }
    expect(emf()).toEqual(counted);
  });

  it('same key, same body: 202 with the first order id, Idempotent-Replayed, nothing created (ALL_OLD)', async () => {
    ddbMock.on(TransactWriteCommand).rejects(
      cancelled([
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'None' },
        {
          Code: 'ConditionalCheckFailed',
          Item: { orderId: { S: FIRST_ORDER }, requestHash: { S: hashOf(validOrder()) }, expiresAt: { N: String(NOW_S + 60) } },
        },
      ]),
    );
    const res = await handler(postEvent(validOrder(), { headers: { 'Idempotency-Key': key } }));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res)).toEqual({
      orderId: FIRST_ORDER,
      status: 'ACCEPTED',
      statusUrl: `https://abc123.execute-api.us-east-1.amazonaws.com/orders/${FIRST_ORDER}`,
    });
    expect(res.headers).toMatchObject({ location: bodyOf(res).statusUrl, 'idempotent-replayed': 'true' });
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('same key, other body: 422, no order id revealed', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(
        cancelled([
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed', Item: { orderId: { S: FIRST_ORDER }, requestHash: { S: 'another-hash' }, expiresAt: { N: String(NOW_S + 60) } } },
        ]),
      );
    const res = await handler(postEvent(validOrder(), { headers: { 'idempotency-key': key } }));
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res)).toEqual({
      error: { code: 'IDEMPOTENCY_KEY_REUSED', message: 'this Idempotency-Key was already used with a different request body', requestId: 'req-1' },
    });
    expect(res.body).not.toContain(FIRST_ORDER);
  });

  it('falls back to a consistent read of the key record when the cancellation carries no item', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }]));
    ddbMock.on(GetCommand).resolves({ Item: { orderId: FIRST_ORDER, requestHash: hashOf(validOrder()), expiresAt: NOW_S + 60 } });
    const res = await handler(postEvent(validOrder(), { headers: { 'idempotency-key': key } }));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res).orderId).toBe(FIRST_ORDER);
    expect(ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: ORDERS_TABLE, Key: apiIdempotencyKey('c-1', key), ConsistentRead: true },
    ]);
  });

  it('concurrent request holding the key (TransactionConflict): reads, and retries until the winner is visible', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'TransactionConflict' }]));
    ddbMock
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: { orderId: WINNER, requestHash: hashOf(validOrder()), expiresAt: NOW_S + 60 } });
    const res = await handler(postEvent(validOrder(), { headers: { 'idempotency-key': key } }));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res).orderId).toBe(WINNER);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(2);
    // The retry is the same order, not a second one.
    const [first, second] = transactions();
    expect(second).toEqual(first);
  });

  it('the same key of another customer is another record', async () => {
    await handler(postEvent(validOrder(), { headers: { 'idempotency-key': key } }));
    await handler(postEvent({ ...validOrder(), customerId: 'c-2' }, { headers: { 'idempotency-key': key } }));
    expect(transactions().map((items) => items[items.length - 1]!.Put!.Item!.pk)).toEqual(['IDEMPOTENCY#c-1#checkout-42', 'IDEMPOTENCY#c-2#checkout-42']);
  });
});

describe('POST /orders: fault hook', () => {
  const outboxItem = () => transactions()[0]![1]!.Put!.Item!;

  it('accepts a list of known hooks, with spaces around the names', async () => {
    for (const value of ['publish-fail-once', ' relay-gives-up ', 'drop:payment, drop:inventory']) {
      expect((await withFaults(postEvent(validOrder(), { headers: { 'x-fault-inject': value } }))).statusCode, value).toBe(202);
    }
  });

  it('marks the outbox item when FAULTS_ENABLED=true and the header asks', async () => {
    await withFaults(postEvent(validOrder(), { headers: { 'X-Fault-Inject': 'publish-fail-once' } }));
    expect(outboxItem().faults).toEqual(['publish-fail-once']);
  });

  it.each([undefined, 'false', 'TRUE', '1'])('ignores the header (any value) when FAULTS_ENABLED is %s', async (flag) => {
    const configured = checked('placeOrder', createHandler(configWith({ FAULTS_ENABLED: flag })));
    for (const value of ['publish-fail-once', 'anything else']) {
      ddbMock.resetHistory();
      expect((await configured(postEvent(validOrder(), { headers: { 'x-fault-inject': value } }))).statusCode).toBe(202);
      expect(outboxItem()).not.toHaveProperty('faults');
    }
  });
});

describe('POST /orders: unexpected failures', () => {
  it('500 INTERNAL with the request id and nothing else', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
    const res = await handler(postEvent(validOrder()));
    expect(res.statusCode).toBe(500);
    expect(bodyOf(res)).toEqual({ error: { code: 'INTERNAL', message: 'internal error', requestId: 'req-1' } });
    expect(res.body).not.toMatch(/Throughput|at |\.ts/);
  });

  it('500 when the transaction is cancelled by anything but the key record', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(cancelled([{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }]));
    const res = await handler(postEvent(validOrder(), { headers: { 'idempotency-key': 'k' } }));
    expect(res.statusCode).toBe(500);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('500 when the key stays contested, after a bounded number of attempts', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'TransactionConflict' }]));
    ddbMock.on(GetCommand).resolves({});
    const res = await handler(postEvent(validOrder(), { headers: { 'idempotency-key': 'k' } }));
    expect(res.statusCode).toBe(500);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });
});
