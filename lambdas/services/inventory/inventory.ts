/**
 * Inventory: reserves every line of a placed order in ONE transaction (conditional stock decrements + the
 * reservation record + status + inbox record), so an order is reserved entirely or not at all and never twice.
 * A line that is short (or unknown) cancels the transaction; the order is then BACKORDERED and nothing is
 * decremented. The reservation record (`RESERVATION#<orderId>`) is the fact compensation follows:
 *
 *   (none) ─reserve─▶ RESERVED ─cancel─▶ RELEASED (what could be given back; `unreleased` lists the rest)
 *      ├──short────▶ BACKORDERED (nothing taken; cancel leaves it)
 *      └─cancel────▶ VOID (cancelled before inventory acted: a late OrderPlaced reserves nothing)
 *
 * A release gives back every line whose SKU is still in the catalog and records the others with their reason;
 * it never fails the whole order for one delisted SKU.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../../adapters/aws';
import { catalogKey, getCatalogItems } from '../../adapters/catalog';
import { type Committed, TransactionConditionError, type TransactItem } from '../../adapters/inbox';
import { statusWrite } from '../../adapters/status';
import { catalogTableOf, type HandlerResult, type ServiceHandler, type WorkerConfig, type WorkerContext } from '../../adapters/worker';
import { outcomeEvent, type Envelope } from '../../core/events';

export const reservationKey = (orderId: string) => ({ pk: `RESERVATION#${orderId}`, sk: 'RESERVATION' });

export interface Line {
  readonly sku: string;
  readonly quantity: number;
}

/** OrderPlaced allows at most 50 lines; with the reservation, status and inbox items that is 53 actions. */
export const MAX_LINES = 50;
/** DynamoDB's limit of actions per TransactWriteItems. */
export const MAX_TRANSACT_ACTIONS = 100;

/** One line per sku (a transaction may not touch the same item twice), quantities summed, sorted for stable output. */
export function mergeLines(items: readonly Line[]): Line[] {
  const bySku = new Map<string, number>();
  for (const { sku, quantity } of items) bySku.set(sku, (bySku.get(sku) ?? 0) + quantity);
  return [...bySku].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * The skus whose decrement failed its condition, when that is the only reason the transaction was cancelled.
 * Undefined when something else failed (a conflict, the reservation already existing): that is not a backorder.
 */
export function shortSkus(codes: readonly string[], lines: readonly Line[]): string[] | undefined {
  const short = lines.filter((_, i) => codes[i] === 'ConditionalCheckFailed').map((l) => l.sku);
  const othersClean = codes.every((code, i) => code === 'None' || (i < lines.length && code === 'ConditionalCheckFailed'));
  return short.length > 0 && othersClean ? short : undefined;
}

function assertFitsOneTransaction(actions: number): void {
  if (actions > MAX_TRANSACT_ACTIONS) throw new Error(`${actions} actions exceed the ${MAX_TRANSACT_ACTIONS}-action transaction limit`);
}

const OUTCOME = { StockReserved: 'RESERVED', StockBackordered: 'BACKORDERED' } as Record<string, string>;

export type ReservationState = 'RESERVED' | 'BACKORDERED' | 'RELEASED' | 'VOID';

/** A line that could not be given back, and why (for an operator: see the reservation and the status detail). */
export interface Unreleased extends Line {
  readonly reason: 'SKU_NOT_IN_CATALOG';
}

export const inventory: ServiceHandler = async (event, ctx) => {
  switch (event.eventType) {
    case 'OrderPlaced':
      return reserve(event, ctx);
    case 'OrderCancelled':
      return release(event, ctx);
    default:
      return { outcome: 'IGNORED' };
  }
};

/**
 * No read first: the reservation only builds writes, so a redelivery simply loses the inbox condition and the commit
 * hands back what the first delivery emitted (one transaction per first delivery, no inbox read).
 */
async function reserve(event: Envelope<'OrderPlaced'>, ctx: WorkerContext): Promise<HandlerResult> {
  const { inbox, service, config } = ctx;
  const { orderId } = event;
  const lines = mergeLines(event.payload.items);
  if (lines.length > MAX_LINES) throw new Error(`order has ${lines.length} lines, at most ${MAX_LINES} fit one reservation`);
  const skus = lines.map((l) => l.sku);
  const decrements = lines.map((l) => stockChange(config, l, 'take'));
  const reservation = reservationPut(config, orderId, { lines, state: 'RESERVED', reservedAt: new Date().toISOString() });
  const writes = [...decrements, reservation, statusWrite(config.ordersTable, orderId, service, 'RESERVED', { skus })];
  assertFitsOneTransaction(writes.length + 1); // + the inbox record

  const reserved = [outcomeEvent('StockReserved', event, service, { skus })];
  try {
    return result(await inbox.commit(event, reserved, writes));
  } catch (err) {
    if (!(err instanceof TransactionConditionError)) throw err;
    // The reservation record exists: the order was cancelled first (VOID), or this event was handled under an
    // inbox record that has since expired. Its record says what to re-emit.
    if (err.codes[lines.length] === 'ConditionalCheckFailed') return fromExistingRecord(event, ctx);
    const short = shortSkus(err.codes, lines);
    if (!short) throw err;
    return backorder(event, short, ctx);
  }
}

/** A reservation record was there before this attempt: record the event and re-emit what the record implies. */
async function fromExistingRecord(event: Envelope, ctx: WorkerContext): Promise<HandlerResult> {
  const record = await readReservation(ctx.config, event.orderId);
  if (!record) throw new Error(`order ${event.orderId}: reservation condition failed but no reservation exists`);
  const skus = (record.lines as Line[] | undefined)?.map((l) => l.sku) ?? (record.skus as string[] | undefined) ?? [];
  const emits =
    record.state === 'RESERVED' || record.state === 'RELEASED'
      ? [outcomeEvent('StockReserved', event, ctx.service, { skus })]
      : record.state === 'BACKORDERED'
        ? [outcomeEvent('StockBackordered', event, ctx.service, { skus })]
        : [];
  // VOID: cancelled before inventory acted; nothing to reserve, nothing to report.
  const committed = await ctx.inbox.commit(event, emits, []);
  if (committed.duplicate) return result(committed, String(record.state));
  return { emits, duplicate: record.state !== 'VOID', outcome: String(record.state) };
}

/** Nothing was decremented (the transaction was cancelled): record the backorder with the inbox record. */
async function backorder(event: Envelope, skus: string[], ctx: WorkerContext): Promise<HandlerResult> {
  const { inbox, service, config } = ctx;
  const emits = [outcomeEvent('StockBackordered', event, service, { skus })];
  const record = reservationPut(config, event.orderId, { skus, state: 'BACKORDERED', backorderedAt: new Date().toISOString() });
  try {
    return result(await inbox.commit(event, emits, [record, statusWrite(config.ordersTable, event.orderId, service, 'BACKORDERED', { skus })]));
  } catch (err) {
    // Cancelled (VOID) between the two transactions.
    if (err instanceof TransactionConditionError && err.codes[0] === 'ConditionalCheckFailed') return fromExistingRecord(event, ctx);
    throw err;
  }
}

/**
 * A commit's result with its outcome word: what its emits name (for a duplicate, the first delivery's emits), or
 * `ifNothingEmitted` when they name nothing (the first delivery found the order VOID; without a read nothing says more).
 */
function result(committed: Committed, ifNothingEmitted = 'NO_OUTCOME'): HandlerResult {
  return { ...committed, outcome: OUTCOME[committed.emits[0]?.eventType ?? ''] ?? ifNothingEmitted };
}

/**
 * OrderCancelled, whatever its reason: give back what was reserved (what can be), close an absent record as VOID.
 * Loops only when the record or the catalog changed between the read and the transaction. No inbox read first (as
 * for the reservation): a redelivery finds the record RELEASED or VOID, commits nothing and loses the inbox condition.
 */
async function release(event: Envelope<'OrderCancelled'>, { inbox, service, config }: WorkerContext): Promise<HandlerResult> {
  const { orderId } = event;
  for (let pass = 0; pass < 3; pass++) {
    const record = await readReservation(config, orderId);
    const step = await compensation(config, orderId, record, service);
    try {
      const committed = await inbox.commit(event, [], step.writes);
      // A copy that committed first already compensated; the record's state now names the result, not this attempt.
      return { ...committed, outcome: committed.duplicate ? 'COMPENSATED' : step.outcome };
    } catch (err) {
      // A line's SKU left the catalog, or the record changed, since the read: look again.
      if (!(err instanceof TransactionConditionError) || !err.codes.includes('ConditionalCheckFailed')) throw err;
    }
  }
  throw new Error(`order ${orderId}: reservation or catalog kept changing during the release`);
}

async function compensation(
  config: WorkerConfig,
  orderId: string,
  record: Record<string, unknown> | undefined,
  service: string,
): Promise<{ writes: TransactItem[]; outcome: string }> {
  if (!record) {
    return {
      writes: [
        reservationPut(config, orderId, { state: 'VOID', voidedAt: new Date().toISOString() }),
        statusWrite(config.ordersTable, orderId, service, 'VOIDED'),
      ],
      outcome: 'VOIDED',
    };
  }
  if (record.state !== 'RESERVED') return { writes: [], outcome: record.state === 'BACKORDERED' ? 'NOTHING_TO_RELEASE' : String(record.state) };

  const lines = record.lines as Line[];
  const inCatalog = await getCatalogItems(
    lines.map((l) => l.sku),
    catalogTableOf(config),
  );
  const giveBack = lines.filter((l) => inCatalog.has(l.sku));
  const unreleased: Unreleased[] = lines.filter((l) => !inCatalog.has(l.sku)).map((l) => ({ ...l, reason: 'SKU_NOT_IN_CATALOG' }));
  const released: TransactItem = {
    Update: {
      TableName: config.serviceTable,
      Key: reservationKey(orderId),
      UpdateExpression: 'SET #state = :released, releasedAt = :now, unreleased = :unreleased',
      // Stock goes back at most once, even if the inbox record had expired.
      ConditionExpression: '#state = :reserved',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':released': 'RELEASED', ':reserved': 'RESERVED', ':now': new Date().toISOString(), ':unreleased': unreleased },
    },
  };
  const status = statusWrite(config.ordersTable, orderId, service, 'RELEASED', {
    skus: giveBack.map((l) => l.sku),
    ...(unreleased.length ? { unreleased } : {}),
  });
  const writes = [...giveBack.map((l) => stockChange(config, l, 'give back')), released, status];
  assertFitsOneTransaction(writes.length + 1);
  return { writes, outcome: unreleased.length ? 'PARTLY_RELEASED' : 'RELEASED' };
}

async function readReservation(config: WorkerConfig, orderId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: config.serviceTable, Key: reservationKey(orderId), ConsistentRead: true }));
  return Item;
}

/** The order's one reservation record, whatever its state: created once, whatever event id asked for it. */
function reservationPut(config: WorkerConfig, orderId: string, fields: Record<string, unknown> & { state: ReservationState }): TransactItem {
  return {
    Put: { TableName: config.serviceTable, Item: { ...reservationKey(orderId), orderId, ...fields }, ConditionExpression: 'attribute_not_exists(pk)' },
  };
}

/** One line's stock update: taking never goes below zero (nor touches an unknown SKU); giving back needs the SKU. */
function stockChange(config: WorkerConfig, line: Line, direction: 'take' | 'give back'): TransactItem {
  const take = direction === 'take';
  return {
    Update: {
      TableName: catalogTableOf(config),
      Key: catalogKey(line.sku),
      UpdateExpression: take ? 'SET stock = stock - :q' : 'SET stock = stock + :q',
      // Giving back to a deleted SKU would recreate it as an item with only a stock: the release leaves it out.
      ConditionExpression: take ? 'attribute_exists(pk) AND stock >= :q' : 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':q': line.quantity },
    },
  };
}
