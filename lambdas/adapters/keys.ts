/**
 * Item layout of the tables (single-table per concern, string keys `pk` / `sk`).
 *
 * orders table (stream NEW_IMAGE feeds the outbox relay):
 *   ORDER#<id> / ORDER              the accepted order, immutable (no payment token)
 *   ORDER#<id> / LIFECYCLE          small item: status, payment/inventory outcomes, total, reason
 *   ORDER#<id> / STATUS#<service>   small item per service: what a client sees of its progress
 *   ORDER#<id> / OUTBOX#<eventId>   the event to publish (written in the same transaction as the order)
 *   IDEMPOTENCY#<customer>#<key> / IDEMPOTENCY   API Idempotency-Key record (expires)
 *   FAULT#<eventId> / FAULT         local stage only: the relay's publish-fail-once hook fired (expires)
 * catalog table:        pk = <sku>: name, unitPriceCents, stock
 * each service's table: INBOX#<eventId> / INBOX (expires), plus the records of its effects
 */
export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });
export const lifecycleKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'LIFECYCLE' });
export const statusKey = (orderId: string, service: string) => ({ pk: `ORDER#${orderId}`, sk: `STATUS#${service}` });
export const outboxKey = (orderId: string, eventId: string) => ({ pk: `ORDER#${orderId}`, sk: `OUTBOX#${eventId}` });
export const apiIdempotencyKey = (customerId: string, key: string) => ({
  pk: `IDEMPOTENCY#${customerId}#${key}`,
  sk: 'IDEMPOTENCY',
});
export const faultKey = (eventId: string) => ({ pk: `FAULT#${eventId}`, sk: 'FAULT' });
export const inboxKey = (eventId: string) => ({ pk: `INBOX#${eventId}`, sk: 'INBOX' });
export const orderPartition = (orderId: string) => `ORDER#${orderId}`;

/** TTL attribute name on every table that has expiring items. */
export const TTL_ATTRIBUTE = 'expiresAt';
export const epochSeconds = (now = Date.now()) => Math.floor(now / 1000);
