/**
 * Analytics: confirmed and cancelled orders and revenue per day and currency. Exact under duplicates because each
 * message's ADD commits in one transaction with its inbox record (a redelivery's transaction is cancelled by the
 * inbox condition). No hot item: the day's counter is split into SHARDS items, and a message picks its shard by a
 * stable hash of its event id, so a redelivery lands on the same shard and concurrent messages spread out.
 * Readers sum the shards (readDailyTotals).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { ddb } from '../../adapters/aws';
import { ENV, required } from '../../adapters/env';
import type { TransactItem } from '../../adapters/inbox';
import { statusWrite } from '../../adapters/status';
import type { ServiceHandler } from '../../adapters/worker';
import type { Envelope } from '../../core/events';

export const SHARDS = 8;

export const dailyPartition = (date: string, currency: string) => `DAILY#${date}#${currency}`;
export const shardKey = (date: string, currency: string, shard: number) => ({ pk: dailyPartition(date, currency), sk: `SHARD#${shard}` });

/** Stable across runtimes and redeliveries: the first 32 bits of sha256(eventId), mod SHARDS. */
export const shardOf = (eventId: string): number => createHash('sha256').update(eventId).digest().readUInt32BE(0) % SHARDS;

export interface DailyTotals {
  confirmed: number;
  cancelled: number;
  revenueCents: number;
}

/** What one decided order adds to its day. The day is the UTC date of the decision. */
export function contribution(event: Envelope): { date: string; currency: string; add: DailyTotals } | undefined {
  if (event.eventType === 'OrderConfirmed') {
    const p = (event as Envelope<'OrderConfirmed'>).payload;
    return { date: utcDate(p.confirmedAt), currency: p.currency, add: { confirmed: 1, cancelled: 0, revenueCents: p.amountCents } };
  }
  if (event.eventType === 'OrderCancelled') {
    const p = (event as Envelope<'OrderCancelled'>).payload;
    return { date: utcDate(p.cancelledAt), currency: p.currency, add: { confirmed: 0, cancelled: 1, revenueCents: 0 } };
  }
  return undefined;
}

function utcDate(timestamp: string): string {
  const t = new Date(timestamp);
  // An unparseable timestamp is unprocessable input: throw, so the message dead-letters instead of polluting a day.
  if (Number.isNaN(t.getTime())) throw new Error(`invalid timestamp ${timestamp}`);
  return t.toISOString().slice(0, 10);
}

export const analytics: ServiceHandler = async (event, { inbox, service }) => {
  const c = contribution(event);
  if (!c) return { outcome: 'IGNORED' };
  const { emits, duplicate } = await inbox.once(event, async () => {
    const counter: TransactItem = {
      Update: {
        TableName: required(ENV.serviceTable),
        Key: shardKey(c.date, c.currency, shardOf(event.eventId)),
        UpdateExpression: 'SET #date = :date, currency = :currency ADD confirmed :confirmed, cancelled :cancelled, revenueCents :revenue',
        ExpressionAttributeNames: { '#date': 'date' },
        ExpressionAttributeValues: { ':date': c.date, ':currency': c.currency, ':confirmed': c.add.confirmed, ':cancelled': c.add.cancelled, ':revenue': c.add.revenueCents },
      },
    };
    return { emits: [], writes: [counter, statusWrite(event.orderId, service, 'RECORDED', { date: c.date, currency: c.currency })] };
  });
  return { emits, duplicate, outcome: 'RECORDED' };
};

/** The day's totals in one currency: the sum of its shards (one Query, at most SHARDS small items). */
export async function readDailyTotals(table: string, date: string, currency: string, consistent = true): Promise<DailyTotals> {
  const totals: DailyTotals = { confirmed: 0, cancelled: 0, revenueCents: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :shard)',
        ExpressionAttributeValues: { ':pk': dailyPartition(date, currency), ':shard': 'SHARD#' },
        ConsistentRead: consistent,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      totals.confirmed += Number(item.confirmed ?? 0);
      totals.cancelled += Number(item.cancelled ?? 0);
      totals.revenueCents += Number(item.revenueCents ?? 0);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return totals;
}
