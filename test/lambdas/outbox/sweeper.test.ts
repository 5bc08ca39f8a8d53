import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/outbox/sweeper';
import { orderTransaction } from '../../../lambdas/adapters/order-placement';
import { OUTBOX_PENDING, OUTBOX_PENDING_INDEX } from '../../../lambdas/contract';

// Read at call time by the sweeper and the publisher.
process.env.ORDERS_TABLE = 'orders-table';
process.env.TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:order-events';

const ddbMock = mockClient(DynamoDBDocumentClient);
const snsMock = mockClient(SNSClient);
const NOW = new Date('2024-05-01T10:00:00.000Z');

/** A pending OUTBOX item exactly as the API writes it (inserted `ageMs` before NOW). */
function pending(orderId: string, ageMs = 600_000): Record<string, any> {
  const items = orderTransaction(
    {
      orderId,
      order: { customerId: 'c-1', email: 'ada@example.com', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1 }] },
      correlationId: `corr-${orderId}`,
      now: new Date(NOW.getTime() - ageMs),
    },
    'orders-table',
  );
  return items[1]!.Put!.Item as Record<string, any>;
}
const publishedOrders = () => snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes!.orderId!.StringValue);
const markedKeys = () => ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input.Key);
const publishFailsFor = (orderId: string) =>
  snsMock
    .on(PublishCommand, {
      MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderPlaced' }, orderId: { DataType: 'String', StringValue: orderId } },
    })
    .rejects(new Error('sns down'));

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  ddbMock.reset();
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  ddbMock.on(UpdateCommand).resolves({});
  delete process.env.OUTBOX_SWEEP_AFTER_SECONDS;
});
afterEach(() => vi.useRealTimers());

describe('outbox sweeper', () => {
  // Fails on c5101ed (every case): there was no sweeper; an event the relay gave up on was lost.
  it('queries the pending index for items older than the sweep window, publishes each and marks it published', async () => {
    process.env.OUTBOX_SWEEP_AFTER_SECONDS = '120';
    const [a, b] = [pending('o-1'), pending('o-2')];
    ddbMock.on(QueryCommand).resolves({ Items: [a, b] });
    expect(await handler({})).toEqual({ published: 2, failed: 0, malformed: 0 });

    const query = ddbMock.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query).toMatchObject({
      TableName: 'orders-table',
      IndexName: OUTBOX_PENDING_INDEX,
      KeyConditionExpression: '#shard = :pending AND #since <= :cutoff',
      ExpressionAttributeNames: { '#shard': OUTBOX_PENDING.partition, '#since': OUTBOX_PENDING.since },
      ExpressionAttributeValues: { ':pending': OUTBOX_PENDING.value, ':cutoff': NOW.getTime() - 120_000 },
    });
    expect(publishedOrders()).toEqual(['o-1', 'o-2']);
    expect(JSON.parse(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message!)).toEqual(a.event);
    expect(markedKeys()).toEqual([
      { pk: a.pk, sk: a.sk },
      { pk: b.pk, sk: b.sk },
    ]);
    expect(ddbMock.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      UpdateExpression: 'REMOVE #shard, #since SET #ttl = :ttl',
      ConditionExpression: 'attribute_exists(pk)',
    });
  });

  it('a failed publish leaves that item pending (not marked) and the sweep goes on', async () => {
    const [a, b, c] = [pending('o-1'), pending('o-2'), pending('o-3')];
    ddbMock.on(QueryCommand).resolves({ Items: [a, b, c] });
    publishFailsFor('o-2');
    expect(await handler({})).toEqual({ published: 2, failed: 1, malformed: 0 });
    expect(markedKeys()).toEqual([
      { pk: a.pk, sk: a.sk },
      { pk: c.pk, sk: c.sk },
    ]);
  });

  it('reads every page while time is left, and stops starting pages when it runs short', async () => {
    const [a, b] = [pending('o-1'), pending('o-2')];
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [a], LastEvaluatedKey: { pk: a.pk, sk: a.sk } })
      .resolves({ Items: [b] });
    expect(await handler({}, { getRemainingTimeInMillis: () => 60_000 })).toMatchObject({ published: 2 });
    expect(ddbMock.commandCalls(QueryCommand)[1]!.args[0].input.ExclusiveStartKey).toEqual({ pk: a.pk, sk: a.sk });

    ddbMock.resetHistory();
    snsMock.resetHistory();
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [a], LastEvaluatedKey: { pk: a.pk, sk: a.sk } })
      .resolves({ Items: [b] });
    expect(await handler({}, { getRemainingTimeInMillis: () => 1_000 })).toMatchObject({ published: 1 });
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it('leaves a malformed item for an operator: counted, not published, not marked', async () => {
    const good = pending('o-1');
    const bad = { ...pending('o-2'), event: { eventType: 'Nope' } };
    ddbMock.on(QueryCommand).resolves({ Items: [bad, good] });
    expect(await handler({})).toEqual({ published: 1, failed: 0, malformed: 1 });
    expect(publishedOrders()).toEqual(['o-1']);
    expect(markedKeys()).toEqual([{ pk: good.pk, sk: good.sk }]);
  });

  it('uses a 300 s window by default; nothing pending is a quiet no-op', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    expect(await handler({})).toEqual({ published: 0, failed: 0, malformed: 0 });
    expect(ddbMock.commandCalls(QueryCommand)[0]!.args[0].input.ExpressionAttributeValues![':cutoff']).toBe(NOW.getTime() - 300_000);
    expect(snsMock.calls()).toHaveLength(0);
  });
});
