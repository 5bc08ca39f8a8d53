/**
 * Inventory: reserves every line of a placed order in ONE transaction (conditional stock decrements + the
 * reservation record + status + inbox record), so an order is reserved entirely or not at all and never twice.
 * A line that is short (or unknown) cancels the transaction; the order is then BACKORDERED and nothing is
 * decremented. A cancelled order that was reserved gets its stock back, again in one transaction.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../../adapters/aws';
import { catalogKey } from '../../adapters/catalog';
import { ENV, required } from '../../adapters/env';
import { TransactionConditionError, type TransactItem } from '../../adapters/inbox';
import { statusWrite } from '../../adapters/status';
import type { HandlerResult, ServiceHandler, WorkerContext } from '../../adapters/worker';
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

export const inventory: ServiceHandler = async (event, ctx) => {
  if (event.eventType === 'OrderPlaced') return reserve(event as Envelope<'OrderPlaced'>, ctx);
  if (event.eventType === 'OrderCancelled') return release(event as Envelope<'OrderCancelled'>, ctx);
  return { outcome: 'IGNORED' };
};

async function reserve(event: Envelope<'OrderPlaced'>, ctx: WorkerContext): Promise<HandlerResult> {
  const { inbox, service } = ctx;
  const seen = await inbox.prior(event);
  if (seen) return { emits: seen, duplicate: true, outcome: OUTCOME[seen[0]?.eventType ?? ''] };

  const { orderId } = event;
  const lines = mergeLines(event.payload.items);
  if (lines.length > MAX_LINES) throw new Error(`order has ${lines.length} lines, at most ${MAX_LINES} fit one reservation`);
  const skus = lines.map((l) => l.sku);
  const decrements = lines.map((l) => stockChange(l, 'take'));
  const reservation: TransactItem = {
    Put: {
      TableName: required(ENV.serviceTable),
      Item: { ...reservationKey(orderId), orderId, lines, state: 'RESERVED', reservedAt: new Date().toISOString() },
      // One reservation per order, whatever event id asked for it.
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  const writes = [...decrements, reservation, statusWrite(orderId, service, 'RESERVED', { skus })];
  assertFitsOneTransaction(writes.length + 1); // + the inbox record

  const reserved = [outcomeEvent('StockReserved', event, service, { skus })];
  let committed: 'committed' | 'duplicate';
  try {
    committed = await inbox.commit(event, reserved, writes);
  } catch (err) {
    const short = err instanceof TransactionConditionError ? shortSkus(err.codes, lines) : undefined;
    if (!short) throw err;
    return backorder(event, short, ctx);
  }
  if (committed === 'committed') return { emits: reserved, duplicate: false, outcome: 'RESERVED' };
  return replay(event, inbox);
}

/** Nothing was decremented (the transaction was cancelled): record the backorder with the inbox record. */
async function backorder(event: Envelope, skus: string[], { inbox, service }: Pick<WorkerContext, 'inbox' | 'service'>): Promise<HandlerResult> {
  const emits = [outcomeEvent('StockBackordered', event, service, { skus })];
  const committed = await inbox.commit(event, emits, [statusWrite(event.orderId, service, 'BACKORDERED', { skus })]);
  if (committed === 'committed') return { emits, duplicate: false, outcome: 'BACKORDERED' };
  return replay(event, inbox);
}

/** A concurrent copy of the event won the inbox race: return what it emitted. */
async function replay(event: Envelope, inbox: WorkerContext['inbox']): Promise<HandlerResult> {
  const emits = (await inbox.prior(event)) ?? [];
  return { emits, duplicate: true, outcome: OUTCOME[emits[0]?.eventType ?? ''] };
}

async function release(event: Envelope<'OrderCancelled'>, { inbox, service }: WorkerContext): Promise<HandlerResult> {
  // Only a reserved order gets stock back; the aggregator says which through `compensate`.
  if (!event.payload.compensate.includes('inventory')) return { outcome: 'IGNORED' };
  const seen = await inbox.prior(event);
  if (seen) return { emits: seen, duplicate: true, outcome: 'RELEASED' };

  const { orderId } = event;
  const serviceTable = required(ENV.serviceTable);
  const { Item } = await ddb.send(new GetCommand({ TableName: serviceTable, Key: reservationKey(orderId), ConsistentRead: true }));
  // The aggregator only asks for a release after it saw StockReserved, which is emitted after the reservation commits.
  if (!Item) throw new Error(`no reservation recorded for order ${orderId}`);
  const lines = Item.lines as Line[];
  const status = statusWrite(orderId, service, 'RELEASED', { skus: lines.map((l) => l.sku) });
  if (Item.state === 'RELEASED') {
    // Released before, but its inbox record has expired: the stock went back once already, record and move on.
    return (await inbox.commit(event, [], [status])) === 'committed' ? { emits: [], duplicate: true, outcome: 'RELEASED' } : { ...(await replay(event, inbox)), outcome: 'RELEASED' };
  }
  const increments = lines.map((l) => stockChange(l, 'give back'));
  const released: TransactItem = {
    Update: {
      TableName: serviceTable,
      Key: reservationKey(orderId),
      UpdateExpression: 'SET #state = :released, releasedAt = :now',
      // Stock goes back at most once, even if the inbox record had expired.
      ConditionExpression: '#state = :reserved',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':released': 'RELEASED', ':reserved': 'RESERVED', ':now': new Date().toISOString() },
    },
  };
  const writes = [...increments, released, status];
  assertFitsOneTransaction(writes.length + 1);
  const committed = await inbox.commit(event, [], writes);
  return committed === 'committed' ? { emits: [], duplicate: false, outcome: 'RELEASED' } : { ...(await replay(event, inbox)), outcome: 'RELEASED' };
}

/** One line's stock update: taking never goes below zero (nor touches an unknown SKU); giving back always fits. */
function stockChange(line: Line, direction: 'take' | 'give back'): TransactItem {
  const take = direction === 'take';
  return {
    Update: {
      TableName: required(ENV.catalogTable),
      Key: catalogKey(line.sku),
      UpdateExpression: take ? 'SET stock = stock - :q' : 'SET stock = stock + :q',
      ConditionExpression: take ? 'attribute_exists(pk) AND stock >= :q' : 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':q': line.quantity },
    },
  };
}
