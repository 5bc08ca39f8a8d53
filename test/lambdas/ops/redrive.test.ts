import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { redrive } from '../../../lambdas/ops/redrive';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });
const DLQ = 'http://sqs.local/000000000000/payment-dlq';
const QUEUE = 'http://sqs.local/000000000000/payment';

const message = (n: number): Message => ({
  MessageId: `m-${n}`,
  ReceiptHandle: `rh-${n}`,
  Body: JSON.stringify({ eventId: `e-${n}`, eventType: 'OrderPlaced' }),
  MessageAttributes: {
    eventType: { DataType: 'String', StringValue: 'OrderPlaced' },
    orderId: { DataType: 'String', StringValue: `o-${n}` },
    blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, n]) },
  },
});

const sendCalls = () => sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
const deleteCalls = () => sqsMock.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input);

beforeEach(() => sqsMock.reset());

describe('redrive', () => {
  it('sends body and message attributes unchanged to the target, then deletes from the DLQ', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1), message(2)] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0' }, { Id: '1' }] as never, Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }, { Id: '1' }], Failed: [] });

    const result = await redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: QUEUE });

    expect(result).toEqual({ received: 2, moved: 2, sendFailed: 0, deleteFailed: 0, refused: 0, errors: [] });
    const receive = sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input;
    expect(receive).toMatchObject({ QueueUrl: DLQ, MessageAttributeNames: ['All'] });
    const [send] = sendCalls();
    expect(send!.QueueUrl).toBe(QUEUE);
    expect(send!.Entries).toEqual([
      { Id: '0', MessageBody: message(1).Body, MessageAttributes: message(1).MessageAttributes },
      { Id: '1', MessageBody: message(2).Body, MessageAttributes: message(2).MessageAttributes },
    ]);
    expect(deleteCalls()).toEqual([
      {
        QueueUrl: DLQ,
        Entries: [
          { Id: '0', ReceiptHandle: 'rh-1' },
          { Id: '1', ReceiptHandle: 'rh-2' },
        ],
      },
    ]);
  });

  it('deletes nothing when the send fails', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1), message(2)] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('AWS.SimpleQueueService.NonExistentQueue'));

    const result = await redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: QUEUE });

    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(result).toMatchObject({ received: 2, moved: 0, sendFailed: 2, deleteFailed: 0 });
    expect(result.errors[0]).toMatch(/NonExistentQueue/);
  });

  it('deletes only the entries whose send succeeded', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1), message(2), message(3)] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }, { Id: '2' }] as never,
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
    });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }, { Id: '2' }], Failed: [] });

    const result = await redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: QUEUE });

    expect(deleteCalls()[0]!.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'rh-1' },
      { Id: '2', ReceiptHandle: 'rh-3' },
    ]);
    expect(result).toMatchObject({ received: 3, moved: 2, sendFailed: 1, deleteFailed: 0 });
    expect(result.errors).toEqual(['send 1: InternalError try again']);
  });

  it('counts a failed delete as a duplicate, not as moved', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1), message(2)] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0' }, { Id: '1' }] as never, Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
    });

    const result = await redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: QUEUE });
    expect(result).toMatchObject({ received: 2, moved: 1, sendFailed: 0, deleteFailed: 1 });
  });

  it('stops at maxMessages and never asks for more than remain', async () => {
    let n = 0;
    sqsMock.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages: number }) => ({
      Messages: Array.from({ length: input.MaxNumberOfMessages }, () => message(n++)),
    }));
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id })),
      Failed: [],
    }));
    sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id })),
      Failed: [],
    }));

    const result = await redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: QUEUE, maxMessages: 13 });
    expect(result).toMatchObject({ received: 13, moved: 13 });
    expect(sqsMock.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages)).toEqual([10, 3]);
  });

  it('refuses messages first sent before the cut-off: left in the DLQ, unsent, undeleted; the rest move', async () => {
    const sent = (m: Message, at: number): Message => ({ ...m, Attributes: { SentTimestamp: String(at) } });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sent(message(1), 1_000), sent(message(2), 5_000)] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0' }] as never, Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    const progress: number[] = [];

    const result = await redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: QUEUE, refuseSentBefore: 2_000, onProgress: (r) => progress.push(r.moved) });

    expect(result).toMatchObject({ received: 2, moved: 1, refused: 1, sendFailed: 0 });
    expect(sendCalls()[0]!.Entries!.map((e) => e.MessageBody)).toEqual([message(2).Body]);
    expect(deleteCalls()[0]!.Entries).toEqual([{ Id: '0', ReceiptHandle: 'rh-2' }]);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input.MessageSystemAttributeNames).toEqual(['SentTimestamp']);
    expect(progress).toEqual([1]);
  });

  it('stops before the next receive when asked (Ctrl-C), and never counts a message it has seen twice', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [message(1)] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0' }] as never, Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    let stop = false;
    const result = await redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: QUEUE, onProgress: () => (stop = true), shouldStop: () => stop });
    expect(result).toMatchObject({ received: 1, moved: 1 });
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
  });

  it('ends on an empty receive and refuses to move a queue onto itself', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({});
    expect(await redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: QUEUE })).toMatchObject({ received: 0, moved: 0 });
    expect(sendCalls()).toHaveLength(0);
    await expect(redrive({ sqs, fromQueueUrl: DLQ, toQueueUrl: DLQ })).rejects.toThrow(/same queue/);
  });
});
