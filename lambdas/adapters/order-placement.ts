/**
 * The API's one durable write, `saveNewOrder`: the ORDER item, its OrderPlaced event as an OUTBOX item (the stream
 * feeds the relay, which publishes it), the order's personal data as a PII item that expires after the retention
 * period and, with an Idempotency-Key, the key record, all in one transaction. So no order is saved without its
 * event, and one key creates at most one order. The reads and the erasure are in order-store.ts.
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { orderPlaced, type OrderRequest } from '../core/order';
import type { Envelope } from '../core/events';
import { ddb } from './aws';
import { required } from './env';
import { cancellationCodes, type TransactItem } from './inbox';
import { apiIdempotencyKey, epochSeconds, orderKey, outboxKey, paymentTokenKey, personalDataKey } from './keys';
import { DEFAULT_PERSONAL_DATA_TTL_SECONDS, type Item, PAYMENT_TOKEN_TTL_SECONDS } from './order-store';
import { ENV, OUTBOX_PENDING, TTL_ATTRIBUTE } from '../contract';

/** Transactions lost to a concurrent request with the same key (TransactionConflict) are retried this often. */
const MAX_ATTEMPTS = 4;

export interface NewOrder {
  readonly orderId: string;
  readonly order: OrderRequest;
  readonly correlationId: string;
  readonly now: Date;
  readonly idempotency?: { readonly key: string; readonly requestHash: string; readonly ttlSeconds: number };
  /** How long the e-mail and address are kept (the PII item's expiry). */
  readonly personalDataTtlSeconds?: number;
  /** Local stage only: fault hooks the relay honours for this order's event. */
  readonly faults?: readonly string[];
}

export type SaveResult =
  | { readonly outcome: 'created'; readonly orderId: string }
  /** The key was used before with the same body: that first order's id. */
  | { readonly outcome: 'replayed'; readonly orderId: string }
  /** The key was used before with another body. */
  | { readonly outcome: 'key-reused'; readonly orderId: string };

interface KeyRecord {
  orderId: string;
  requestHash: string;
  expiresAt: number;
}

export async function saveNewOrder(input: NewOrder, table = required(ENV.ordersTable)): Promise<SaveResult> {
  const items = orderTransaction(input, table);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    try {
      await ddb.send(new TransactWriteCommand({ TransactItems: items }));
      return { outcome: 'created', orderId: input.orderId };
    } catch (err) {
      const codes = cancellationCodes(err);
      const idem = input.idempotency;
      // Only the key record can legitimately stop this transaction (the order id is new); anything else is a fault.
      const keyCode = idem ? codes?.[items.length - 1] : undefined;
      if (!idem || (keyCode !== 'ConditionalCheckFailed' && keyCode !== 'TransactionConflict')) throw err;
      const existing =
        (keyCode === 'ConditionalCheckFailed' ? keyRecordFromCancellation(err) : undefined) ?? (await readKeyRecord(table, input.order.customerId, idem.key));
      // Absent or expired (TTL deletes late): the other request's transaction did not commit, or its key lapsed. Retry.
      if (!existing || existing.expiresAt < epochSeconds(input.now.getTime())) continue;
      return existing.requestHash === idem.requestHash
        ? { outcome: 'replayed', orderId: existing.orderId }
        : { outcome: 'key-reused', orderId: existing.orderId };
    }
  }
  throw new Error(`idempotency key still contested after ${MAX_ATTEMPTS} attempts`);
}

/**
 * ORDER, OUTBOX, PII, (with a token) PAYTOKEN and (with a key) IDEMPOTENCY, in that order: the key record's
 * cancellation code is the last one.
 */
export function orderTransaction(input: NewOrder, table: string): TransactItem[] {
  const { orderId, order, correlationId, now } = input;
  const createdAt = now.toISOString();
  const nowSeconds = epochSeconds(now.getTime());
  const event = orderPlaced(orderId, order, correlationId, createdAt);
  const items: TransactItem[] = [
    {
      Put: {
        TableName: table,
        // Immutable, without the payment token (an item of its own which only payment reads) and without personal
        // data (the PII item below), so functions that read orders never see an e-mail, an address or a token.
        Item: {
          ...orderKey(orderId),
          orderId,
          customerId: order.customerId,
          currency: order.currency,
          items: event.payload.items,
          correlationId,
          createdAt,
          // Local stage only: the workers' fault hooks (drop:<service>) are read from here.
          ...(input.faults?.length ? { faults: [...input.faults] } : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    { Put: { TableName: table, Item: outboxItem(event, now, input.faults), ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Put: {
        TableName: table,
        // Deleted by DynamoDB's TTL after the retention period; replaced by a tombstone on erasure.
        Item: {
          ...personalDataKey(orderId),
          orderId,
          email: order.email,
          ...(order.shippingAddress ? { shippingAddress: order.shippingAddress } : {}),
          createdAt,
          [TTL_ATTRIBUTE]: nowSeconds + (input.personalDataTtlSeconds ?? DEFAULT_PERSONAL_DATA_TTL_SECONDS),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  if (order.paymentToken !== undefined) {
    items.push({
      Put: {
        TableName: table,
        Item: { ...paymentTokenKey(orderId), orderId, token: order.paymentToken, [TTL_ATTRIBUTE]: nowSeconds + PAYMENT_TOKEN_TTL_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  if (input.idempotency) {
    const { key, requestHash, ttlSeconds } = input.idempotency;
    items.push({
      Put: {
        TableName: table,
        Item: { ...apiIdempotencyKey(order.customerId, key), orderId, requestHash, createdAt, [TTL_ATTRIBUTE]: nowSeconds + ttlSeconds },
        // A record past its expiry counts as gone: DynamoDB's TTL deletes it up to days late.
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':now': nowSeconds },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  }
  return items;
}

/**
 * The OUTBOX item of an event: what the relay publishes from the stream (and the sweeper, while it stays pending).
 * Also written alone by the benchmark's hollow POST (lambdas/bench/hollow-post.ts), which keeps only this hop.
 */
export function outboxItem(event: Envelope<'OrderPlaced'>, now: Date, faults?: readonly string[]): Item {
  return {
    ...outboxKey(event.orderId, event.eventId),
    eventId: event.eventId,
    eventType: event.eventType,
    orderId: event.orderId,
    event,
    ...(faults?.length ? { faults: [...faults] } : {}),
    // Pending (in the sparse index the sweeper reads) and without a TTL until published: an event that the
    // relay gave up on is republished by the sweeper, never expired unpublished.
    [OUTBOX_PENDING.partition]: OUTBOX_PENDING.value,
    [OUTBOX_PENDING.since]: now.getTime(),
  };
}

/** The existing key record returned by ALL_OLD (raw attribute values: the document client does not convert errors). */
function keyRecordFromCancellation(err: unknown): KeyRecord | undefined {
  const reasons = (err as { CancellationReasons?: { Item?: Record<string, { S?: string; N?: string }> }[] }).CancellationReasons ?? [];
  const item = reasons[reasons.length - 1]?.Item;
  if (!item?.orderId?.S || !item.requestHash?.S) return undefined;
  return { orderId: item.orderId.S, requestHash: item.requestHash.S, expiresAt: Number(item[TTL_ATTRIBUTE]?.N ?? 0) };
}

async function readKeyRecord(table: string, customerId: string, key: string): Promise<KeyRecord | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: apiIdempotencyKey(customerId, key), ConsistentRead: true }));
  if (typeof Item?.orderId !== 'string' || typeof Item.requestHash !== 'string') return undefined;
  return { orderId: Item.orderId, requestHash: Item.requestHash, expiresAt: Number(Item[TTL_ATTRIBUTE] ?? 0) };
}
