/**
 * Analytics: confirmed and cancelled orders and revenue per day and currency. Exact under duplicates because each
 * message's ADD commits in one transaction with its inbox record and a per-order marker (`COUNTED#<orderId>`, no
 * TTL): a redelivery is cancelled by the inbox condition, and one after the inbox record expired (a late redrive) by
 * the marker, since an order has exactly one decision. No hot partition: the day's counter is split into SHARDS
 * items, each in a partition of its own (`DAILY#<date>#<currency>#<shard>`), and a message picks its shard by a
 * stable hash of its event id, so a redelivery lands on the same shard and concurrent messages spread out over
 * partitions. Readers sum the shards (readDailyTotals).
 */
import { createHash } from 'node:crypto';
import { ddb } from '../../adapters/aws';
import { batchGetAll } from '../../adapters/batch-get';
import type { TransactItem } from '../../adapters/inbox';
import { statusWrite } from '../../adapters/status';
import type { ServiceHandler } from '../../adapters/worker';
import type { Envelope } from '../../core/events';

export const SHARDS = 8;

/** Each shard is its own partition: a partition serves about 1,000 write units a second, a sort key does not help. */
export const shardKey = (date: string, currency: string, shard: number) => ({ pk: `DAILY#${date}#${currency}#${shard}`, sk: 'SHARD' });
/** The order was counted (one decision per order): outlives every inbox record. */
export const countedKey = (orderId: string) => ({ pk: `COUNTED#${orderId}`, sk: 'COUNTED' });

/** Stable across runtimes and redeliveries: the first 32 bits of sha256(eventId), mod SHARDS. */
export const shardOf = (eventId: string): number => createHash('sha256').update(eventId).digest().readUInt32BE(0) % SHARDS;

export interface DailyTotals {
  confirmed: number;
  cancelled: number;
  revenueCents: number;
}

/** What one decided order adds to its day. The day is the UTC date of the decision. */
export function contribution(event: Envelope): { date: string; currency: string; add: DailyTotals } | undefined {
  switch (event.eventType) {
    case 'OrderConfirmed': {
      const p = event.payload;
      return { date: utcDate(p.confirmedAt), currency: p.currency, add: { confirmed: 1, cancelled: 0, revenueCents: p.amountCents } };
    }
    case 'OrderCancelled': {
      const p = event.payload;
      return { date: utcDate(p.cancelledAt), currency: p.currency, add: { confirmed: 0, cancelled: 1, revenueCents: 0 } };
    }
    default:
      return undefined;
  }
}

function utcDate(timestamp: string): string {
  const t = new Date(timestamp);
  // An unparseable timestamp is unprocessable input: throw, so the message dead-letters instead of polluting a day.
  if (Number.isNaN(t.getTime())) throw new Error(`invalid timestamp ${timestamp}`);
  return t.toISOString().slice(0, 10);
}

export const analytics: ServiceHandler = async (event, { inbox, service, config }) => {
  const c = contribution(event);
  if (!c) return { outcome: 'IGNORED' };
  const { emits, duplicate } = await inbox.once(
    event,
    async () => {
      const counter: TransactItem = {
        Update: {
          TableName: config.serviceTable,
          Key: shardKey(c.date, c.currency, shardOf(event.eventId)),
          UpdateExpression: 'SET #date = :date, currency = :currency ADD confirmed :confirmed, cancelled :cancelled, revenueCents :revenue',
          ExpressionAttributeNames: { '#date': 'date' },
          ExpressionAttributeValues: {
            ':date': c.date,
            ':currency': c.currency,
            ':confirmed': c.add.confirmed,
            ':cancelled': c.add.cancelled,
            ':revenue': c.add.revenueCents,
          },
        },
      };
      const status = statusWrite(config.ordersTable, event.orderId, service, 'RECORDED', { date: c.date, currency: c.currency });
      const counted: TransactItem = {
        Put: {
          TableName: config.serviceTable,
          Item: { ...countedKey(event.orderId), orderId: event.orderId, eventId: event.eventId, date: c.date, currency: c.currency },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
      return { emits: [], writes: [counter, counted, status], doneBefore: { marker: 1, writes: [status] } };
    },
    // The effect only builds writes: no inbox read first (a redelivery loses the inbox condition instead).
    { readFirst: false },
  );
  return { emits, duplicate, outcome: 'RECORDED' };
};

/** The day's totals in one currency: the sum of its shards (one BatchGet of SHARDS small items). */
export async function readDailyTotals(table: string, date: string, currency: string, consistent = true): Promise<DailyTotals> {
  const totals: DailyTotals = { confirmed: 0, cancelled: 0, revenueCents: 0 };
  const keys = Array.from({ length: SHARDS }, (_, shard) => shardKey(date, currency, shard));
  for (const item of await batchGetAll(ddb, table, keys, { consistentRead: consistent, rounds: 5 })) {
    totals.confirmed += Number(item.confirmed ?? 0);
    totals.cancelled += Number(item.cancelled ?? 0);
    totals.revenueCents += Number(item.revenueCents ?? 0);
  }
  return totals;
}
