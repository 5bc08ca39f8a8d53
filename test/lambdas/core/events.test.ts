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
