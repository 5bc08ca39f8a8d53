import { describe, expect, it } from 'vitest';
import { deterministicEventId } from '../../../lambdas/core/ids';
import { PAYLOADS } from '../../../lambdas/core/events';
import { z } from 'zod/mini';
import { formatPath, ORDER_LIMITS, orderPlaced, orderRequestSchema, requestHash, validateOrder } from '../../../lambdas/core/order';

const valid = () => ({
  customerId: 'c-1',
  email: 'jane@example.com',
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 1 }],
});

const errorsOf = (body: unknown) => {
  const v = validateOrder(body);
  if (v.ok) throw new Error('expected the order to be invalid');
  return v.errors;
};
const pathsOf = (body: unknown) => errorsOf(body).map((e) => e.path);

describe('validateOrder', () => {
  it('accepts a minimal order and a full one', () => {
    expect(validateOrder(valid())).toEqual({ ok: true, order: valid() });
    const full = { ...valid(), paymentToken: 'tok_1', shippingAddress: { line1: 'a', line2: 'b', city: 'c', postalCode: '1000', country: 'BE' } };
    expect(validateOrder(full)).toEqual({ ok: true, order: full });
  });

  it('lists every offending field in one answer', () => {
    expect(
      pathsOf({
        customerId: '',
        email: 'not-an-email',
        currency: 'eur',
        items: [
          { sku: '', quantity: 0 },
          { sku: 'A', quantity: 1.5 },
        ],
        paymentToken: 5,
        shippingAddress: { line1: 'x', city: 'y', postalCode: '1', country: 'gbr' },
      }).sort(),
    ).toEqual(['currency', 'customerId', 'email', 'items[0].quantity', 'items[0].sku', 'items[1].quantity', 'paymentToken', 'shippingAddress.country'].sort());
  });

  it('reports missing required fields by name', () => {
    expect(pathsOf({}).sort()).toEqual(['currency', 'customerId', 'email', 'items']);
    expect(pathsOf(null)).toEqual(['(body)']);
    expect(pathsOf([valid()])).toEqual(['(body)']);
  });

  it('enforces the limits at their edges', () => {
    const L = ORDER_LIMITS;
    const lines = (n: number) => Array.from({ length: n }, (_, i) => ({ sku: `S-${i}`, quantity: 1 }));
    expect(validateOrder({ ...valid(), items: lines(L.maxItems) }).ok).toBe(true);
    expect(pathsOf({ ...valid(), items: lines(L.maxItems + 1) })).toEqual(['items']);
    expect(pathsOf({ ...valid(), items: [] })).toEqual(['items']);
    expect(validateOrder({ ...valid(), items: [{ sku: 'x'.repeat(L.skuMaxLength), quantity: L.maxQuantity }] }).ok).toBe(true);
    expect(pathsOf({ ...valid(), items: [{ sku: 'x'.repeat(L.skuMaxLength + 1), quantity: L.maxQuantity + 1 }] })).toEqual([
      'items[0].sku',
      'items[0].quantity',
    ]);
    expect(validateOrder({ ...valid(), customerId: 'c'.repeat(L.customerIdMaxLength) }).ok).toBe(true);
    expect(pathsOf({ ...valid(), customerId: 'c'.repeat(L.customerIdMaxLength + 1) })).toEqual(['customerId']);
    expect(pathsOf({ ...valid(), email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.com` })).toEqual(['email']);
    expect(pathsOf({ ...valid(), paymentToken: 't'.repeat(L.paymentTokenMaxLength + 1) })).toEqual(['paymentToken']);
    expect(
      pathsOf({
        ...valid(),
        shippingAddress: { line1: 'l'.repeat(L.addressLineMaxLength + 1), city: 'c', postalCode: 'p'.repeat(L.postalCodeMaxLength + 1), country: 'GB' },
      }),
    ).toEqual(['shippingAddress.line1', 'shippingAddress.postalCode']);
  });

  it('names each duplicate SKU, also when other fields are wrong', () => {
    const dup = {
      ...valid(),
      items: [
        { sku: 'SKU-1', quantity: 1 },
        { sku: 'SKU-2', quantity: 1 },
        { sku: 'SKU-1', quantity: 3 },
      ],
    };
    expect(errorsOf(dup)).toEqual([{ path: 'items[2].sku', message: expect.stringContaining('duplicate SKU (first at items[0])') }]);
    expect(pathsOf({ ...dup, currency: 'usd', items: [...dup.items.slice(0, 2), { sku: 'SKU-1', quantity: 0 }] }).sort()).toEqual([
      'currency',
      'items[2].quantity',
      'items[2].sku',
    ]);
  });

  it('rejects unknown keys, including __proto__ and constructor, one detail per key', () => {
    expect(errorsOf({ ...valid(), isAdmin: true })).toEqual([{ path: 'isAdmin', message: 'unknown field' }]);
    expect(
      pathsOf(
        JSON.parse(
          `{"customerId":"c","email":"a@b.co","currency":"USD","items":[{"sku":"A","quantity":1,"__proto__":{"x":1}}],"__proto__":{"admin":true},"constructor":{"prototype":{}}}`,
        ),
      ).sort(),
    ).toEqual(['__proto__', 'constructor', 'items[0].__proto__']);
    expect(pathsOf({ ...valid(), shippingAddress: { line1: 'a', city: 'c', postalCode: '1', country: 'GB', state: 'x' } })).toEqual(['shippingAddress.state']);
  });

  it("words zod's own checks in English (zod/mini loads no locale unless configured): the 400 details clients see", () => {
    const body = {
      customerId: '',
      email: 'x',
      currency: 7,
      items: [
        { sku: 'a', quantity: 1.5 },
        { sku: 'b', quantity: 1001 },
        { sku: 'c', quantity: '1' },
      ],
      paymentToken: 5,
      shippingAddress: null,
    };
    expect(errorsOf(body)).toEqual([
      { path: 'customerId', message: 'Too small: expected string to have >=1 characters' },
      { path: 'email', message: 'Invalid email address' },
      { path: 'currency', message: 'Invalid input: expected string, received number' },
      { path: 'items[0].quantity', message: 'Invalid input: expected int, received number' },
      { path: 'items[1].quantity', message: 'Too big: expected number to be <=1000' },
      { path: 'items[2].quantity', message: 'Invalid input: expected number, received string' },
      { path: 'paymentToken', message: 'Invalid input: expected string, received number' },
      { path: 'shippingAddress', message: 'Invalid input: expected object, received null' },
    ]);
    expect(errorsOf({ ...valid(), items: [] })).toEqual([{ path: 'items', message: 'Too small: expected array to have >=1 items' }]);
  });

  it('never quotes a submitted value in a message', () => {
    const secret = 'leaky.value@nowhere';
    for (const e of errorsOf({ customerId: 1, email: secret, currency: secret, items: [{ sku: 1, quantity: secret }], paymentToken: 7 }))
      expect(e.message).not.toContain(secret);
  });
});

describe('validateOrder: text, codes and the duplicate rule, worded as clients read them', () => {
  const messagesOf = (body: unknown) => errorsOf(body).map((e) => `${e.path}: ${e.message}`);
  const UNSAFE = 'must not contain control characters, bidirectional formatting characters, unpaired surrogates or U+FFFD';

  it('refuses an unsafe character anywhere in a text field, first, middle or last', () => {
    for (const customerId of ['\u0000c', 'c\u202Ed', 'c\u0007'])
      expect(messagesOf({ ...valid(), customerId }), JSON.stringify(customerId)).toEqual([`customerId: ${UNSAFE}`]);
  });

  it('says how long a text may be, and still reports its other problems (one 400 lists them all)', () => {
    expect(messagesOf({ ...valid(), customerId: `${'c'.repeat(128)}\u0000` })).toEqual(['customerId: must be at most 128 characters', `customerId: ${UNSAFE}`]);
  });

  it('a country is two upper-case letters and a currency three, nothing before or after', () => {
    const address = { line1: 'l', city: 'c', postalCode: 'p' };
    for (const country of ['GBR', 'XGB', 'gb'])
      expect(messagesOf({ ...valid(), shippingAddress: { ...address, country } })).toEqual([
        'shippingAddress.country: expected an ISO 3166-1 alpha-2 country code (2 uppercase letters)',
      ]);
    for (const currency of ['EURO', 'XEUR', 'eur'])
      expect(messagesOf({ ...valid(), currency })).toEqual(['currency: expected an ISO 4217 currency code (3 uppercase letters)']);
  });

  it('checks for duplicate SKUs even when another line is malformed', () => {
    const items = [
      { sku: 'A', quantity: 1 },
      { sku: 5, quantity: 1 },
      { sku: 'A', quantity: 1 },
    ];
    expect(pathsOf({ ...valid(), items })).toEqual(['items[1].sku', 'items[2].sku']);
  });

  it('publishes its limits and the duplicate rule in the JSON Schema the OpenAPI document is built from', () => {
    const schema = z.toJSONSchema(orderRequestSchema, { target: 'draft-2020-12', io: 'input' }) as any;
    expect(schema.properties.customerId.maxLength).toBe(128);
    expect(schema.properties.items.items.properties.sku.maxLength).toBe(64);
    expect(schema.properties.items.description).toBe('Each SKU at most once.');
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets and fields with dots', () => {
    expect(formatPath(['items', 3, 'sku'])).toBe('items[3].sku');
    expect(formatPath([])).toBe('(body)');
  });
});

describe('requestHash', () => {
  it('ignores key order and tells different bodies apart', () => {
    const a = valid();
    const b = { items: [{ quantity: 1, sku: 'SKU-1' }], currency: 'EUR', email: 'jane@example.com', customerId: 'c-1' };
    expect(requestHash(a)).toBe(requestHash(b));
    expect(requestHash({ ...a, items: [{ sku: 'SKU-1', quantity: 2 }] })).not.toBe(requestHash(a));
  });

  it('leaves the payment token out (no stored hash covers it)', () => {
    // Fails on c5101ed: the token was part of the hashed body.
    const v = validateOrder(valid());
    if (!v.ok) throw new Error('invalid fixture');
    expect(requestHash({ ...v.order, paymentToken: 'tok_a' })).toBe(requestHash(v.order));
    expect(requestHash({ ...v.order, paymentToken: 'tok_a' })).toBe(requestHash({ ...v.order, paymentToken: 'tok_b' }));
  });
});

describe('orderPlaced', () => {
  it('builds the envelope with the deterministic id and a valid payload', () => {
    const e = orderPlaced(
      'o-1',
      { ...valid(), paymentToken: 'tok_1', shippingAddress: { line1: 'a', city: 'c', postalCode: '1', country: 'BE' } },
      'corr-1',
      '2024-05-01T10:00:00.000Z',
    );
    expect(e).toEqual({
      eventId: deterministicEventId('o-1', 'orders', 'OrderPlaced'),
      eventType: 'OrderPlaced',
      schemaVersion: 1,
      occurredAt: '2024-05-01T10:00:00.000Z',
      correlationId: 'corr-1',
      orderId: 'o-1',
      // Never the payment token (it has an item of its own that only payment reads), nor the address.
      payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] },
    });
    expect(JSON.stringify(e)).not.toContain('tok_1');
    expect(PAYLOADS.OrderPlaced.parse(e.payload)).toEqual(e.payload);
    expect('paymentToken' in orderPlaced('o-1', valid(), 'c', 't').payload).toBe(false);
  });
});
