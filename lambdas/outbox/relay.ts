/**
 * The outbox relay: the orders table's stream -> SNS. Each new OUTBOX# item holds one event, written in the same
 * transaction as its order; the relay publishes it and marks it published. A failed record is reported by its
 * sequence number, so the stream retries from there (bisecting, then the on-failure queue). What the relay gives up
 * on stays pending, and the sweeper (sweeper.ts) republishes it. Publishing twice is safe: consumers deduplicate on
 * eventId.
 */
import { BatchProcessor, EventType as BatchEventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { countingRequests } from '../adapters/aws';
import { faultsEnabled, required } from '../adapters/env';
import { logger } from '../adapters/logger';
import { publish } from '../adapters/publisher';
import { markPublished, publishable } from '../adapters/outbox';
import { describeParseError } from '../adapters/worker';
import { fireOnce, InjectedFault } from '../adapters/faults';
import { parseEnvelope, type Envelope } from '../core/events';
import { PUBLISH_FAIL_ONCE, RELAY_GIVES_UP } from '../core/faults';
import { relayFailureMode } from './failure-mode';
import { ENV, KEY_PREFIX } from '../contract';

const processor = new BatchProcessor(BatchEventType.DynamoDBStreams);

export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  const response = await processPartialResponse(event, relayRecord, processor, { context, throwOnFullBatchFailure: false });
  if (response.batchItemFailures.length && relayFailureMode() === 'throw') {
    throw new Error(`${response.batchItemFailures.length} of ${event.Records.length} records failed; failing the batch so the stream retries it`);
  }
  return response;
};

/** Publishes the event of an inserted OUTBOX item; every other record (the stream carries the whole table) is skipped. */
export async function relayRecord(record: DynamoDBRecord): Promise<void> {
  if (record.eventName !== 'INSERT') return;
  const image = record.dynamodb?.NewImage;
  if (!image?.sk?.S?.startsWith(KEY_PREFIX.outbox)) return;

  const item = unmarshall(image as Record<string, AttributeValue>);
  let envelope: Envelope;
  try {
    // Checked, not trusted: a malformed event must stop here, not poison six queues.
    envelope = parseEnvelope(JSON.stringify(item.event));
  } catch (err) {
    logger.error('malformed outbox item', { pk: item.pk, sk: item.sk, sequenceNumber: record.dynamodb?.SequenceNumber, error: describeParseError(err) });
    throw err;
  }
  const keys = { correlationId: envelope.correlationId, orderId: envelope.orderId, eventId: envelope.eventId, eventType: envelope.eventType };
  if (!publishable(envelope)) {
    // Retrying cannot make it publishable: skip it (acknowledged), loudly.
    logger.error("outbox event type refused: only the API's own events are published", { ...keys, pk: item.pk, sk: item.sk });
    return;
  }
  const faults: unknown[] = faultsEnabled() && Array.isArray(item.faults) ? item.faults : [];
  if (faults.includes(RELAY_GIVES_UP)) {
    // As the stream does after its retries (MiniStack never gives up): the record is dropped, the item stays pending.
    logger.warn('injected fault: the relay gives up on this event', keys);
    return;
  }
  const { requests } = await countingRequests(async () => {
    try {
      if (faults.includes(PUBLISH_FAIL_ONCE)) await failOnce(envelope.eventId);
      await publish([envelope]);
    } catch (err) {
      // The injected fault is the expected local test path, not news.
      if (err instanceof InjectedFault) logger.warn('injected fault: publish fails once', keys);
      else logger.error('publish failed', { ...keys, errorName: (err as Error)?.name, error: (err as Error)?.message });
      throw err;
    }
    // A failure here retries the record: a second publish, which consumers drop by eventId.
    await markPublished(required(ENV.ordersTable), { pk: String(item.pk), sk: String(item.sk) });
  });
  logger.info('published', { ...keys, sdkRequests: requests.total, requests: requests.byCommand, rcu: requests.rcu, wcu: requests.wcu });
}

export { InjectedFault };

/** Local stage only: the first attempt writes the marker (FAULT#<eventId> in the orders table) and fails. */
const failOnce = (eventId: string) => fireOnce(required(ENV.ordersTable), PUBLISH_FAIL_ONCE, eventId);
