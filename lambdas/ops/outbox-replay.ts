/**
 * `npm run redrive -- --outbox`: clears the outbox relay's on-failure records once their events are out.
 *
 * When the relay gives up on a stream batch (retries or record age exhausted), Lambda puts a record of the *batch*
 * into the relay's on-failure queue: shard, first and last sequence number, arrival times, size. It holds no event.
 * The events are the OUTBOX items, which stay pending (in the sparse pending index, no TTL) until published, and the
 * scheduled sweeper (lambdas/outbox/sweeper.ts) republishes whatever stays pending: replaying needs no human and no
 * second publisher. So this command only reports and clears: for each record it looks for OUTBOX items still pending
 * from the batch's time window (a minute's slack either side). None: the sweeper or the relay published them, and the
 * record is deleted. Some: the record stays, and the command says how many and that the sweeper will retry them
 * (if they stay pending, publishing itself is failing: the sweeper's log says why).
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { OUTBOX_PENDING, OUTBOX_PENDING_INDEX } from '../contract';

/** Arrival times are approximate and an item's pendingSince is taken just before its write: widen the window. */
const WINDOW_SLACK_MS = 60_000;

/** The part of a DynamoDB-stream on-failure record that locates the batch (AWS Lambda's documented shape). */
export interface StreamBatchInfo {
  shardId?: string;
  startSequenceNumber?: string;
  endSequenceNumber?: string;
  approximateArrivalOfFirstRecord: string;
  approximateArrivalOfLastRecord: string;
  batchSize?: number;
  streamArn?: string;
}

export function batchInfoOf(body: string | undefined): StreamBatchInfo | undefined {
  try {
    const info = (JSON.parse(body ?? '') as { DDBStreamBatchInfo?: StreamBatchInfo }).DDBStreamBatchInfo;
    if (!info || Number.isNaN(Date.parse(info.approximateArrivalOfFirstRecord)) || Number.isNaN(Date.parse(info.approximateArrivalOfLastRecord)))
      return undefined;
    return info;
  } catch {
    return undefined;
  }
}

export interface OutboxReplayOptions {
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly outboxDlqUrl: string;
  readonly ordersTable: string;
  readonly dryRun?: boolean;
  readonly max?: number;
  readonly log: (line: string) => void;
  readonly shouldStop?: () => boolean;
}

export interface OutboxReplayResult {
  records: number;
  /** Records whose events are all out: deleted (or, in a dry run, would be). */
  cleared: number;
  /** Records with events still pending: left for the sweeper. */
  pending: number;
  unreadable: number;
}

/** How many OUTBOX items are still pending with a pendingSince in [from, to]. */
async function pendingBetween(ddb: DynamoDBDocumentClient, table: string, fromMs: number, toMs: number): Promise<number> {
  let count = 0;
  const pages = paginateQuery(
    { client: ddb },
    {
      TableName: table,
      IndexName: OUTBOX_PENDING_INDEX,
      KeyConditionExpression: '#shard = :pending AND #since BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#shard': OUTBOX_PENDING.partition, '#since': OUTBOX_PENDING.since },
      ExpressionAttributeValues: { ':pending': OUTBOX_PENDING.value, ':from': fromMs, ':to': toMs },
      Select: 'COUNT',
    },
  );
  for await (const page of pages) count += page.Count ?? 0;
  return count;
}

export async function replayOutboxFailures(o: OutboxReplayOptions): Promise<OutboxReplayResult> {
  const result: OutboxReplayResult = { records: 0, cleared: 0, pending: 0, unreadable: 0 };
  const seen = new Set<string>();
  const max = o.max ?? Number.POSITIVE_INFINITY;
  while (result.records < max && !o.shouldStop?.()) {
    const { Messages = [] } = await o.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: o.outboxDlqUrl,
        MaxNumberOfMessages: Math.min(10, max - result.records),
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
      }),
    );
    const fresh = Messages.filter((m) => !seen.has(m.MessageId ?? ''));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId ?? '');
      result.records += 1;
      const info = batchInfoOf(message.Body);
      if (!info) {
        result.unreadable += 1;
        o.log(`  outbox: record ${message.MessageId} is not a DynamoDB-stream on-failure record: left in the queue for a person`);
        continue;
      }
      const from = Date.parse(info.approximateArrivalOfFirstRecord) - WINDOW_SLACK_MS;
      const to = Date.parse(info.approximateArrivalOfLastRecord) + WINDOW_SLACK_MS;
      const where = `shard ${info.shardId ?? '?'}, sequence ${info.startSequenceNumber ?? '?'}..${info.endSequenceNumber ?? '?'}, ${info.batchSize ?? '?'} records, ${info.approximateArrivalOfFirstRecord}..${info.approximateArrivalOfLastRecord}`;
      const pending = await pendingBetween(o.ddb, o.ordersTable, from, to);
      if (pending > 0) {
        result.pending += 1;
        o.log(
          `  outbox: ${where}: ${pending} event(s) still pending; the outbox sweeper republishes them (if they stay pending, publishing fails: see the sweeper's log). Record kept; run again later`,
        );
        continue;
      }
      result.cleared += 1;
      if (o.dryRun) {
        o.log(`  outbox: ${where}: every event published; would delete the record`);
        continue;
      }
      await o.sqs.send(new DeleteMessageCommand({ QueueUrl: o.outboxDlqUrl, ReceiptHandle: message.ReceiptHandle! }));
      o.log(`  outbox: ${where}: every event published (by the relay or the sweeper); record deleted`);
    }
  }
  return result;
}
