import { describe, expect, it } from 'vitest';
import { outcomeEvent } from '../../../lambdas/core/events';
import { decide, isInventoryOutcome, isPaymentOutcome, outcomeOf, type InventoryOutcome, type PaymentOutcome } from '../../../lambdas/core/lifecycle';

describe('decide', () => {
  // Every combination of the two outcomes, with the decision expected for it.
  const table: [PaymentOutcome, InventoryOutcome, ReturnType<typeof decide>][] = [
    ['CHARGED', 'RESERVED', { status: 'CONFIRMED' }],
    ['CHARGED', 'BACKORDERED', { status: 'CANCELLED', reason: 'OUT_OF_STOCK' }],
    ['DECLINED', 'RESERVED', { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' }],
    ['DECLINED', 'BACKORDERED', { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' }],
    ['REJECTED', 'RESERVED', { status: 'CANCELLED', reason: 'UNKNOWN_SKU' }],
    ['REJECTED', 'BACKORDERED', { status: 'CANCELLED', reason: 'UNKNOWN_SKU' }],
  ];
  it.each(table)('payment %s + inventory %s', (payment, inventory, expected) => {
    expect(decide(payment, inventory)).toEqual(expected);
  });
});

describe('outcomeOf', () => {
  const cause = { orderId: 'o-1', correlationId: 'c-1' };
  it('maps each consumed event to its slot', () => {
    expect(outcomeOf(outcomeEvent('PaymentCharged', cause, 'payment', { amountCents: 500, currency: 'USD', chargeId: 'ch_1' }))).toEqual({
      service: 'payment',
      outcome: 'CHARGED',
      amountCents: 500,
      currency: 'USD',
    });
    expect(outcomeOf(outcomeEvent('PaymentDeclined', cause, 'payment', { amountCents: 500, currency: 'EUR', reason: 'card_declined' }))).toEqual({
      service: 'payment',
      outcome: 'DECLINED',
      amountCents: 500,
      currency: 'EUR',
    });
    expect(outcomeOf(outcomeEvent('OrderRejected', cause, 'payment', { reason: 'UNKNOWN_SKU', skus: ['X'] }))).toEqual({
      service: 'payment',
      outcome: 'REJECTED',
    });
    expect(outcomeOf(outcomeEvent('StockReserved', cause, 'inventory', { skus: ['SKU-1'] }))).toEqual({
      service: 'inventory',
      outcome: 'RESERVED',
      skus: ['SKU-1'],
    });
    expect(outcomeOf(outcomeEvent('StockBackordered', cause, 'inventory', { skus: ['SKU-OOS'] }))).toEqual({
      service: 'inventory',
      outcome: 'BACKORDERED',
      skus: ['SKU-OOS'],
    });
  });

  it('returns undefined for events the aggregator does not consume', () => {
    const confirmed = outcomeEvent('OrderConfirmed', cause, 'orders', { amountCents: 1, currency: 'USD', confirmedAt: '2024-01-01T00:00:00Z' });
    expect(outcomeOf(confirmed)).toBeUndefined();
  });

  it('recognises stored outcome values', () => {
    expect(isPaymentOutcome('CHARGED')).toBe(true);
    expect(isPaymentOutcome('RESERVED')).toBe(false);
    expect(isInventoryOutcome('BACKORDERED')).toBe(true);
    expect(isInventoryOutcome(undefined)).toBe(false);
  });
});

describe('isPaymentOutcome / isInventoryOutcome (values read back from the LIFECYCLE item)', () => {
  it.each(['CHARGED', 'DECLINED', 'REJECTED'])('%s is a payment outcome, not an inventory one', (v) => {
    expect(isPaymentOutcome(v)).toBe(true);
    expect(isInventoryOutcome(v)).toBe(false);
  });

  it.each(['RESERVED', 'BACKORDERED'])('%s is an inventory outcome, not a payment one', (v) => {
    expect(isInventoryOutcome(v)).toBe(true);
    expect(isPaymentOutcome(v)).toBe(false);
  });

  it.each(['', 'charged', 'PENDING', 1, null])('%j is neither', (v) => {
    expect(isPaymentOutcome(v)).toBe(false);
    expect(isInventoryOutcome(v)).toBe(false);
  });
});
