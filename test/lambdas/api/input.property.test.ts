/**
 * Property-based tests of the API's input handling (fast-check): thousands of generated bodies, headers, sizes and
 * unicode (control characters, bidi overrides, unpaired surrogates, U+FFFD, invalid UTF-8 bytes) through the real
 * handlers, with the document client mocked.
 *
 * Properties: a handler never throws and never answers 5xx; every rejection is a 4xx with the JSON error shape and
 * writes nothing; every accepted order stores only well-formed, NFC, safe text; every well-formed order is accepted.
 */
import { BatchGetCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bodyOf, checked, configWith, ddbMock, httpEvent, postEvent, validOrder } from './fixtures';
import { createHandler as createPostOrder } from '../../../lambdas/api/post-order';
import { createHandler as createGetOrder } from '../../../lambdas/api/get-order';
import { MAX_BODY_BYTES } from '../../../lambdas/api/http';
import { ERROR_CODES } from '../../../lambdas/api/contract';
import { logger } from '../../../lambdas/adapters/logger';
import { ORDER_LIMITS, SAFE_TEXT } from '../../../lambdas/core/order';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1500);
const postOrder = checked('placeOrder', createPostOrder(configWith()));
const getOrder = checked('getOrder', createGetOrder(configWith()));
/** As in the local stage, where the fault hooks are on. */
const postOrderWithFaults = checked('placeOrder', createPostOrder(configWith({ FAULTS_ENABLED: 'true' })));

/** Characters that must never reach the store, and some that are fine (combining marks, astral, RTL letters). */
const NASTY = [
  '\u0000',
  '\u0007',
  '\t',
  '\n',
  '\r',
  '\u001B',
  '\u007F',
  '\u0085',
  '\u009F',
  '\u061C',
  '\u200E',
  '\u200F',
  '\u2028',
  '\u2029',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\uD800',
  '\uDBFF',
  '\uDC00',
  '\uDFFF',
  '\uFFFD',
];
const FINE = ['e\u0301', 'u\u0308', '\u00E9', '\u{1F600}', '\u05D0', '\u0627', '\u4E2D', '\u200D', '\uFEFF', ' ', '"', '\\', '/', '<script>', '%00'];

const nasty = fc.constantFrom(...NASTY);
/** Text with, somewhere, zero or more characters of either kind; `unit: 'binary'` adds any code point, lone surrogates included. */
const wildText = fc
  .array(fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), nasty, fc.constantFrom(...FINE)), { maxLength: 8 })
  .map((parts) => parts.join(''));
/** Text that passes: safe characters only, lengths within limits (astral characters count once). */
const safeChar = fc.oneof(
  fc.constantFrom(...FINE),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }).filter((c) => SAFE_TEXT.test(c)),
);
const safeText = (min: number, max: number) =>
  fc
    .array(safeChar, { minLength: min, maxLength: max })
    .map((cs) => cs.join(''))
    .filter((s) => {
      const n = [...s.normalize('NFC')].length;
      return n >= min && n <= max && SAFE_TEXT.test(s);
    });

const L = ORDER_LIMITS;
const goodOrder = fc.record(
  {
    customerId: safeText(1, 20),
    email: fc.constantFrom('ada@example.com', 'a.b+c@x.co.uk'),
    currency: fc.constantFrom('USD', 'EUR', 'GBP'),
    items: fc.uniqueArray(fc.record({ sku: safeText(1, 12), quantity: fc.integer({ min: L.minQuantity, max: L.maxQuantity }) }), {
      minLength: 1,
      maxLength: 5,
      selector: (l) => l.sku.normalize('NFC'),
    }),
    paymentToken: safeText(1, 30),
    shippingAddress: fc.record(
      { line1: safeText(1, 30), line2: safeText(0, 30), city: safeText(1, 30), postalCode: safeText(1, 10), country: fc.constantFrom('GB', 'BE', 'JP') },
      { requiredKeys: ['line1', 'city', 'postalCode', 'country'] },
    ),
  },
  { requiredKeys: ['customerId', 'email', 'currency', 'items'] },
);

/** A valid order with one text field (or several) replaced by wild text, a key added, or a value of another type. */
const TEXT_PATHS = [
  'customerId',
  'email',
  'currency',
  'paymentToken',
  'items.0.sku',
  'shippingAddress.line1',
  'shippingAddress.line2',
  'shippingAddress.city',
  'shippingAddress.postalCode',
  'shippingAddress.country',
];
function setPath(target: any, path: string, value: unknown) {
  const keys = path.split('.');
  let at = target;
  for (const k of keys.slice(0, -1)) at = at[k];
  at[keys.at(-1)!] = value;
}
const mutatedOrder = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...TEXT_PATHS), fc.oneof(wildText, fc.jsonValue(), nasty)), { minLength: 1, maxLength: 3 }),
    fc.option(fc.tuple(fc.oneof(wildText, fc.constantFrom('__proto__', 'constructor', 'extra')), fc.jsonValue())),
  )
  .map(([edits, extra]) => {
    const order: any = validOrder();
    for (const [path, value] of edits) setPath(order, path, value);
    if (extra) Object.defineProperty(order, extra[0], { value: extra[1], enumerable: true });
    return order;
  });

/** The raw text of a body; JSON.stringify writes a lone surrogate as an escape, as a fuzzer's client does. */
const body = fc.oneof(
  { weight: 2, arbitrary: goodOrder.map((o) => JSON.stringify(o)) },
  { weight: 3, arbitrary: mutatedOrder.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(mutatedOrder, fc.integer({ min: MAX_BODY_BYTES - 200, max: MAX_BODY_BYTES + 200 }))
      .map(([o, n]) => JSON.stringify({ ...o, pad: 'x'.repeat(n) })),
  },
);

/** Bytes as the gateway may hand them over: base64 (any bytes, invalid UTF-8 included) or already text. */
const encodedBody = fc.oneof(
  body.map((text) => ({ body: text, isBase64Encoded: false })),
  fc.tuple(body, fc.uint8Array({ maxLength: 6 }), fc.nat()).map(([text, junk, at]) => {
    const bytes = Buffer.from(text, 'utf8');
    const i = bytes.length ? at % bytes.length : 0;
    return { body: Buffer.concat([bytes.subarray(0, i), Buffer.from(junk), bytes.subarray(i)]).toString('base64'), isBase64Encoded: true };
  }),
);

const headerValue = fc.oneof(fc.string({ maxLength: 80 }), wildText, fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.constant('publish-fail-once'));
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'text/plain',
      'application/json; charset=latin1',
      '',
    ),
    'idempotency-key': headerValue,
    'x-correlation-id': headerValue,
    'x-fault-inject': headerValue,
    authorization: headerValue,
  },
  { requiredKeys: ['content-type'] },
);

/** Every string anywhere in a value (keys included). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (out.push(k), strings(x, out));
  return out;
}

const transactions = () => ddbMock.commandCalls(TransactWriteCommand);

beforeAll(() => {
  // Thousands of requests: keep the log lines (tested elsewhere) out of the output.
  for (const level of ['debug', 'info', 'warn', 'error'] as const) vi.spyOn(logger, level).mockImplementation(() => undefined);
});
afterAll(() => vi.restoreAllMocks());

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(BatchGetCommand).resolves({ Responses: {} });
});

function expectRejection(res: Awaited<ReturnType<typeof postOrder>>) {
  expect(res.statusCode).toBeGreaterThanOrEqual(400);
  expect(res.statusCode).toBeLessThan(500);
  expect(res.headers?.['content-type']).toBe('application/json');
  const { error } = bodyOf(res);
  expect(ERROR_CODES).toContain(error.code);
  expect(error).toMatchObject({ message: expect.any(String), requestId: 'req-1' });
}

describe('POST /orders under generated input', { timeout: 120_000 }, () => {
  for (const faults of [false, true]) {
    it(`never throws, never 5xx; a rejection is a JSON 4xx that writes nothing; an acceptance stores only safe NFC text (fault hooks ${faults ? 'on' : 'off'})`, async () => {
      const post = faults ? postOrderWithFaults : postOrder;
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(encodedBody, headers, async (b, h) => {
          ddbMock.resetHistory();
          const res = await post(httpEvent({ ...b, headers: h }));
          if (res.statusCode === 202) {
            accepted += 1;
            expect(transactions()).toHaveLength(1);
            for (const s of strings(transactions()[0]!.args[0].input.TransactItems)) {
              expect(/[\uD800-\uDFFF]/u.test(s)).toBe(false); // no unpaired surrogate
              expect(s).toBe(s.normalize('NFC'));
              if (!/^(pk|sk)$/.test(s)) expect(SAFE_TEXT.test(s)).toBe(true);
            }
          } else {
            expectRejection(res);
            expect(transactions()).toHaveLength(0);
          }
        }),
        { numRuns: RUNS },
      );
      // The generators must reach the store sometimes, or the acceptance branch proved nothing.
      expect(accepted).toBeGreaterThan(0);
    });
  }

  it('accepts every well-formed order (unicode, combining marks and astral characters included), stored in NFC', async () => {
    await fc.assert(
      fc.asyncProperty(goodOrder, async (order) => {
        ddbMock.resetHistory();
        const res = await postOrder(postEvent(order));
        expect({ status: res.statusCode, body: res.statusCode === 202 ? undefined : res.body }).toEqual({ status: 202, body: undefined });
        const stored = transactions()[0]!.args[0].input.TransactItems![0]!.Put!.Item!;
        expect(stored.customerId).toBe(order.customerId.normalize('NFC'));
        expect(stored.items.map((l: { sku: string }) => l.sku)).toEqual(order.items.map((l) => l.sku.normalize('NFC')));
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('rejects any text field holding a forbidden character with a 400 naming that field, whatever surrounds it', async () => {
    const fields = ['customerId', 'paymentToken', 'items.0.sku', 'shippingAddress.line1', 'shippingAddress.city', 'shippingAddress.postalCode'];
    const named = (path: string) => path.replace(/\.(\d+)\./, '[$1].');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), fc.string({ maxLength: 3 }), nasty, fc.string({ maxLength: 3 }), async (path, before, bad, after) => {
        ddbMock.resetHistory();
        const order: any = validOrder();
        setPath(order, path, `${before}${bad}${after}`);
        const res = await postOrder(postEvent(order));
        expect(res.statusCode).toBe(400);
        // U+FFFD is refused with the body (it is what a gateway leaves of invalid bytes); the rest name their field.
        if (bad === '\uFFFD') expect(bodyOf(res).error.code).toBe('MALFORMED_JSON');
        else expect(bodyOf(res).error.details.map((d: { path: string }) => d.path)).toContain(named(path));
        expect(transactions()).toHaveLength(0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('GET /orders/{orderId} under generated input', { timeout: 120_000 }, () => {
  it('never throws, never 5xx: any path value and header is a JSON 404 (no such order), and only a UUID reaches the store', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    await fc.assert(
      fc.asyncProperty(fc.oneof(wildText, fc.uuid(), fc.string({ unit: 'binary' })), headers, async (orderId, h) => {
        ddbMock.resetHistory();
        const res = await getOrder(httpEvent({ method: 'GET', rawPath: `/orders/${orderId}`, pathParameters: { orderId }, headers: h }));
        expect(res.statusCode).toBe(404);
        expectRejection(res);
        expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(uuid.test(orderId) ? 1 : 0);
      }),
      { numRuns: RUNS },
    );
  });
});
