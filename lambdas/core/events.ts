/**
 * The event contract: every message on the topic is one envelope. `eventType` is copied into the SNS message
 * attribute of the same name so that subscription filter policies can route it (topic-exchange routing).
 *
 * No personal data and no secret travels in events: the payment token stays in its own item of the orders table
 * (PAYTOKEN#<orderId>), which only the payment service reads. Services that need the e-mail address read it from the
 * orders table.
 */
// zod/mini: the same schemas and errors as `zod`, tree-shakable, so each worker bundle carries ~20 KB of it instead of
// ~450 KB (the API's request schema in core/order.ts is on zod/mini too, with the English locale for its messages).
import * as z from 'zod/mini';
import { CANCEL_REASONS, EVENT_TYPES, type EventType } from './event-types';
import { deterministicEventId } from './ids';

// The names live apart (event-types.ts) so that a function needing only them does not load zod.
export { CANCEL_REASONS, EVENT_TYPES, type CancelReason, type EventType } from './event-types';

export const SCHEMA_VERSION = 1;

const sku = z.string().check(z.minLength(1), z.maxLength(64));
const currency = z.string().check(z.regex(/^[A-Z]{3}$/));
const line = z.object({ sku, quantity: z.int().check(z.minimum(1), z.maximum(1000)) });
const cents = z.int().check(z.nonnegative());

/** Payload schema per event type: the single source for producers and consumers. */
export const PAYLOADS = {
  OrderPlaced: z.object({
    customerId: z.string(),
    currency,
    items: z.array(line).check(z.minLength(1), z.maxLength(50)),
  }),
  PaymentCharged: z.object({ amountCents: cents, currency, chargeId: z.string() }),
  PaymentDeclined: z.object({ amountCents: cents, currency, reason: z.string() }),
  /** The order cannot be priced (an unknown SKU): a business outcome, not a failure. */
  OrderRejected: z.object({ reason: z.literal('UNKNOWN_SKU'), skus: z.array(sku) }),
  StockReserved: z.object({ skus: z.array(sku) }),
  StockBackordered: z.object({ skus: z.array(sku) }),
  OrderConfirmed: z.object({ amountCents: cents, currency, confirmedAt: z.string() }),
  /**
   * Every effectful service undoes whatever it did for the order, judged by its own records (a charge, a reservation),
   * never by the reason: compensation follows facts, not labels. TIMEOUT: undecided at the order's deadline.
   */
  OrderCancelled: z.object({
    reason: z.enum(CANCEL_REASONS),
    currency,
    cancelledAt: z.string(),
  }),
} satisfies Record<EventType, z.ZodMiniType>;

export type Payload<T extends EventType> = z.infer<(typeof PAYLOADS)[T]>;

const envelopeSchema = z.object({
  eventId: z.string().check(z.minLength(1), z.maxLength(128)),
  eventType: z.enum(EVENT_TYPES),
  schemaVersion: z.literal(SCHEMA_VERSION),
  occurredAt: z.string(),
  correlationId: z.string().check(z.minLength(1), z.maxLength(128)),
  orderId: z.string().check(z.minLength(1), z.maxLength(64)),
  payload: z.unknown(),
});

/** What every envelope carries besides its type and payload. */
type Header = Omit<z.infer<typeof envelopeSchema>, 'eventType' | 'payload'>;

/**
 * An envelope of one of the given event types (all of them by default): a union discriminated by `eventType`, one
 * member per type with the payload its schema gives, so a `switch (event.eventType)` (or an `if` on it) narrows the
 * payload without a cast.
 */
export type Envelope<T extends EventType = EventType> = { [K in T]: Header & { eventType: K; payload: Payload<K> } }[T];

/** Each payload schema under its field name, so a payload issue's path starts with `payload` (the DLQ log says where). */
const PAYLOAD_FIELD = Object.fromEntries(EVENT_TYPES.map((t) => [t, z.object({ payload: PAYLOADS[t] })])) as {
  [K in EventType]: z.ZodMiniObject<{ payload: (typeof PAYLOADS)[K] }>;
};

/** Parses a message body into a typed envelope; throws on anything malformed (the message is then poison). */
export function parseEnvelope(body: string): Envelope {
  const { eventType, payload, ...header } = envelopeSchema.parse(JSON.parse(body));
  return envelope(header, eventType, PAYLOAD_FIELD[eventType].parse({ payload }).payload);
}

/**
 * The one place an envelope is put together: `eventType` and `payload` of the same type, by the signature. Keys in
 * the schema's order, always: a stored event is re-emitted byte-identical.
 */
function envelope<T extends EventType>(header: Header, eventType: T, payload: Payload<T>): Envelope<T> {
  const { eventId, schemaVersion, occurredAt, correlationId, orderId } = header;
  return { eventId, eventType, schemaVersion, occurredAt, correlationId, orderId, payload };
}

/**
 * Builds an event whose id is a pure function of (order, service, event type): every outcome a service emits, and
 * the OrderPlaced the API writes to its outbox (core/order.ts `orderPlaced`, service `orders`).
 */
export function outcomeEvent<T extends EventType>(
  eventType: T,
  cause: Pick<Envelope, 'orderId' | 'correlationId'>,
  service: string,
  payload: Payload<T>,
  occurredAt = new Date().toISOString(),
): Envelope<T> {
  const header: Header = {
    eventId: deterministicEventId(cause.orderId, service, eventType),
    schemaVersion: SCHEMA_VERSION,
    occurredAt,
    correlationId: cause.correlationId,
    orderId: cause.orderId,
  };
  return envelope(header, eventType, payload);
}
