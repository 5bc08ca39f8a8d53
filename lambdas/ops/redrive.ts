/**
 * Moves messages from a dead-letter queue back to its queue, keeping body and message attributes.
 *
 * Why not SQS `StartMessageMoveTask`: neither local emulator has it (MiniStack: InvalidAction; LocalStack 4.14
 * Community: see docs/emulators.md), and the same code should run locally and on AWS.
 *
 * Order of effects: receive -> send to the target -> delete from the DLQ only for entries whose send succeeded.
 * A crash or a failed delete between send and delete leaves the message in both queues: a duplicate, never a loss.
 * Consumers dedupe on the envelope's eventId (not the SQS message id, which is new here), so that is safe.
 * A message whose send failed stays in the DLQ; it becomes visible again after `visibilityTimeoutSeconds`, which
 * keeps it out of the rest of this run.
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly fromQueueUrl: string;
  readonly toQueueUrl: string;
  /** Stop after this many messages have been received (default: until the DLQ answers empty). */
  readonly maxMessages?: number;
  /** Long-poll wait per receive; an empty answer ends the run (default 1 s). */
  readonly waitTimeSeconds?: number;
  /** How long received messages stay invisible in the DLQ during the move (default 60 s). */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Refuse (leave in the DLQ, unsent) a message first sent before this time (epoch ms): past the consumers'
   * idempotency window its effect could be applied a second time. SQS keeps a message's original SentTimestamp in
   * the DLQ of a standard queue, so this is its age since it entered the pipeline.
   */
  readonly refuseSentBefore?: number;
  /** Called after every batch with the running totals (a progress line). */
  readonly onProgress?: (result: RedriveResult) => void;
  /** Checked before every receive: true ends the run cleanly (e.g. after Ctrl-C). */
  readonly shouldStop?: () => boolean;
}

export interface RedriveResult {
  /** Messages received from the DLQ. */
  received: number;
  /** Sent to the target and deleted from the DLQ. */
  moved: number;
  /** Not sent (left in the DLQ, not deleted). */
  sendFailed: number;
  /** Sent but not deleted: now in both queues (a duplicate the consumers' idempotency absorbs). */
  deleteFailed: number;
  /** Left in the DLQ unsent because they are older than `refuseSentBefore`. */
  refused: number;
  /** Errors that ended the run early (e.g. the target queue does not exist). */
  errors: string[];
}

/** Message attributes as SendMessage accepts them (list values are reserved by SQS and never set). */
function copyAttributes(attrs: Message['MessageAttributes']): Record<string, MessageAttributeValue> | undefined {
  if (!attrs || Object.keys(attrs).length === 0) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, v] of Object.entries(attrs)) {
    out[name] = {
      DataType: v.DataType,
      ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { BinaryValue: v.BinaryValue } : {}),
    };
  }
  return out;
}

const describe = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, fromQueueUrl, toQueueUrl, maxMessages = Number.POSITIVE_INFINITY } = options;
  if (fromQueueUrl === toQueueUrl) throw new Error('redrive: source and target are the same queue');
  if (!(maxMessages > 0)) throw new Error(`redrive: maxMessages must be positive, got ${maxMessages}`);
  const result: RedriveResult = { received: 0, moved: 0, sendFailed: 0, deleteFailed: 0, refused: 0, errors: [] };
  const tooOld = (m: Message) => options.refuseSentBefore !== undefined && Number(m.Attributes?.SentTimestamp ?? 0) < options.refuseSentBefore;
  // A refused message stays invisible for the visibility timeout, so this run never receives it twice.
  const seen = new Set<string>();

  while (result.received < maxMessages && !options.shouldStop?.()) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fromQueueUrl,
        MaxNumberOfMessages: Math.min(10, maxMessages - result.received),
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
        WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
      }),
    );
    const fresh = Messages.filter((m) => !seen.has(m.MessageId ?? ''));
    if (fresh.length === 0) break;
    for (const m of fresh) seen.add(m.MessageId ?? '');
    result.received += fresh.length;
    const old = fresh.filter(tooOld);
    result.refused += old.length;
    const movable = fresh.filter((m) => !tooOld(m));
    if (movable.length === 0) {
      options.onProgress?.(result);
      continue;
    }

    const entries = movable.map((m, i) => ({ id: String(i), message: m }));
    let sentIds: Set<string>;
    try {
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: toQueueUrl,
          Entries: entries.map(({ id, message }) => ({
            Id: id,
            MessageBody: message.Body ?? '',
            MessageAttributes: copyAttributes(message.MessageAttributes),
          })),
        }),
      );
      sentIds = new Set((sent.Successful ?? []).map((s) => s.Id!));
      for (const f of sent.Failed ?? []) result.errors.push(`send ${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim());
    } catch (err) {
      // Nothing is known to be sent: delete nothing, stop (the next batch would most likely fail the same way).
      result.sendFailed += movable.length;
      result.errors.push(`send: ${describe(err)}`);
      break;
    }
    result.sendFailed += movable.length - sentIds.size;

    const toDelete = entries.filter(({ id }) => sentIds.has(id));
    if (toDelete.length === 0) {
      options.onProgress?.(result);
      continue;
    }
    try {
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: fromQueueUrl,
          Entries: toDelete.map(({ id, message }) => ({ Id: id, ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
      const failed = deleted.Failed ?? [];
      result.moved += toDelete.length - failed.length;
      result.deleteFailed += failed.length;
      for (const f of failed) result.errors.push(`delete ${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim());
    } catch (err) {
      result.deleteFailed += toDelete.length;
      result.errors.push(`delete: ${describe(err)}`);
      break;
    }
    options.onProgress?.(result);
  }
  return result;
}
