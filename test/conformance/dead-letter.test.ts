/**
 * Poison messages: a message that is received and never deleted reaches its queue's DLQ after exactly
 * maxReceiveCount receives (stage local), with its body and message attributes. Every service queue at once.
 * Each receive hides the message for 1 s only (ReceiveMessage VisibilityTimeout), so this takes seconds, not 3 x 18 s.
 */
import { DeleteMessageCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import { dlqUrl, envelope, envelopeAttributes, isOurs, plainAttributes, pollUntil, queueUrl, receive, sqs, stage } from './support';

interface Trace {
  receiveCounts: number[];
  dlqBody?: string;
  dlqAttributes?: ReturnType<typeof plainAttributes>;
  /** System attribute AWS sets on a message it moved to a DLQ: the queue it came from. */
  dlqSourceArn?: string;
}

async function poisonRun(svc: ServiceName, runId: string) {
  const e = envelope(SERVICES.find((s) => s.name === svc)!.consumes[0]!, runId);
  const body = JSON.stringify(e);
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(svc), MessageBody: body, MessageAttributes: envelopeAttributes(e) }));
  const trace: Trace = { receiveCounts: [] };

  await pollUntil(
    async () => {
      // A worker that fails: receive, never delete. The message comes back after 1 s.
      for (const m of await receive(queueUrl(svc), { VisibilityTimeout: 1, WaitTimeSeconds: 1 })) {
        if (isOurs(m, runId)) trace.receiveCounts.push(Number(m.Attributes?.ApproximateReceiveCount));
      }
      for (const m of await receive(dlqUrl(svc), { VisibilityTimeout: 30, WaitTimeSeconds: 0 })) {
        if (!isOurs(m, runId)) continue;
        trace.dlqBody = m.Body;
        trace.dlqAttributes = plainAttributes(m.MessageAttributes);
        trace.dlqSourceArn = m.Attributes?.DeadLetterQueueSourceArn;
        await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl(svc), ReceiptHandle: m.ReceiptHandle! }));
      }
      return trace;
    },
    (t) => t.dlqBody !== undefined || t.receiveCounts.length > stage.worker.maxReceiveCount + 2,
    { what: `the poison message in ${svc}'s DLQ`, timeoutMs: 45_000 },
  );
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl(svc), AttributeNames: ['QueueArn'] }));
  return { trace, body, attributes: plainAttributes(envelopeAttributes(e)), queueArn: Attributes?.QueueArn };
}

describe('dead-letter queues', () => {
  it(`moves a message that is never deleted to its DLQ after exactly maxReceiveCount (${stage.worker.maxReceiveCount}) receives, on every queue`, async () => {
    const runId = `dlq-${randomUUID().slice(0, 8)}`;
    const results = await Promise.all(SERVICES.map(async (s) => ({ svc: s.name, ...(await poisonRun(s.name, runId)) })));
    const n = stage.worker.maxReceiveCount;
    for (const { svc, trace, body, attributes, queueArn } of results) {
      expect(trace.receiveCounts, `${svc}: ApproximateReceiveCount of each receive`).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(trace.dlqBody, `${svc}: body in the DLQ`).toBe(body);
      expect(trace.dlqAttributes, `${svc}: message attributes in the DLQ`).toEqual(attributes);
      expect(trace.dlqSourceArn, `${svc}: DeadLetterQueueSourceArn`).toBe(queueArn);
    }
  });
});
