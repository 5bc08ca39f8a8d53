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
 *
 * The prefixes, the pending index and the TTL attribute are in lambdas/contract.ts (lib/ creates and scopes them too);
 * the key builders are here.
 */
import { KEY_PREFIX } from '../contract';

export const orderKey = (orderId: string) => ({ pk: `${KEY_PREFIX.order}${orderId}`, sk: 'ORDER' });
export const personalDataKey = (orderId: string) => ({ pk: `${KEY_PREFIX.personalData}${orderId}`, sk: 'PII' });
export const lifecycleKey = (orderId: string) => ({ pk: `${KEY_PREFIX.lifecycle}${orderId}`, sk: 'LIFECYCLE' });
/** Every service's STATUS item has this sort key (its partition says whose it is): how a reader tells them apart. */
export const STATUS_SK = 'STATUS';
export const statusKey = (orderId: string, service: string) => ({ pk: `${KEY_PREFIX.status(service)}${orderId}`, sk: STATUS_SK });
export const outboxPartition = (orderId: string) => `${KEY_PREFIX.outbox}${orderId}`;
export const outboxKey = (orderId: string, eventId: string) => ({ pk: outboxPartition(orderId), sk: `${KEY_PREFIX.outbox}${eventId}` });
export const apiIdempotencyKey = (customerId: string, key: string) => ({
  pk: `${KEY_PREFIX.idempotency}${customerId}#${key}`,
  sk: 'IDEMPOTENCY',
});
export const paymentTokenKey = (orderId: string) => ({ pk: `${KEY_PREFIX.paymentToken}${orderId}`, sk: 'PAYTOKEN' });
export const faultKey = (eventId: string) => ({ pk: `${KEY_PREFIX.fault}${eventId}`, sk: 'FAULT' });
export const inboxKey = (eventId: string) => ({ pk: `INBOX#${eventId}`, sk: 'INBOX' });

export const epochSeconds = (now = Date.now()) => Math.floor(now / 1000);
