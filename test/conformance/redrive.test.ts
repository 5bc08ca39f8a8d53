/**
 * The project's redrive module (lambdas/ops/redrive.ts) on a real emulator: messages moved from a DLQ back to its
 * queue keep body and message attributes (String, Number, Binary), and leave the DLQ.
 */
import { SendMessageCommand, DeleteMessageCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redrive } from '../../lambdas/ops/redrive';
import { dlqUrl, envelope, envelopeAttributes, isOurs, plainAttributes, pollUntil, queueUrl, receive, sqs } from './support';

describe('redrive (receive, send, delete after the send)', () => {
  it('moves messages from the payment DLQ back to the payment queue intact', async () => {
    const runId = `redrive-${randomUUID().slice(0, 8)}`;
    const sent = new Map<string, { body: string; attributes: Record<string, MessageAttributeValue> }>();
    for (let i = 0; i < 3; i++) {
      const e = { ...envelope('OrderPlaced', runId), eventId: `${runId}-${i}` };
      const body = JSON.stringify(e);
      const attributes: Record<string, MessageAttributeValue> = {
        ...envelopeAttributes(e),
        attempt: { DataType: 'Number', StringValue: String(i + 1) },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 255, i]) },
      };
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl('payment'), MessageBody: body, MessageAttributes: attributes }));
      sent.set(e.eventId, { body, attributes });
    }

    const result = await redrive({ sqs, fromQueueUrl: dlqUrl('payment'), toQueueUrl: queueUrl('payment') });
    expect(result.errors).toEqual([]);
    expect(result.sendFailed + result.deleteFailed).toBe(0);
    expect(result.moved).toBeGreaterThanOrEqual(3); // leftovers of an earlier failed run may move too
    expect(result.moved).toBe(result.received);

    const arrived = new Map<string, { body: string; attributes: ReturnType<typeof plainAttributes> }>();
    await pollUntil(
      async () => {
        for (const m of await receive(queueUrl('payment'))) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl('payment'), ReceiptHandle: m.ReceiptHandle! }));
          if (isOurs(m, runId)) arrived.set(JSON.parse(m.Body!).eventId, { body: m.Body!, attributes: plainAttributes(m.MessageAttributes) });
        }
        return arrived.size;
      },
      (n) => n === sent.size,
      { what: 'the redriven messages in the payment queue' },
    );
    for (const [id, s] of sent) {
      expect(arrived.get(id)!.body, `${id}: body`).toBe(s.body);
      expect(arrived.get(id)!.attributes, `${id}: attributes`).toEqual(plainAttributes(s.attributes));
    }

    const left = await receive(dlqUrl('payment'), { VisibilityTimeout: 0 });
    expect(
      left.filter((m) => isOurs(m, runId)),
      'nothing of ours left in the DLQ',
    ).toEqual([]);
  });
});
