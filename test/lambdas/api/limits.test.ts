/**
 * Every documented limit of POST /orders at its edge: the last allowed value is accepted (202, one transaction) and
 * the first refused one is a 400/413 that writes nothing. The numbers are typed in from the README and
 * docs/openapi.json, never read from the code's constants, so a moved limit or an off-by-one (`>` for `>=`) fails here.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bodyOf, checked, configWith, ddbMock, postEvent, validOrder } from './fixtures';
import { createHandler } from '../../../lambdas/api/post-order';

const handler = checked('placeOrder', createHandler(configWith()));

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
});
afterEach(() => ddbMock.reset());

const transactionCount = () => ddbMock.commandCalls(TransactWriteCommand).length;

/** A valid order's JSON padded with trailing spaces (still valid JSON) to exactly `bytes` bytes. */
function bodyOfBytes(bytes: number): string {
  const json = JSON.stringify(validOrder());
  expect(Buffer.byteLength(json)).toBeLessThan(bytes);
  return json + ' '.repeat(bytes - Buffer.byteLength(json));
}

async function expectAccepted(body: unknown, headers: Record<string, string> = {}) {
  const res = await handler(postEvent(body, { headers }));
  expect(res.statusCode, JSON.stringify(res.body)).toBe(202);
  expect(transactionCount()).toBe(1);
  return res;
}

async function expectRefused(status: number, code: string, body: unknown, headers: Record<string, string> = {}, isBase64Encoded = false) {
  const res = await handler(postEvent(body, { headers, isBase64Encoded }));
  expect(res.statusCode).toBe(status);
  expect(bodyOf(res).error.code).toBe(code);
  expect(transactionCount()).toBe(0);
  return bodyOf(res).error as { details?: { path: string }[] };
}

describe('body size: at most 32 KiB = 32,768 bytes (413 above)', () => {
  it('32,768 bytes is accepted', async () => {
    const body = bodyOfBytes(32_768);
    expect(Buffer.byteLength(body)).toBe(32_768);
    await expectAccepted(body);
  });

  it('32,769 bytes is 413 PAYLOAD_TOO_LARGE', async () => {
    const error = await expectRefused(413, 'PAYLOAD_TOO_LARGE', bodyOfBytes(32_769));
    expect(error).toMatchObject({ message: 'the body must be at most 32768 bytes' });
  });

  it('the limit counts decoded bytes of a base64 body: 32,768 accepted, 32,769 refused', async () => {
    const b64 = (n: number) => Buffer.from(bodyOfBytes(n)).toString('base64');
    expect((await handler(postEvent(b64(32_768), { isBase64Encoded: true }))).statusCode).toBe(202);
    ddbMock.resetHistory();
    await expectRefused(413, 'PAYLOAD_TOO_LARGE', b64(32_769), {}, true);
  });
});

const lines = (n: number) => Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));

/** [what, last accepted body, first refused body, the refused field's path] */
const FIELD_LIMITS: [string, () => unknown, () => unknown, string][] = [
  ['items: 50 lines', () => ({ ...validOrder(), items: lines(50) }), () => ({ ...validOrder(), items: lines(51) }), 'items'],
  ['items: at least 1 line', () => ({ ...validOrder(), items: lines(1) }), () => ({ ...validOrder(), items: [] }), 'items'],
  [
    'quantity: at most 1000',
    () => ({ ...validOrder(), items: [{ sku: 'SKU-1', quantity: 1000 }] }),
    () => ({ ...validOrder(), items: [{ sku: 'SKU-1', quantity: 1001 }] }),
    'items[0].quantity',
  ],
  [
    'quantity: at least 1',
    () => ({ ...validOrder(), items: [{ sku: 'SKU-1', quantity: 1 }] }),
    () => ({ ...validOrder(), items: [{ sku: 'SKU-1', quantity: 0 }] }),
    'items[0].quantity',
  ],
  [
    'quantity: whole numbers',
    () => ({ ...validOrder(), items: [{ sku: 'SKU-1', quantity: 2 }] }),
    () => ({ ...validOrder(), items: [{ sku: 'SKU-1', quantity: 1.5 }] }),
    'items[0].quantity',
  ],
  [
    'sku: 64 characters',
    () => ({ ...validOrder(), items: [{ sku: 'S'.repeat(64), quantity: 1 }] }),
    () => ({ ...validOrder(), items: [{ sku: 'S'.repeat(65), quantity: 1 }] }),
    'items[0].sku',
  ],
  [
    'sku: not empty',
    () => ({ ...validOrder(), items: [{ sku: 'S', quantity: 1 }] }),
    () => ({ ...validOrder(), items: [{ sku: '', quantity: 1 }] }),
    'items[0].sku',
  ],
  [
    'customerId: 128 characters',
    () => ({ ...validOrder(), customerId: 'c'.repeat(128) }),
    () => ({ ...validOrder(), customerId: 'c'.repeat(129) }),
    'customerId',
  ],
  ['customerId: not empty', () => ({ ...validOrder(), customerId: 'c' }), () => ({ ...validOrder(), customerId: '' }), 'customerId'],
  // 64 + 1 + 63 + 1 + 63 + 1 + 57 + 4 = 254 characters, every part within its own RFC limit; one more is 255.
  ['email: 254 characters', () => ({ ...validOrder(), email: longEmail(57) }), () => ({ ...validOrder(), email: longEmail(58) }), 'email'],
  [
    'paymentToken: 128 characters',
    () => ({ ...validOrder(), paymentToken: 't'.repeat(128) }),
    () => ({ ...validOrder(), paymentToken: 't'.repeat(129) }),
    'paymentToken',
  ],
  ['paymentToken: not empty', () => ({ ...validOrder(), paymentToken: 't' }), () => ({ ...validOrder(), paymentToken: '' }), 'paymentToken'],
  ['address line1: 128 characters', () => withAddress({ line1: 'l'.repeat(128) }), () => withAddress({ line1: 'l'.repeat(129) }), 'shippingAddress.line1'],
  ['address line2: 128 characters', () => withAddress({ line2: 'l'.repeat(128) }), () => withAddress({ line2: 'l'.repeat(129) }), 'shippingAddress.line2'],
  ['address city: 128 characters', () => withAddress({ city: 'c'.repeat(128) }), () => withAddress({ city: 'c'.repeat(129) }), 'shippingAddress.city'],
  [
    'address postalCode: 16 characters',
    () => withAddress({ postalCode: 'P'.repeat(16) }),
    () => withAddress({ postalCode: 'P'.repeat(17) }),
    'shippingAddress.postalCode',
  ],
  ['currency: 3 uppercase letters', () => ({ ...validOrder(), currency: 'EUR' }), () => ({ ...validOrder(), currency: 'EURO' }), 'currency'],
  ['country: 2 uppercase letters', () => withAddress({ country: 'DE' }), () => withAddress({ country: 'DEU' }), 'shippingAddress.country'],
];

function longEmail(lastLabel: number): string {
  return `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(lastLabel)}.com`;
}

function withAddress(over: Record<string, string>) {
  const order = validOrder();
  return { ...order, shippingAddress: { ...order.shippingAddress, ...over } };
}

describe.each(FIELD_LIMITS)('%s', (_what, accepted, refused, path) => {
  it('the last allowed value is accepted', async () => {
    await expectAccepted(accepted());
  });

  it('one past it is 400 VALIDATION_FAILED naming only that field', async () => {
    const error = await expectRefused(400, 'VALIDATION_FAILED', refused());
    expect(error.details?.map((d) => d.path)).toEqual([path]);
  });
});

it('the e-mail lengths of the table are what they claim', () => {
  expect(longEmail(57)).toHaveLength(254);
  expect(longEmail(58)).toHaveLength(255);
});

describe('Idempotency-Key: 1 to 64 characters of [A-Za-z0-9_-]', () => {
  it.each([
    ['1 character', 'k'],
    ['64 characters', 'K'.repeat(64)],
    ['every allowed character', 'azAZ09_-'],
  ])('%s is accepted and becomes the key record', async (_what, key) => {
    await expectAccepted(validOrder(), { 'idempotency-key': key });
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items[items.length - 1]!.Put!.Item!.pk).toBe(`IDEMPOTENCY#c-1#${key}`);
  });

  it.each([
    ['65 characters', 'K'.repeat(65)],
    ['empty', ''],
    ['a space', 'a b'],
    ['a dot', 'a.b'],
    ['a non-ASCII letter', 'é'],
  ])('%s is 400 INVALID_IDEMPOTENCY_KEY', async (_what, key) => {
    const error = await expectRefused(400, 'INVALID_IDEMPOTENCY_KEY', validOrder(), { 'idempotency-key': key });
    expect(error.details?.map((d) => d.path)).toEqual(['Idempotency-Key']);
  });
});

describe('x-correlation-id: kept when 1 to 128 safe characters, else the request id', () => {
  const correlationOf = async (id: string) => {
    await expectAccepted(validOrder(), { 'x-correlation-id': id });
    return ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!.Item!.correlationId;
  };

  it('128 characters are kept', async () => {
    expect(await correlationOf('c'.repeat(128))).toBe('c'.repeat(128));
  });

  it('129 characters fall back to the request id', async () => {
    expect(await correlationOf('c'.repeat(129))).toBe('req-1');
  });
});
