/**
 * The orders repository of the API. `saveNewOrder` is the API's one durable write: the ORDER item, its OrderPlaced
 * event as an OUTBOX item (the stream feeds the relay, which publishes it) and, with an Idempotency-Key, the key
 * record, all in one transaction. So no order is saved without its event, and one key creates at most one order.
 */
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { orderPlaced, type OrderRequest } from '../core/order';
import { ddb } from './aws';
import { ENV, required } from './env';
import { cancellationCodes, type TransactItem } from './inbox';
import { apiIdempotencyKey, epochSeconds, OUTBOX_PENDING, orderKey, orderPartition, outboxKey, paymentTokenKey, TTL_ATTRIBUTE } from './keys';

/**
 * The payment token's item lives until payment has decided the charge (it deletes it then); the order's deadline
 * decides every order long before this, so the TTL only cleans up after a payment message that never arrived.
 */
export const PAYMENT_TOKEN_TTL_SECONDS = 86_400;
/** Transactions lost to a concurrent request with the same key (TransactionConflict) are retried this often. */
const MAX_ATTEMPTS = 4;

export interface NewOrder {
  readonly orderId: string;
  readonly order: OrderRequest;
  readonly correlationId: string;
  readonly now: Date;
  readonly idempotency?: { readonly key: string; readonly requestHash: string; readonly ttlSeconds: number };
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
 * ORDER, OUTBOX, (with a token) PAYTOKEN and (with a key) IDEMPOTENCY, in that order: the key record's cancellation
 * code is the last one.
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
        // Immutable and without the payment token: that has an item of its own which only payment reads.
        Item: {
          ...orderKey(orderId),
          orderId,
          customerId: order.customerId,
          email: order.email,
          currency: order.currency,
          items: event.payload.items,
          ...(order.shippingAddress ? { shippingAddress: order.shippingAddress } : {}),
          correlationId,
          createdAt,
          // Local stage only: the workers' fault hooks (drop:<service>) are read from here.
          ...(input.faults?.length ? { faults: [...input.faults] } : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: table,
        Item: {
          ...outboxKey(orderId, event.eventId),
          eventId: event.eventId,
          eventType: event.eventType,
          orderId,
          event,
          ...(input.faults?.length ? { faults: [...input.faults] } : {}),
          // Pending (in the sparse index the sweeper reads) and without a TTL until published: an event that the
          // relay gave up on is republished by the sweeper, never expired unpublished.
          [OUTBOX_PENDING.partition]: OUTBOX_PENDING.value,
          [OUTBOX_PENDING.since]: now.getTime(),
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

export type Item = Record<string, unknown>;

export interface StoredOrder {
  readonly order: Item;
  /** Absent until payment or inventory reports: the order is then ACCEPTED. */
  readonly lifecycle?: Item;
  /** STATUS#<service> items by service name. */
  readonly statuses: Readonly<Record<string, Item>>;
}

/**
 * The order, its lifecycle and every service status with one Query of the order's partition (the outbox item is
 * filtered out server side; the payment token has a partition of its own). Strongly consistent: a client following
 * the `Location` of a 202 at once must find the order.
 */
export async function readOrder(orderId: string, table = required(ENV.ordersTable)): Promise<StoredOrder | undefined> {
  const found: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    // The partition is a few small items, far below a Query page (1 MB); the loop only guards the contract.
    const out = await ddb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'sk IN (:order, :lifecycle) OR begins_with(sk, :status)',
        ExpressionAttributeValues: { ':pk': orderPartition(orderId), ':order': 'ORDER', ':lifecycle': 'LIFECYCLE', ':status': 'STATUS#' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    found.push(...((out.Items ?? []) as Item[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);

  const order = found.find((i) => i.sk === 'ORDER');
  if (!order) return undefined;
  const statuses: Record<string, Item> = {};
  for (const i of found) if (typeof i.sk === 'string' && i.sk.startsWith('STATUS#')) statuses[i.sk.slice('STATUS#'.length)] = i;
  return { order, lifecycle: found.find((i) => i.sk === 'LIFECYCLE'), statuses };
}
