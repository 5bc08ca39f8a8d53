/**
 * Item layout of the tables (single-table per concern, string keys `pk` / `sk`).
 *
 * orders table (stream NEW_IMAGE feeds the outbox relay):
 *   ORDER#<id> / ORDER              the accepted order, immutable (no payment token)
 *   ORDER#<id> / LIFECYCLE          small item: status, payment/inventory outcomes, total, reason
 *   ORDER#<id> / STATUS#<service>   small item per service: what a client sees of its progress
 *   ORDER#<id> / OUTBOX#<eventId>   the event to publish (written in the same transaction as the order); pending
 *                                   (in the sparse OUTBOX_PENDING_INDEX, no TTL) until published, then it expires
 *   PAYTOKEN#<id> / PAYTOKEN        the payment token, read only by payment, deleted once the charge is decided
 *   IDEMPOTENCY#<customer>#<key> / IDEMPOTENCY   API Idempotency-Key record (expires)
 *   FAULT#<eventId> / FAULT         local stage only: the relay's publish-fail-once hook fired (expires)
 * each service's table, local stage only: FAULT#<eventId>#<hook> / FAULT (a worker hook fired for that event) and
 *   FAULT#<orderId>#crash-in-provider / FAULT (payment's simulated provider crashed after the charge); expire
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
export const paymentTokenKey = (orderId: string) => ({ pk: `PAYTOKEN#${orderId}`, sk: 'PAYTOKEN' });
export const faultKey = (eventId: string) => ({ pk: `FAULT#${eventId}`, sk: 'FAULT' });
export const inboxKey = (eventId: string) => ({ pk: `INBOX#${eventId}`, sk: 'INBOX' });
export const orderPartition = (orderId: string) => `ORDER#${orderId}`;

/**
 * The sparse index of unpublished OUTBOX items: an item carries these two attributes from its insert until it is
 * published (the relay or the sweeper removes them), so the index holds exactly the pending events, oldest first.
 */
export const OUTBOX_PENDING_INDEX = 'outbox-pending';
export const OUTBOX_PENDING = { partition: 'pendingShard', since: 'pendingSince', value: 'PENDING' } as const;

/** TTL attribute name on every table that has expiring items. */
export const TTL_ATTRIBUTE = 'expiresAt';
export const epochSeconds = (now = Date.now()) => Math.floor(now / 1000);
