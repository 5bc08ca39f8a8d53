/**
 * Queue helpers for the integration tests that talk to SQS directly: send an envelope the way SNS raw delivery
 * does, wait for queues to drain, and find (or clean up) the DLQ messages a test caused, by a marker of its own,
 * so that a test never depends on, nor removes, another test's messages.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Envelope, EventType } from '../../../lambdas/core/events';
import { SERVICES, type ServiceName } from '../../../lambdas/services/registry';
import { pollUntil, sqs } from './stack';

/** The services whose subscription filter lets this event type through (from the registry that builds them). */
export const consumersOf = (eventType: EventType): ServiceName[] => SERVICES.filter((s) => s.consumes.includes(eventType)).map((s) => s.name);

/** Sends a body as SNS raw delivery would put it on a queue: the body as is, plus the `eventType` attribute. */
export async function sendRaw(queueUrl: string, body: string, eventType: string, orderId?: string): Promise<string> {
  const out = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: eventType },
        ...(orderId ? { orderId: { DataType: 'String', StringValue: orderId } } : {}),
      },
    }),
  );
  return out.MessageId!;
}

export const sendEnvelope = (queueUrl: string, e: Envelope | Record<string, unknown>) =>
  sendRaw(queueUrl, JSON.stringify(e), String(e.eventType), String(e.orderId));

export interface Depth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export async function depth(queueUrl: string): Promise<Depth> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

const isEmpty = (d: Depth) => d.visible + d.inFlight + d.delayed === 0;

/** Waits until every queue has nothing visible, in flight or delayed (all its messages were processed and deleted). */
export async function untilDrained(queueUrls: readonly string[], timeoutMs = 30_000): Promise<void> {
  await pollUntil(
    () => Promise.all(queueUrls.map(async (url) => ({ url: url.split('/').pop(), ...(await depth(url)) }))),
    (all) => all.every(isEmpty),
    { timeoutMs, intervalMs: 250, what: 'queues to drain' },
  );
}

export interface QueueAttributes {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  deadLetterTargetArn: string;
}

export async function redriveOf(queueUrl: string): Promise<QueueAttributes> {
  const { Attributes: a = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }));
  const rp = JSON.parse(a.RedrivePolicy ?? '{}') as { maxReceiveCount?: number | string; deadLetterTargetArn?: string };
  return {
    visibilityTimeoutSeconds: Number(a.VisibilityTimeout),
    maxReceiveCount: Number(rp.maxReceiveCount),
    deadLetterTargetArn: String(rp.deadLetterTargetArn),
  };
}

/**
 * Takes every visible message of a queue whose body `mine` accepts (they stay in flight for `holdSeconds`, with
 * their receipt handles), by receiving until a receive comes back empty. Other messages are held only during the
 * scan and made visible again at the end, so another test's messages are left where they were (their receive
 * count goes up by one, which a DLQ does not act on).
 */
export async function takeMine(queueUrl: string, mine: (m: Message) => boolean, holdSeconds = 30): Promise<Message[]> {
  const taken: Message[] = [];
  const others: Message[] = [];
  try {
    for (let round = 0; round < 50; round++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: holdSeconds,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      for (const m of Messages) (mine(m) ? taken : others).push(m);
    }
  } finally {
    await release(queueUrl, others);
  }
  return taken;
}

/** Makes received messages visible again at once. */
export async function release(queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    );
  }
}

export async function deleteMessages(queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const out = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }),
    );
    if (out.Failed?.length) throw new Error(`could not delete ${out.Failed.length} message(s) from ${queueUrl}: ${JSON.stringify(out.Failed)}`);
  }
}

const marked = (marker: string) => (m: Message) => Boolean(m.Body?.includes(marker));

/** The visible messages whose body contains `marker`, looked at and left on the queue. */
export async function peekMarked(queueUrl: string, marker: string): Promise<Message[]> {
  if ((await depth(queueUrl)).visible === 0) return [];
  const mine = await takeMine(queueUrl, marked(marker), 5);
  await release(queueUrl, mine);
  return mine;
}

/** Deletes the visible messages whose body contains `marker`; every other message stays. Returns how many went. */
export async function removeMarked(queueUrl: string, marker: string): Promise<number> {
  if ((await depth(queueUrl)).visible === 0) return 0;
  const mine = await takeMine(queueUrl, marked(marker));
  await deleteMessages(queueUrl, mine);
  return mine.length;
}
