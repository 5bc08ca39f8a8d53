/**
 * Failure paths of the workers, from outside, with the local stage's timings (3 s worker timeout, 18 s visibility,
 * 3 receives): a poison message dead-letters after exactly maxReceiveCount receives, a batch with one bad message
 * retries only that one (ReportBatchItemFailures), and an event id reused with another payload is poison too.
 * The three run concurrently (each waits about three visibility timeouts) on different queues or with markers of
 * their own, so the file takes about a minute.
 *
 * Cleanup: every message this file dead-letters carries the run's marker and is deleted at the end (also when a test
 * fails), so other files see these DLQs as they were. Other files' DLQ checks look only for their own markers.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../lambdas/core/events';
import { deterministicEventId } from '../../lambdas/core/ids';
import type { ServiceName } from '../../lambdas/services/registry';
import { shipmentKey } from '../../lambdas/services/shipping/shipping';
import { stageConfig } from '../../lib/stages';
import { deleteMessages, depth, redriveOf, removeMarked, sendEnvelope, sendRaw, takeMine } from './support/queues';
import { ddb, dlqUrl, pollUntil, queueUrl, serviceTable, sqs } from './support/stack';

const RUN = randomUUID().slice(0, 8);
const local = stageConfig('local').worker;

/** What one test saw when its message arrived in the DLQ. */
interface DeadLetter {
  message: Message;
  /** Seconds from the send to the receive that found it in the DLQ. */
  afterSeconds: number;
  /** The DLQ's ApproximateNumberOfMessages (= CloudWatch ApproximateNumberOfMessagesVisible) read just before. */
  visibleBefore: number;
}

const touched = new Set<ServiceName>();
/** Dead letters this run took off a DLQ (in flight): deleted at the end if a test failed before deleting them. */
const taken: { svc: ServiceName; message: Message }[] = [];

/**
 * Waits for the message whose body contains `marker` in `svc`'s DLQ: reads the DLQ's visible count first and
 * receives only when it is at least 1 (the alarm's view of the queue), then takes the marked message (other
 * messages are put back at once). Returns it still in flight, so the caller decides when it goes.
 */
async function untilDeadLettered(svc: ServiceName, marker: string, sentAt: number, timeoutMs = 90_000): Promise<DeadLetter> {
  return (await untilAllDeadLettered(svc, [marker], sentAt, timeoutMs))[0]!;
}

/**
 * Waits for one message per marker in the service's DLQ. Every message we receive here counts as a receive, so the
 * ones we are waiting for are held (never released) once seen: each is received by us exactly once, and its
 * ApproximateReceiveCount is the source queue's receives + 1. Messages of others are released at once.
 */
async function untilAllDeadLettered(svc: ServiceName, markers: string[], sentAt: number, timeoutMs = 90_000): Promise<DeadLetter[]> {
  touched.add(svc);
  const dlq = dlqUrl(svc);
  const found = new Map<string, DeadLetter>();
  await pollUntil(
    async () => {
      const visibleBefore = (await depth(dlq)).visible;
      if (visibleBefore < 1) return found.size;
      const wanted = markers.filter((m) => !found.has(m));
      const mine = await takeMine(dlq, (m) => wanted.some((w) => m.Body?.includes(w)), 120);
      for (const message of mine) {
        taken.push({ svc, message });
        const marker = wanted.find((w) => message.Body?.includes(w))!;
        expect(found.has(marker), `one copy of ${marker} in the ${svc} DLQ`).toBe(false);
        found.set(marker, { message, afterSeconds: (Date.now() - sentAt) / 1000, visibleBefore });
      }
      return found.size;
    },
    (n) => n === markers.length,
    { timeoutMs, intervalMs: 500, what: `messages marked ${markers.join(', ')} in the ${svc} DLQ` },
  );
  return markers.map((m) => found.get(m)!);
}

/** An OrderConfirmed envelope for an order id of its own, shaped as the orders service emits it. */
function confirmedFor(orderId: string, correlationId: string, amountCents = 1234): Envelope<'OrderConfirmed'> {
  const now = new Date().toISOString();
  return {
    eventId: deterministicEventId(orderId, 'orders', 'OrderConfirmed'),
    eventType: 'OrderConfirmed',
    schemaVersion: 1,
    occurredAt: now,
    correlationId,
    orderId,
    payload: { amountCents, currency: 'USD', confirmedAt: now },
  };
}

const shipmentOf = async (orderId: string) =>
  (await ddb.send(new GetCommand({ TableName: serviceTable('shipping'), Key: shipmentKey(orderId), ConsistentRead: true }))).Item;

afterAll(async () => {
  // Whatever a failed assertion left behind: this run's messages only.
  for (const { svc, message } of taken) await deleteMessages(dlqUrl(svc), [message]).catch(() => undefined);
  for (const svc of touched) await removeMarked(dlqUrl(svc), RUN);
});

describe('poison messages and partial batches (local stage timings)', () => {
  it('the deployed queues carry the local stage redrive settings', async () => {
    for (const svc of ['notification', 'shipping'] as const) {
      const attrs = await redriveOf(queueUrl(svc));
      expect({ svc, ...attrs }).toMatchObject({ svc, visibilityTimeoutSeconds: local.timeoutSeconds * 6, maxReceiveCount: local.maxReceiveCount });
    }
  });

  it('a poison message dead-letters after maxReceiveCount receives; a bad message in a batch dead-letters alone; a reused event id with another payload is poison', async () => {
    const { visibilityTimeoutSeconds: visibility, maxReceiveCount } = await redriveOf(queueUrl('notification'));

    // (a) Not JSON at all, on the notification queue.
    const poison = async () => {
      const marker = `${RUN}-poison`;
      const body = `not json ${marker}`;
      const sentAt = Date.now();
      await sendRaw(queueUrl('notification'), body, 'OrderConfirmed');
      const dead = await untilDeadLettered('notification', marker, sentAt);
      expect(dead.message.Body).toBe(body);
      // The alarm's metric saw it sitting there.
      expect(dead.visibleBefore).toBeGreaterThanOrEqual(1);
      // The receive count carries over into the DLQ and our receive adds one: maxReceiveCount receives before.
      expect(Number(dead.message.Attributes?.ApproximateReceiveCount) - 1).toBe(maxReceiveCount);
      // maxReceiveCount receives take (maxReceiveCount - 1) visibility timeouts at least; "well under a minute"
      // means at most one more visibility timeout plus polling slack.
      expect(dead.afterSeconds).toBeGreaterThanOrEqual((maxReceiveCount - 1) * visibility);
      expect(dead.afterSeconds).toBeLessThan(maxReceiveCount * visibility + 10);
      await deleteMessages(dlqUrl('notification'), [dead.message]);
      return dead;
    };

    // (b) One batch: two valid OrderConfirmed envelopes and one malformed body, on the shipping queue.
    // (c) Then the first valid event again, same event id, another payload: shipping must not apply it.
    const batch = async () => {
      const valid = [randomUUID(), randomUUID()].map((orderId) => confirmedFor(orderId, `${RUN}-batch`));
      const malformed = `{"eventType":"OrderConfirmed","orderId":"${RUN}-malformed"`; // truncated JSON
      const sentAt = Date.now();
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl('shipping'),
          Entries: [
            { Id: 'valid0', MessageBody: JSON.stringify(valid[0]), MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderConfirmed' } } },
            { Id: 'malformed', MessageBody: malformed, MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderConfirmed' } } },
            { Id: 'valid1', MessageBody: JSON.stringify(valid[1]), MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderConfirmed' } } },
          ],
        }),
      );
      expect(out.Failed ?? []).toEqual([]);

      // Both valid ones are processed on the first attempt, long before a retry could happen.
      const shipments = await pollUntil(
        () => Promise.all(valid.map((e) => shipmentOf(e.orderId))),
        (s) => s.every(Boolean),
        { timeoutMs: (visibility * 1000) / 2, what: 'both valid envelopes of the batch to ship' },
      );
      shipments.forEach((s, i) => expect(s).toMatchObject({ orderId: valid[i]!.orderId, state: 'REQUESTED', sourceEventId: valid[i]!.eventId }));

      const reused = { ...confirmedFor(valid[0]!.orderId, `${RUN}-mismatch`, 999_999), eventId: valid[0]!.eventId };
      const reusedAt = Date.now();
      await sendEnvelope(queueUrl('shipping'), reused);

      // Both wait in one pass: polling for one would receive (and so count) the other while it sits in the DLQ.
      const [deadMalformed, deadReused] = await untilAllDeadLettered('shipping', [`${RUN}-malformed`, `${RUN}-mismatch`], Math.min(sentAt, reusedAt));
      expect(deadMalformed!.message.Body).toBe(malformed);
      expect(Number(deadMalformed!.message.Attributes?.ApproximateReceiveCount) - 1).toBe(maxReceiveCount);
      expect(JSON.parse(deadReused!.message.Body!)).toEqual(reused);
      expect(Number(deadReused!.message.Attributes?.ApproximateReceiveCount) - 1).toBe(maxReceiveCount);

      // Only the malformed one (and the reused id) dead-lettered: the valid ones were acknowledged, not retried
      // with the batch (had the whole batch failed, all three would be here by now).
      const validInDlq = await takeMine(dlqUrl('shipping'), (m) => Boolean(m.Body?.includes(`${RUN}-batch`)), 5);
      expect(validInDlq.map((m) => m.Body)).toEqual([]);
      // The shipment still comes from the first delivery.
      expect(await shipmentOf(valid[0]!.orderId)).toEqual(shipments[0]);
      await deleteMessages(dlqUrl('shipping'), [deadMalformed!.message, deadReused!.message]);
    };

    const [dead] = await Promise.all([poison(), batch()]);
    console.log(
      `poison: in the DLQ after ${dead.afterSeconds.toFixed(1)} s, ApproximateReceiveCount ${dead.message.Attributes?.ApproximateReceiveCount} on its first receive from the DLQ`,
    );
  }, 150_000);
});
