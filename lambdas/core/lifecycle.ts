/**
 * The order lifecycle decision, as pure functions (no AWS types): the orders aggregator records one outcome per
 * upstream service (payment, inventory) and, once both are known, decides CONFIRMED or CANCELLED exactly once.
 */
import type { CancelReason, Envelope } from './events';

export type { CancelReason };
export type PaymentOutcome = 'CHARGED' | 'DECLINED' | 'REJECTED';
export type InventoryOutcome = 'RESERVED' | 'BACKORDERED';

export type Decision = { readonly status: 'CONFIRMED' } | { readonly status: 'CANCELLED'; readonly reason: CancelReason };

/**
 * CONFIRMED iff the payment was charged and the stock reserved. Otherwise CANCELLED, with the most specific reason
 * (an unknown SKU explains a decline-free rejection and usually the backorder too). The decision names no
 * compensation: on OrderCancelled payment and inventory each undo whatever their own records say they did.
 */
export function decide(payment: PaymentOutcome, inventory: InventoryOutcome): Decision {
  if (payment === 'CHARGED' && inventory === 'RESERVED') return { status: 'CONFIRMED' };
  const reason: CancelReason = payment === 'REJECTED' ? 'UNKNOWN_SKU' : payment === 'DECLINED' ? 'PAYMENT_DECLINED' : 'OUT_OF_STOCK';
  return { status: 'CANCELLED', reason };
}

/** The decision at the order's deadline when payment or inventory has not reported: cancel, whatever was done. */
export const TIMED_OUT: Decision = { status: 'CANCELLED', reason: 'TIMEOUT' };

/** What one upstream outcome event tells the aggregator. */
export type RecordedOutcome =
  | { readonly service: 'payment'; readonly outcome: PaymentOutcome; readonly amountCents?: number; readonly currency?: string }
  | { readonly service: 'inventory'; readonly outcome: InventoryOutcome; readonly skus: string[] };

/** Maps an outcome event to the slot it fills; undefined for events the aggregator does not consume. */
export function outcomeOf(event: Envelope): RecordedOutcome | undefined {
  switch (event.eventType) {
    case 'PaymentCharged':
      return { service: 'payment', outcome: 'CHARGED', amountCents: event.payload.amountCents, currency: event.payload.currency };
    case 'PaymentDeclined':
      return { service: 'payment', outcome: 'DECLINED', amountCents: event.payload.amountCents, currency: event.payload.currency };
    case 'OrderRejected':
      return { service: 'payment', outcome: 'REJECTED' };
    case 'StockReserved':
      return { service: 'inventory', outcome: 'RESERVED', skus: event.payload.skus };
    case 'StockBackordered':
      return { service: 'inventory', outcome: 'BACKORDERED', skus: event.payload.skus };
    // Stryker disable next-line ConditionalExpression: equivalent, every event type has its case (unreachable)
    default:
      return undefined;
  }
}

const PAYMENT_OUTCOMES: readonly string[] = ['CHARGED', 'DECLINED', 'REJECTED'];
const INVENTORY_OUTCOMES: readonly string[] = ['RESERVED', 'BACKORDERED'];

export const isPaymentOutcome = (v: unknown): v is PaymentOutcome => typeof v === 'string' && PAYMENT_OUTCOMES.includes(v);
export const isInventoryOutcome = (v: unknown): v is InventoryOutcome => typeof v === 'string' && INVENTORY_OUTCOMES.includes(v);
