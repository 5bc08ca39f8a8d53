import { describe, expect, it } from 'vitest';
import { outcomeEvent, parseEnvelope, SCHEMA_VERSION } from '../../../lambdas/core/events';

const placed = {
  eventId: 'e-1',
  eventType: 'OrderPlaced',
  schemaVersion: SCHEMA_VERSION,
  occurredAt: '2026-01-01T00:00:00.000Z',
  correlationId: 'c-1',
  orderId: 'o-1',
  payload: { customerId: 'cu', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 2 }] },
};
const body = (over: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) =>
  JSON.stringify({ ...placed, ...over, payload: { ...placed.payload, ...payload } });

describe('parseEnvelope (zod/mini schemas)', () => {
  it('accepts a valid envelope and returns it typed', () => {
    expect(parseEnvelope(body())).toEqual(placed);
  });
  it.each([
    ['a fractional quantity', {}, { items: [{ sku: 'SKU-1', quantity: 2.5 }] }],
    ['a zero quantity', {}, { items: [{ sku: 'SKU-1', quantity: 0 }] }],
    ['no items', {}, { items: [] }],
    ['51 items', {}, { items: Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })) }],
    ['a lower-case currency', {}, { currency: 'usd' }],
    ['an empty sku', {}, { items: [{ sku: '', quantity: 1 }] }],
    ['an unknown event type', { eventType: 'Nope' }, {}],
    ['another schema version', { schemaVersion: 2 }, {}],
    ['an empty event id', { eventId: '' }, {}],
    ['an order id over 64 characters', { orderId: 'x'.repeat(65) }, {}],
  ])('rejects %s with schema issues', (_name, over, payload) => {
    const err = (() => {
      try {
        parseEnvelope(body(over, payload));
      } catch (e) {
        return e as { issues?: unknown[] };
      }
      return undefined;
    })();
    expect(err?.issues?.length).toBeGreaterThan(0);
  });
  it("names a payload field's issue by its place in the envelope (payload.items.0.quantity), not as if it were a header field", () => {
    const issues = (() => {
      try {
        parseEnvelope(body({}, { items: [{ sku: 'SKU-1', quantity: 0 }] }));
      } catch (e) {
        return (e as { issues?: { path: PropertyKey[] }[] }).issues;
      }
    })();
    expect(issues?.map((i) => i.path)).toEqual([['payload', 'items', 0, 'quantity']]);
  });
  it('rejects negative cents in an outcome', () => {
    const e = outcomeEvent('PaymentCharged', { orderId: 'o-1', correlationId: 'c-1' }, 'payment', { amountCents: -1, currency: 'USD', chargeId: 'ch' });
    expect(() => parseEnvelope(JSON.stringify(e))).toThrow();
    expect(parseEnvelope(JSON.stringify({ ...e, payload: { ...e.payload, amountCents: 5 } })).payload).toEqual({
      amountCents: 5,
      currency: 'USD',
      chargeId: 'ch',
    });
  });
});

describe('the payload schema of every event type', () => {
  // One valid payload per type (the event table of docs/architecture.md names the types; every key is required).
  const VALID: Record<string, Record<string, unknown>> = {
    OrderPlaced: { customerId: 'cu', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1 }] },
    PaymentCharged: { amountCents: 500, currency: 'USD', chargeId: 'ch-1' },
    PaymentDeclined: { amountCents: 500, currency: 'USD', reason: 'card declined' },
    OrderRejected: { reason: 'UNKNOWN_SKU', skus: ['SKU-X'] },
    StockReserved: { skus: ['SKU-1'] },
    StockBackordered: { skus: ['SKU-OOS'] },
    OrderConfirmed: { amountCents: 500, currency: 'USD', confirmedAt: '2026-01-01T00:00:01.000Z' },
    OrderCancelled: { reason: 'OUT_OF_STOCK', currency: 'USD', cancelledAt: '2026-01-01T00:00:01.000Z' },
  };
  const envelope = (eventType: string, payload: Record<string, unknown>) => JSON.stringify({ ...placed, eventType, payload });

  it.each(Object.entries(VALID))('%s: a full payload parses as it is', (type, payload) => {
    expect(parseEnvelope(envelope(type, payload)).payload).toEqual(payload);
  });

  it.each(Object.entries(VALID).flatMap(([type, payload]) => Object.keys(payload).map((key) => [type, key, payload] as const)))(
    '%s: a payload without %s is refused',
    (type, key, payload) => {
      const { [key]: _dropped, ...rest } = payload;
      expect(() => parseEnvelope(envelope(type, rest))).toThrow();
    },
  );

  it('a currency is exactly three upper-case letters, in every payload that carries one', () => {
    for (const currency of ['USDX', 'XUSD', 'US', 'usd'])
      for (const type of ['OrderPlaced', 'PaymentCharged', 'OrderCancelled'])
        expect(() => parseEnvelope(envelope(type, { ...VALID[type], currency })), `${type} ${currency}`).toThrow();
  });

  it("OrderRejected's only reason is UNKNOWN_SKU; OrderCancelled has exactly its four", () => {
    expect(() => parseEnvelope(envelope('OrderRejected', { ...VALID.OrderRejected, reason: 'OUT_OF_STOCK' }))).toThrow();
    for (const reason of ['PAYMENT_DECLINED', 'OUT_OF_STOCK', 'UNKNOWN_SKU', 'TIMEOUT'])
      expect(parseEnvelope(envelope('OrderCancelled', { ...VALID.OrderCancelled, reason })).payload).toMatchObject({ reason });
    for (const reason of ['', 'CANCELLED', 'timeout']) expect(() => parseEnvelope(envelope('OrderCancelled', { ...VALID.OrderCancelled, reason }))).toThrow();
  });
});
