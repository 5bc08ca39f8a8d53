/**
 * Topic-exchange routing and raw delivery: what the relay publishes reaches exactly the queues whose registry entry
 * consumes its event type, as the envelope itself (raw delivery) with its message attributes.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, parseEnvelope, type EventType } from '../../lambdas/core/events';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import { envelope, envelopeAttributes, isOurs, plainAttributes, pollUntil, queueUrl, receive, sns, sqs, topicArn } from './support';

async function publish(eventType: EventType, runId: string, extraAttributes: Record<string, { DataType: string; StringValue: string }> = {}) {
  const e = envelope(eventType, runId);
  const message = JSON.stringify(e);
  parseEnvelope(message); // the real envelope shape: what a worker accepts
  await sns.send(new PublishCommand({ TopicArn: topicArn(), Message: message, MessageAttributes: { ...envelopeAttributes(e), ...extraAttributes } }));
  return { envelope: e, message };
}

async function deleteAll(queue: string, messages: Message[]) {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue, Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

/** Receives (and deletes) from every service queue until `enough` holds; returns this run's messages per service. */
async function collect(runId: string, enough: (seen: Map<ServiceName, Message[]>) => boolean, what: string) {
  const seen = new Map<ServiceName, Message[]>(SERVICES.map((s) => [s.name, []]));
  const round = async () => {
    await Promise.all(
      SERVICES.map(async (s) => {
        const got = await receive(queueUrl(s.name));
        await deleteAll(queueUrl(s.name), got); // leftovers of earlier runs too: they would only get in the way
        seen.get(s.name)!.push(...got.filter((m) => isOurs(m, runId)));
      }),
    );
    return seen;
  };
  await pollUntil(round, enough, { what, timeoutMs: 30_000 });
  // Stragglers: one more long-poll round on every queue, so a message routed where it should not be is caught too.
  await round();
  return seen;
}

const typesOf = (messages: Message[]) => messages.map((m) => parseEnvelope(m.Body!).eventType).sort();

describe('routing: every event type reaches exactly the queues the registry says', () => {
  const expected = new Map<ServiceName, EventType[]>(SERVICES.map((s) => [s.name, [...s.consumes].sort()]));

  it('derives a non-trivial expectation from the registry', () => {
    // Every event type has a consumer, and no queue takes everything: otherwise "no other queue" would check little.
    for (const t of EVENT_TYPES)
      expect(
        SERVICES.some((s) => s.consumes.includes(t)),
        t,
      ).toBe(true);
    for (const s of SERVICES) expect(s.consumes.length, s.name).toBeLessThan(EVENT_TYPES.length);
  });

  it("publishes each of the event types once and finds each in its consumers' queues only, once", async () => {
    const runId = `route-${randomUUID().slice(0, 8)}`;
    for (const t of EVENT_TYPES) await publish(t, runId);

    const seen = await collect(
      runId,
      (s) => SERVICES.every((svc) => expected.get(svc.name)!.every((t) => typesOf(s.get(svc.name)!).includes(t))),
      'every consumer queue to receive its event types',
    );
    for (const svc of SERVICES) expect(typesOf(seen.get(svc.name)!), `queue of ${svc.name}`).toEqual(expected.get(svc.name));
  });
});

describe('raw delivery', () => {
  it('delivers the published message as the body, byte for byte, with its message attributes', async () => {
    const runId = `raw-${randomUUID().slice(0, 8)}`;
    const extra = { note: { DataType: 'String', StringValue: 'ünïcødé ✓' } };
    const { envelope: e, message } = await publish('OrderPlaced', runId, extra);
    const consumers = SERVICES.filter((s) => s.consumes.includes('OrderPlaced')).map((s) => s.name);

    const seen = await collect(runId, (s) => consumers.every((c) => s.get(c)!.length >= 1), "OrderPlaced in its consumers' queues");
    for (const c of consumers) {
      const [m] = seen.get(c)!;
      expect(m!.Body, `body in ${c}'s queue`).toBe(message); // not an SNS notification wrapper
      expect(plainAttributes(m!.MessageAttributes), `attributes in ${c}'s queue`).toEqual({
        eventType: { DataType: 'String', StringValue: e.eventType },
        orderId: { DataType: 'String', StringValue: e.orderId },
        note: { DataType: 'String', StringValue: 'ünïcødé ✓' },
      });
    }
  });
});
