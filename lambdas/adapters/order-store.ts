/**
 * The orders repository's reads and the erasure: GET /orders/{id} reads the order with its personal data, lifecycle
 * and statuses in one BatchGetItem; the erasure turns the personal data and a waiting payment token into tombstones.
 * The one write that creates an order is in order-placement.ts, apart: it needs the order schema and the event
 * contract (zod), which the GET and the erasure functions then do not load at init.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './aws';
import { batchGetAll } from './batch-get';
import { required } from './env';
import { epochSeconds, lifecycleKey, orderKey, paymentTokenKey, personalDataKey, STATUS_SK, statusKey } from './keys';
import { ENV, TTL_ATTRIBUTE } from '../contract';

/**
 * The payment token's item lives until payment has decided the charge (it deletes it then); the order's deadline
 * decides every order long before this, so the TTL only cleans up after a payment message that never arrived.
 */
export const PAYMENT_TOKEN_TTL_SECONDS = 86_400;
/** Default retention of an order's e-mail and address when PERSONAL_DATA_TTL_SECONDS is not set (lib/stages.ts). */
export const DEFAULT_PERSONAL_DATA_TTL_SECONDS = 90 * 86_400;

export type Item = Record<string, unknown>;

export interface StoredOrder {
  readonly order: Item;
  /**
   * The e-mail and address; absent once the retention period has passed (TTL), `erasedAt` only after an erasure.
   * DynamoDB's TTL deletes up to days late, so an item past its expiry counts as absent.
   */
  readonly personalData?: Item;
  /** Absent until payment or inventory reports: the order is then ACCEPTED. */
  readonly lifecycle?: Item;
  /** STATUS items by service name. */
  readonly statuses: Readonly<Record<string, Item>>;
}

/**
 * The order, its personal data, its lifecycle and the status of each of `services` with one consistent BatchGetItem
 * (the items live under different key prefixes so that IAM can scope their writers). The outbox and payment-token
 * items are never read. Strongly consistent: a client following the `Location` of a 202 at once must find it. Keys
 * left unprocessed after a few rounds fail the read (500, retryable).
 */
export async function readOrder(
  orderId: string,
  services: readonly string[],
  table = required(ENV.ordersTable),
  now = Date.now(),
): Promise<StoredOrder | undefined> {
  const keys = [orderKey(orderId), personalDataKey(orderId), lifecycleKey(orderId), ...services.map((s) => statusKey(orderId, s))];
  const found = (await batchGetAll(ddb, table, keys, { consistentRead: true })) as Item[];
  const order = found.find((i) => i.sk === 'ORDER');
  if (!order) return undefined;
  const pii = found.find((i) => i.sk === 'PII');
  const expired = typeof pii?.[TTL_ATTRIBUTE] === 'number' && (pii[TTL_ATTRIBUTE] as number) < epochSeconds(now);
  const statuses: Record<string, Item> = {};
  for (const i of found) if (i.sk === STATUS_SK && typeof i.service === 'string') statuses[i.service] = i;
  return { order, ...(pii && !expired ? { personalData: pii } : {}), lifecycle: found.find((i) => i.sk === 'LIFECYCLE'), statuses };
}

/**
 * Erasure: the PII item becomes a tombstone without e-mail or address (it expires like the original, so GET can say
 * the data was erased meanwhile), and a payment token still waiting for payment (an undecided order) is overwritten
 * by a tombstone too: payment then finds no token and the provider declines. Both are puts (the API has no
 * DeleteItem); the token's only if its item exists, so a decided order gets no PAYTOKEN item back. Idempotent; the
 * caller has checked that the order is the caller's.
 */
export async function erasePersonalData(
  orderId: string,
  erasedAt: Date,
  ttlSeconds = DEFAULT_PERSONAL_DATA_TTL_SECONDS,
  table = required(ENV.ordersTable),
): Promise<void> {
  const erased = { orderId, erasedAt: erasedAt.toISOString() };
  await ddb.send(
    new PutCommand({ TableName: table, Item: { ...personalDataKey(orderId), ...erased, [TTL_ATTRIBUTE]: epochSeconds(erasedAt.getTime()) + ttlSeconds } }),
  );
  try {
    await ddb.send(
      new PutCommand({
        TableName: table,
        Item: { ...paymentTokenKey(orderId), ...erased, [TTL_ATTRIBUTE]: epochSeconds(erasedAt.getTime()) + PAYMENT_TOKEN_TTL_SECONDS },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  } catch (err) {
    // No token item: the order had none, or payment has decided and deleted it.
    if ((err as Error)?.name !== 'ConditionalCheckFailedException') throw err;
  }
}

/** The owner of an order (its ORDER item's customerId only), for the owner check of the erasure. */
export async function readOrderItem(orderId: string, table = required(ENV.ordersTable)): Promise<Item | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: orderKey(orderId), ProjectionExpression: 'customerId', ConsistentRead: true }));
  return Item;
}
