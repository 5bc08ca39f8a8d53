/**
 * The names of the event contract, without its schemas (core/events.ts builds those with zod): importable by a
 * function that only needs the names (GET /orders/{id} shows a cancellation's reason) without loading zod at init.
 */
export const EVENT_TYPES = [
  'OrderPlaced',
  'PaymentCharged',
  'PaymentDeclined',
  'OrderRejected',
  'StockReserved',
  'StockBackordered',
  'OrderConfirmed',
  'OrderCancelled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Why an order can be cancelled (OrderCancelled's `reason`); TIMEOUT: undecided at the order's deadline. */
export const CANCEL_REASONS = ['PAYMENT_DECLINED', 'OUT_OF_STOCK', 'UNKNOWN_SKU', 'TIMEOUT'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];
