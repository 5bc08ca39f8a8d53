import {
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  SQSServiceException,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { moveQueue, moveTaskUnsupported, queuePairs, type QueuePair } from '../../../lambdas/ops/redrive-stack';
import { batchInfoOf, replayOutboxFailures } from '../../../lambdas/ops/outbox-replay';
import { serviceOutputs } from '../../../lib/outputs';

const sqsMock = mockClient(SQSClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
const sqs = new SQSClient({ region: 'us-east-1' });
const PAIR: QueuePair = { label: 'payment DLQ', service: 'payment', kind: 'dlq', source: 'http://q/payment-dlq', target: 'http://q/payment' };
const lines: string[] = [];
const base = { sqs, refuseSentBefore: 0, moveTaskSafe: true, log: (l: string) => lines.push(l), pollMs: 1 };

beforeEach(() => {
  sqsMock.reset();
  ddbMock.reset();
  lines.length = 0;
  sqsMock.on(GetQueueAttributesCommand).callsFake((i: { QueueUrl: string }) => ({ Attributes: { QueueArn: `arn:${i.QueueUrl.split('/').at(-1)}` } }));
});

const invalidAction = () =>
  new SQSServiceException({
    name: 'InvalidAction',
    $fault: 'client',
    $metadata: {},
    message: 'The action StartMessageMoveTask is not valid for this endpoint.',
  });

describe('queuePairs', () => {
  it('pairs each DLQ and subscription DLQ with the service queue, and names outputs that are missing', () => {
    const outputs = {
      PaymentQueueUrl: 'q',
      PaymentDlqUrl: 'd',
      PaymentSubscriptionDlqUrl: 's',
      ShippingQueueUrl: 'q2',
      ShippingDlqUrl: 'd2',
      OrdersQueueUrl: 'oq',
      OrdersDlqUrl: 'od',
      OrdersSubscriptionDlqUrl: 'os',
      OrdersDeadlineQueueUrl: 'dq',
      OrdersDeadlineDlqUrl: 'dd',
      OrdersDeadlineSubscriptionDlqUrl: 'ds',
    };
    const { pairs, missing } = queuePairs(outputs, ['payment', 'shipping', 'analytics', 'orders'], serviceOutputs);
    expect(pairs.map((p) => [p.label, p.kind, p.source, p.target])).toEqual([
      ['payment DLQ', 'dlq', 'd', 'q'],
      ['payment subscription DLQ', 'subscription-dlq', 's', 'q'],
      ['shipping DLQ', 'dlq', 'd2', 'q2'],
      ['orders DLQ', 'dlq', 'od', 'oq'],
      ['orders subscription DLQ', 'subscription-dlq', 'os', 'oq'],
      ['orders deadline DLQ', 'dlq', 'dd', 'dq'],
      ['orders deadline subscription DLQ', 'subscription-dlq', 'ds', 'dq'],
    ]);
    expect(missing).toEqual(['ShippingSubscriptionDlqUrl', 'AnalyticsQueueUrl']);
  });
});

describe('moveQueue', () => {
  it('uses StartMessageMoveTask where the endpoint has it, DLQ -> its queue, and follows the task to the end', async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolvesOnce({ Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3 }] })
      .resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 }] });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 't' });
    const report = await moveQueue(PAIR, base);
    expect(report).toMatchObject({ method: 'move-task', moved: 3, failed: 0 });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({ SourceArn: 'arn:payment-dlq', DestinationArn: 'arn:payment' });
    expect(lines).toContain('  payment DLQ: move task RUNNING, moved 1 of 3');
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('follows a task an interrupted earlier run left running instead of starting a second one', async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ Status: 'RUNNING', TaskHandle: 't0' }] })
      .resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 2 }] });
    expect(await moveQueue(PAIR, base)).toMatchObject({ method: 'move-task', moved: 2 });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('falls back to receive -> send -> delete where the endpoint answers InvalidAction (MiniStack)', async () => {
    sqsMock.on(ListMessageMoveTasksCommand).rejects(invalidAction());
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'm', ReceiptHandle: 'r', Body: '{}' }] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0' }] as never, Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    expect(await moveQueue(PAIR, base)).toMatchObject({ method: 'receive-send-delete', moved: 1 });
  });

  it('never uses a move task for a subscription DLQ, with --max, or when a message could outlive the idempotency window', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({});
    for (const [pair, extra] of [
      [{ ...PAIR, kind: 'subscription-dlq' }, {}],
      [PAIR, { max: 5 }],
      [PAIR, { moveTaskSafe: false }],
    ] as const) {
      expect((await moveQueue(pair as QueuePair, { ...base, ...extra })).method).toBe('receive-send-delete');
    }
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(0);
  });

  it('reports a failed move task', async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolves({ Results: [{ Status: 'FAILED', FailureReason: 'AccessDenied' }] });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({});
    expect(await moveQueue(PAIR, base)).toMatchObject({ failed: 1, errors: ['move task FAILED: AccessDenied'] });
  });

  it('recognises an endpoint without the move-task API', () => {
    expect(moveTaskUnsupported(invalidAction())).toBe(true);
    expect(moveTaskUnsupported(new SQSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {} }))).toBe(false);
  });
});

describe('replayOutboxFailures', () => {
  const record = (first: string, last = first) =>
    JSON.stringify({
      version: '1.0',
      timestamp: last,
      requestContext: { condition: 'RetryAttemptsExhausted' },
      DDBStreamBatchInfo: {
        shardId: 'shard-1',
        startSequenceNumber: '100',
        endSequenceNumber: '200',
        approximateArrivalOfFirstRecord: first,
        approximateArrivalOfLastRecord: last,
        batchSize: 2,
      },
    });
  const opts = (dryRun = false) => ({
    sqs,
    ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    outboxDlqUrl: 'http://q/outbox-dlq',
    ordersTable: 'orders',
    dryRun,
    log: (l: string) => lines.push(l),
  });

  it("deletes a record once none of its batch's OUTBOX items is pending (the relay or the sweeper published them)", async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'r1', ReceiptHandle: 'h1', Body: record('2024-05-01T11:00:01Z') }] })
      .resolves({});
    ddbMock.on(QueryCommand).resolves({ Count: 0 });
    const result = await replayOutboxFailures(opts());
    expect(result).toEqual({ records: 1, cleared: 1, pending: 0, unreadable: 0 });
    const query = ddbMock.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query).toMatchObject({
      IndexName: 'outbox-pending',
      ExpressionAttributeValues: {
        ':pending': 'PENDING',
        ':from': Date.parse('2024-05-01T11:00:01Z') - 60_000,
        ':to': Date.parse('2024-05-01T11:00:01Z') + 60_000,
      },
    });
    expect(sqsMock.commandCalls(DeleteMessageCommand)[0]!.args[0].input).toEqual({ QueueUrl: 'http://q/outbox-dlq', ReceiptHandle: 'h1' });
    expect(lines.join('\n')).toMatch(/shard shard-1, sequence 100..200/);
  });

  it('keeps a record whose events are still pending (the sweeper has them), and an unreadable one', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: 'r1', ReceiptHandle: 'h1', Body: record('2024-05-01T11:00:01Z') },
          { MessageId: 'r2', ReceiptHandle: 'h2', Body: 'not json' },
        ],
      })
      .resolves({});
    ddbMock.on(QueryCommand).resolves({ Count: 2 });
    expect(await replayOutboxFailures(opts())).toEqual({ records: 2, cleared: 0, pending: 1, unreadable: 1 });
    expect(lines.join('\n')).toMatch(/2 event\(s\) still pending; the outbox sweeper republishes them/);
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('deletes nothing in a dry run', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'r3', ReceiptHandle: 'h3', Body: record('2024-05-01T11:00:01Z') }] })
      .resolves({});
    ddbMock.on(QueryCommand).resolves({ Count: 0 });
    expect(await replayOutboxFailures(opts(true))).toMatchObject({ cleared: 1 });
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('reads the batch info of an on-failure record, and nothing else', () => {
    expect(batchInfoOf(record('2024-05-01T11:00:01Z'))).toMatchObject({ shardId: 'shard-1', batchSize: 2 });
    expect(batchInfoOf('{"DDBStreamBatchInfo":{"approximateArrivalOfFirstRecord":"x"}}')).toBeUndefined();
    expect(batchInfoOf(undefined)).toBeUndefined();
  });
});
