/**
 * The outbox's pending state, shared by the relay (publishes each new OUTBOX item from the stream) and the sweeper
 * (republishes what stayed pending, e.g. after the relay gave up). An OUTBOX item is pending from its insert until
 * one of them has published it; `markPublished` takes it out of the sparse pending index and gives it a TTL.
 */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { parseEnvelope, type Envelope, type EventType } from '../core/events';
import { ddb } from './aws';
import { epochSeconds } from './keys';
import { OUTBOX_PENDING, OUTBOX_PENDING_INDEX, TTL_ATTRIBUTE } from '../contract';

/**
 * What the API may originate, and so all the relay and the sweeper publish. An OUTBOX item of any other type is not
 * ours (IAM lets only the API write OUTBOX items; this is the second line): it is logged as an error, never published.
 */
const OUTBOX_EVENT_TYPES: readonly EventType[] = ['OrderPlaced'];
export const publishable = (event: Envelope): boolean => OUTBOX_EVENT_TYPES.includes(event.eventType);

/** A published outbox item is kept a day (for an operator's look), then expires. */
export const OUTBOX_TTL_SECONDS = 86_400;

export interface OutboxKey {
  readonly pk: string;
  readonly sk: string;
}

export interface PendingEvent {
  readonly key: OutboxKey;
  readonly event: Envelope;
  readonly pendingSince: number;
}

/**
 * Published: leave the pending index, expire in a day. A second mark (relay and sweeper both published) is a no-op;
 * an item already gone (expired) is fine too.
 */
export async function markPublished(table: string, key: OutboxKey, now = Date.now()): Promise<void> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: key.pk, sk: key.sk },
        UpdateExpression: 'REMOVE #shard, #since SET #ttl = :ttl',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#shard': OUTBOX_PENDING.partition, '#since': OUTBOX_PENDING.since, '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':ttl': epochSeconds(now) + OUTBOX_TTL_SECONDS },
      }),
    );
  } catch (err) {
    if ((err as Error)?.name !== 'ConditionalCheckFailedException') throw err;
  }
}

/** Pending OUTBOX items whose insert is at least `olderThanMs` old, oldest first, one page of at most `limit`. */
export async function pendingEvents(
  table: string,
  { olderThanMs, limit, now = Date.now(), startKey }: { olderThanMs: number; limit: number; now?: number; startKey?: Record<string, unknown> },
): Promise<{ events: PendingEvent[]; malformed: OutboxKey[]; next?: Record<string, unknown> }> {
  const out = await ddb.send(
    new QueryCommand({
      TableName: table,
      IndexName: OUTBOX_PENDING_INDEX,
      KeyConditionExpression: '#shard = :pending AND #since <= :cutoff',
      ExpressionAttributeNames: { '#shard': OUTBOX_PENDING.partition, '#since': OUTBOX_PENDING.since },
      ExpressionAttributeValues: { ':pending': OUTBOX_PENDING.value, ':cutoff': now - olderThanMs },
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  const events: PendingEvent[] = [];
  const malformed: OutboxKey[] = [];
  for (const item of out.Items ?? []) {
    const key = { pk: String(item.pk), sk: String(item.sk) };
    let event: Envelope;
    try {
      event = parseEnvelope(JSON.stringify(item.event));
    } catch {
      malformed.push(key);
      continue;
    }
    // Not an event the API originates: never published, left (and reported) like a malformed one.
    if (publishable(event)) events.push({ key, event, pendingSince: Number(item[OUTBOX_PENDING.since]) });
    else malformed.push(key);
  }
  return { events, malformed, next: out.LastEvaluatedKey };
}
