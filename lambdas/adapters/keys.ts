/**
 * Item layout of the tables (string keys `pk` / `sk`). In the orders table every kind of item that a different
 * function writes (or that only some functions may read) has its own partition-key prefix, so IAM scopes each
 * function to the prefixes it needs (`dynamodb:LeadingKeys`, lib/access.ts): a worker cannot write an OUTBOX item,
 * another service's status or an order, and only the functions that need the e-mail and address can read them.
 *
 * orders table (stream NEW_IMAGE feeds the outbox relay):
 *   ORDER#<id> / ORDER              the accepted order, immutable, without personal data or payment token (API writes)
 *   OUTBOX#<id> / OUTBOX#<eventId>  the event to publish, in the same transaction as the order (API writes); pending
 *                                   (in the sparse OUTBOX_PENDING_INDEX, no TTL) until published (relay or sweeper
 *                                   mark it), then it expires
 *   PII#<id> / PII                  the order's e-mail and shipping address; expires after the retention period and
 *                                   becomes a tombstone on erasure (API writes and erases; notification reads the e-mail)
 *   PAYTOKEN#<id> / PAYTOKEN        the payment token (API writes), read only by payment, deleted once the charge is
 *                                   decided (payment) or on erasure (API)
 *   LIFECYCLE#<id> / LIFECYCLE      status, payment/inventory outcomes, total, reason           (orders service)
 *   STATUS#<service>#<id> / STATUS  what a client sees of one service's progress                (that service)
 *   IDEMPOTENCY#<customer>#<key> / IDEMPOTENCY   API Idempotency-Key record (expires)           (API)
 *   FAULT#<eventId> / FAULT         local stage only: the relay's publish-fail-once hook fired   (relay, local only)
 * each service's table, local stage only: FAULT#<eventId>#<hook> / FAULT (a worker hook fired for that event) and
 *   FAULT#<orderId>#crash-in-provider / FAULT (payment's simulated provider crashed after the charge); expire
 * catalog table:        pk = <sku>: name, unitPriceCents, stock
 * each service's table: INBOX#<eventId> / INBOX (expires), plus the records of its effects
 */

/** Partition-key prefixes of the orders table: the unit of IAM scoping (lib/access.ts). */
export const KEY_PREFIX = {
  order: 'ORDER#',
  outbox: 'OUTBOX#',
  personalData: 'PII#',
  paymentToken: 'PAYTOKEN#',
  lifecycle: 'LIFECYCLE#',
  idempotency: 'IDEMPOTENCY#',
  fault: 'FAULT#',
  status: (service: string) => `STATUS#${service}#`,
} as const;

export const orderKey = (orderId: string) => ({ pk: `${KEY_PREFIX.order}${orderId}`, sk: 'ORDER' });
export const personalDataKey = (orderId: string) => ({ pk: `${KEY_PREFIX.personalData}${orderId}`, sk: 'PII' });
export const lifecycleKey = (orderId: string) => ({ pk: `${KEY_PREFIX.lifecycle}${orderId}`, sk: 'LIFECYCLE' });
export const statusKey = (orderId: string, service: string) => ({ pk: `${KEY_PREFIX.status(service)}${orderId}`, sk: 'STATUS' });
/** The sort key of every OUTBOX item starts with this (the relay's stream filter). */
export const OUTBOX_SK_PREFIX = 'OUTBOX#';
export const outboxPartition = (orderId: string) => `${KEY_PREFIX.outbox}${orderId}`;
export const outboxKey = (orderId: string, eventId: string) => ({ pk: outboxPartition(orderId), sk: `${OUTBOX_SK_PREFIX}${eventId}` });
export const apiIdempotencyKey = (customerId: string, key: string) => ({
  pk: `${KEY_PREFIX.idempotency}${customerId}#${key}`,
  sk: 'IDEMPOTENCY',
});
export const paymentTokenKey = (orderId: string) => ({ pk: `${KEY_PREFIX.paymentToken}${orderId}`, sk: 'PAYTOKEN' });
export const faultKey = (eventId: string) => ({ pk: `${KEY_PREFIX.fault}${eventId}`, sk: 'FAULT' });
export const inboxKey = (eventId: string) => ({ pk: `INBOX#${eventId}`, sk: 'INBOX' });

/**
 * The sparse index of unpublished OUTBOX items: an item carries these two attributes from its insert until it is
 * published (the relay or the sweeper removes them), so the index holds exactly the pending events, oldest first.
 */
export const OUTBOX_PENDING_INDEX = 'outbox-pending';
export const OUTBOX_PENDING = { partition: 'pendingShard', since: 'pendingSince', value: 'PENDING' } as const;

/** TTL attribute name on every table that has expiring items. */
export const TTL_ATTRIBUTE = 'expiresAt';
export const epochSeconds = (now = Date.now()) => Math.floor(now / 1000);
