import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/outbox/relay';
import { orderTransaction } from '../../../lambdas/adapters/order-placement';
import { faultKey } from '../../../lambdas/adapters/keys';
import { OUTBOX_TTL_SECONDS } from '../../../lambdas/adapters/outbox';
import { OUTBOX_PENDING } from '../../../lambdas/contract';

// Read at call time by the relay and the publisher.
process.env.ORDERS_TABLE = 'orders-table';
process.env.TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:order-events';

const ddbMock = mockClient(DynamoDBDocumentClient);
const snsMock = mockClient(SNSClient);
const context = { functionName: 'relay', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const NOW = new Date('2024-05-01T10:00:00.000Z');

/** The items the API would write for an order, as the stream delivers them. */
function itemsOf(orderId: string, faults?: string[]) {
  const items = orderTransaction(
    {
      orderId,
      order: { customerId: 'c-1', email: 'ada@example.com', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 2 }], paymentToken: 'tok_secret' },
      correlationId: `corr-${orderId}`,
      now: NOW,
      faults,
    },
    'orders-table',
  );
  return { order: items[0]!.Put!.Item as Record<string, unknown>, outbox: items[1]!.Put!.Item as Record<string, any> };
}

function streamRecord(seq: string, eventName: 'INSERT' | 'MODIFY' | 'REMOVE', item: Record<string, unknown>): DynamoDBRecord {
  const image = marshall(item, { removeUndefinedValues: true }) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];
  return {
    eventID: `e-${seq}`,
    eventName,
    eventSource: 'aws:dynamodb',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/orders-table/stream/x',
    awsRegion: 'us-east-1',
    dynamodb: {
      SequenceNumber: seq,
      Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
      ...(eventName === 'REMOVE' ? {} : { NewImage: image }),
      StreamViewType: 'NEW_IMAGE',
    },
  };
}
const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });
const published = () => snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
const marks = () => ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
/** The markPublished update of one outbox item: out of the pending index, a TTL from now. */
const markOf = (outbox: Record<string, any>) => ({
  TableName: 'orders-table',
  Key: { pk: outbox.pk, sk: outbox.sk },
  UpdateExpression: 'REMOVE #shard, #since SET #ttl = :ttl',
  ConditionExpression: 'attribute_exists(pk)',
  ExpressionAttributeNames: { '#shard': OUTBOX_PENDING.partition, '#since': OUTBOX_PENDING.since, '#ttl': 'expiresAt' },
  ExpressionAttributeValues: { ':ttl': expect.any(Number) },
});

beforeEach(() => {
  ddbMock.reset();
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(UpdateCommand).resolves({});
  delete process.env.FAULTS_ENABLED;
});

describe('outbox relay', () => {
  it('publishes only what the API originates (OrderPlaced): a forged OUTBOX item of another type is skipped, not retried', async () => {
    const { outbox } = itemsOf('o-9');
    const forged = {
      ...outbox,
      sk: 'OUTBOX#forged',
      eventType: 'OrderConfirmed',
      event: {
        ...outbox.event,
        eventId: '00000000-0000-4000-8000-000000000009',
        eventType: 'OrderConfirmed',
        payload: { amountCents: 1, currency: 'USD', confirmedAt: NOW.toISOString() },
      },
    };
    const result = await handler(batch(streamRecord('1', 'INSERT', forged), streamRecord('2', 'INSERT', outbox)), context);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(published().map((p) => p.MessageAttributes?.eventType?.StringValue)).toEqual(['OrderPlaced']);
  });

  it('publishes the event of each OUTBOX insert, with its routing attributes, and nothing else', async () => {
    const a = itemsOf('o-1');
    const result = await handler(
      batch(
        streamRecord('100', 'INSERT', a.order),
        streamRecord('101', 'INSERT', a.outbox),
        streamRecord('102', 'MODIFY', a.outbox),
        streamRecord('103', 'REMOVE', a.outbox),
        streamRecord('104', 'INSERT', { pk: 'ORDER#o-1', sk: 'STATUS#payment', status: 'CHARGED' }),
        streamRecord('105', 'INSERT', { pk: 'IDEMPOTENCY#c-1#k', sk: 'IDEMPOTENCY' }),
      ),
      context,
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(published()).toEqual([
      {
        TopicArn: process.env.TOPIC_ARN,
        Message: expect.any(String),
        MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderPlaced' }, orderId: { DataType: 'String', StringValue: 'o-1' } },
      },
    ]);
    expect(JSON.parse(published()[0]!.Message!)).toEqual(a.outbox.event);
    // Fails on c5101ed: nothing marked the item published (and it expired after a day, published or not).
    expect(marks()).toEqual([markOf(a.outbox)]);
    const ttl = Number(marks()[0]!.ExpressionAttributeValues![':ttl']);
    const now = Math.floor(Date.now() / 1000);
    expect(ttl).toBeGreaterThanOrEqual(now + OUTBOX_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(now + OUTBOX_TTL_SECONDS + 5);
    expect(ddbMock.calls()).toHaveLength(1);
  });

  it('a failed publish leaves the item pending (not marked) and fails the record', async () => {
    const a = itemsOf('o-1');
    snsMock.on(PublishCommand).rejects(new Error('sns down'));
    expect(await handler(batch(streamRecord('8', 'INSERT', a.outbox)), context)).toEqual({ batchItemFailures: [{ itemIdentifier: '8' }] });
    expect(marks()).toEqual([]);
  });

  it('a mark that fails (not a missing item) fails the record, so the retry publishes and marks again', async () => {
    const a = itemsOf('o-1');
    ddbMock
      .on(UpdateCommand)
      .rejectsOnce(Object.assign(new Error('down'), { name: 'InternalServerError' }))
      .resolves({});
    expect(await handler(batch(streamRecord('8', 'INSERT', a.outbox)), context)).toEqual({ batchItemFailures: [{ itemIdentifier: '8' }] });
    expect(await handler(batch(streamRecord('8', 'INSERT', a.outbox)), context)).toEqual({ batchItemFailures: [] });
    expect(published()).toHaveLength(2);
    expect(marks()).toHaveLength(2);
  });

  it('an item already gone (expired) when marked is fine', async () => {
    ddbMock.on(UpdateCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    expect(await handler(batch(streamRecord('8', 'INSERT', itemsOf('o-1').outbox)), context)).toEqual({ batchItemFailures: [] });
  });

  it('reports exactly the sequence number of the record whose publish failed', async () => {
    const [a, b, c] = ['o-1', 'o-2', 'o-3'].map((id) => itemsOf(id));
    snsMock
      .on(PublishCommand, {
        MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderPlaced' }, orderId: { DataType: 'String', StringValue: 'o-2' } },
      })
      .rejects(new Error('sns down'));
    const result = await handler(
      batch(streamRecord('1', 'INSERT', a!.outbox), streamRecord('2', 'INSERT', b!.outbox), streamRecord('3', 'INSERT', c!.outbox)),
      context,
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
  });

  it('in throw mode (the local workaround for MiniStack) fails the whole batch when a record failed, and only then', async () => {
    process.env.RELAY_FAILURE_MODE = 'throw';
    try {
      const [a, b] = ['o-1', 'o-2'].map((id) => itemsOf(id));
      snsMock
        .on(PublishCommand, {
          MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderPlaced' }, orderId: { DataType: 'String', StringValue: 'o-2' } },
        })
        .rejects(new Error('sns down'));
      await expect(handler(batch(streamRecord('1', 'INSERT', a!.outbox), streamRecord('2', 'INSERT', b!.outbox)), context)).rejects.toThrow(
        '1 of 2 records failed',
      );
      snsMock.reset();
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-3' });
      expect(await handler(batch(streamRecord('1', 'INSERT', a!.outbox)), context)).toEqual({ batchItemFailures: [] });
    } finally {
      delete process.env.RELAY_FAILURE_MODE;
    }
  });

  it('a publish that fails after the save is published on the retry (same event)', async () => {
    const a = itemsOf('o-1');
    snsMock.on(PublishCommand).rejectsOnce(new Error('throttled')).resolves({ MessageId: 'm-2' });
    expect(await handler(batch(streamRecord('7', 'INSERT', a.outbox)), context)).toEqual({ batchItemFailures: [{ itemIdentifier: '7' }] });
    expect(await handler(batch(streamRecord('7', 'INSERT', a.outbox)), context)).toEqual({ batchItemFailures: [] });
    const [first, second] = published();
    expect(second).toEqual(first);
  });

  it('fails a malformed outbox item (never publishes it)', async () => {
    const a = itemsOf('o-1');
    const result = await handler(batch(streamRecord('9', 'INSERT', { ...a.outbox, event: { ...a.outbox.event, eventType: 'Nope' } })), context);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '9' }] });
    expect(published()).toHaveLength(0);
  });
});

describe('outbox relay: publish-fail-once hook', () => {
  const marker = (eventId: string) => ({
    TableName: 'orders-table',
    Item: { ...faultKey(eventId), fault: 'publish-fail-once', firedAt: NOW.toISOString(), expiresAt: NOW.getTime() / 1000 + 86_400 },
    ConditionExpression: 'attribute_not_exists(pk)',
  });
  beforeEach(() => vi.useFakeTimers({ now: NOW, toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());

  it('fails the first attempt (writing the marker), publishes on the next (marker found)', async () => {
    process.env.FAULTS_ENABLED = 'true';
    const a = itemsOf('o-1', ['publish-fail-once']);
    expect(await handler(batch(streamRecord('5', 'INSERT', a.outbox)), context)).toEqual({ batchItemFailures: [{ itemIdentifier: '5' }] });
    expect(published()).toHaveLength(0);
    expect(ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([marker(a.outbox.eventId)]);

    ddbMock.on(PutCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    expect(await handler(batch(streamRecord('5', 'INSERT', a.outbox)), context)).toEqual({ batchItemFailures: [] });
    expect(published()).toHaveLength(1);
  });

  it('fails the record when the marker cannot be written for another reason', async () => {
    process.env.FAULTS_ENABLED = 'true';
    ddbMock.on(PutCommand).rejects(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    expect(await handler(batch(streamRecord('5', 'INSERT', itemsOf('o-1', ['publish-fail-once']).outbox)), context)).toEqual({
      batchItemFailures: [{ itemIdentifier: '5' }],
    });
    expect(published()).toHaveLength(0);
  });

  it.each([undefined, 'false', 'yes'])('is ignored when FAULTS_ENABLED is %s', async (flag) => {
    if (flag !== undefined) process.env.FAULTS_ENABLED = flag;
    expect(await handler(batch(streamRecord('5', 'INSERT', itemsOf('o-1', ['publish-fail-once']).outbox)), context)).toEqual({ batchItemFailures: [] });
    expect(published()).toHaveLength(1);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(marks()).toHaveLength(1);
  });
});

describe('outbox relay: relay-gives-up hook', () => {
  it('publishes nothing, marks nothing, and reports no failure: the item stays pending for the sweeper', async () => {
    // Fails on c5101ed: the hook did not exist; the relay published the event.
    process.env.FAULTS_ENABLED = 'true';
    const a = itemsOf('o-1', ['relay-gives-up']);
    expect(a.outbox[OUTBOX_PENDING.partition]).toBe(OUTBOX_PENDING.value);
    expect(await handler(batch(streamRecord('5', 'INSERT', a.outbox)), context)).toEqual({ batchItemFailures: [] });
    expect(published()).toEqual([]);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('only for its own order: the other records of the batch are published', async () => {
    process.env.FAULTS_ENABLED = 'true';
    const [a, b] = [itemsOf('o-1', ['relay-gives-up']), itemsOf('o-2')];
    expect(await handler(batch(streamRecord('1', 'INSERT', a.outbox), streamRecord('2', 'INSERT', b.outbox)), context)).toEqual({ batchItemFailures: [] });
    expect(published().map((p) => p.MessageAttributes!.orderId!.StringValue)).toEqual(['o-2']);
    expect(marks()).toEqual([markOf(b.outbox)]);
  });

  it('is ignored when FAULTS_ENABLED is not true', async () => {
    expect(await handler(batch(streamRecord('5', 'INSERT', itemsOf('o-1', ['relay-gives-up']).outbox)), context)).toEqual({ batchItemFailures: [] });
    expect(published()).toHaveLength(1);
    expect(marks()).toHaveLength(1);
  });
});
