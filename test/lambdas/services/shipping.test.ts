import { statusKey } from '../../../lambdas/adapters/keys';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { capacityOf } from '../../../lambdas/adapters/capacity';
import { eventHash, PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { shipmentKey, shipping } from '../../../lambdas/services/shipping/shipping';
import { context, ddbMock, envelope, TABLES } from './helpers';

const confirmed = envelope('OrderConfirmed', { amountCents: 500, currency: 'USD', confirmedAt: '2024-05-01T10:00:00.000Z' });

/** DynamoDB's answer to a failed condition with ReturnValuesOnConditionCheckFailure ALL_OLD: the existing item. */
const existing = (item: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(item) });

const puts = () => ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input);

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(PutCommand).resolves({});
});

describe('shipping: one conditional write carries the shipment and the inbox marker', () => {
  it('a new OrderConfirmed: one conditional put of the shipment (with marker), then the status; no read, no transaction', async () => {
    const r = await shipping(confirmed, context('shipping'));
    expect(r).toEqual({ duplicate: false, outcome: 'REQUESTED', marker: shipmentKey('order-1') });
    const [shipment, status] = puts();
    expect(shipment).toMatchObject({
      TableName: TABLES.service,
      Item: {
        ...shipmentKey('order-1'),
        orderId: 'order-1',
        state: 'REQUESTED',
        sourceEventId: confirmed.eventId,
        inboxEventId: confirmed.eventId,
        payloadHash: eventHash(confirmed),
        emits: '[]',
      },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(status).toMatchObject({
      TableName: TABLES.orders,
      Item: { ...statusKey('order-1', 'shipping'), status: 'REQUESTED', updatedAt: shipment!.Item!.requestedAt },
    });
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('costs 2 WCU and no RCU per message (the transaction of shipment + status + inbox after a read cost 6 WCU + 1 RCU)', async () => {
    await shipping(confirmed, context('shipping'));
    // Billed as AWS bills the requests the handler sent (the mock stands in for the SDK's counting middleware).
    const units = puts().map((p) => capacityOf('PutItemCommand', { Item: marshall(p.Item!) }, {}));
    expect(units).toEqual([
      { read: 0, write: 1 },
      { read: 0, write: 1 },
    ]);
    expect(ddbMock.calls()).toHaveLength(2);
  });

  it('a redelivery: a duplicate, the status written again with the first request time, no second shipment', async () => {
    const first = {
      ...shipmentKey('order-1'),
      orderId: 'order-1',
      state: 'REQUESTED',
      requestedAt: '2024-05-01T10:00:02.000Z',
      sourceEventId: confirmed.eventId,
      inboxEventId: confirmed.eventId,
      payloadHash: eventHash(confirmed),
      emits: '[]',
    };
    ddbMock.on(PutCommand, { TableName: TABLES.service }).rejects(existing(first));
    const r = await shipping(confirmed, context('shipping'));
    expect(r).toEqual({ duplicate: true, outcome: 'REQUESTED', marker: shipmentKey('order-1') });
    expect(puts()[1]).toMatchObject({ TableName: TABLES.orders, Item: { sk: 'STATUS', updatedAt: '2024-05-01T10:00:02.000Z' } });
  });

  it('the same event id with another payload is not applied (PayloadMismatchError: it retries, then dead-letters)', async () => {
    ddbMock
      .on(PutCommand, { TableName: TABLES.service })
      .rejects(existing({ ...shipmentKey('order-1'), inboxEventId: confirmed.eventId, payloadHash: 'other', emits: '[]' }));
    await expect(shipping(confirmed, context('shipping'))).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(puts()).toHaveLength(1);
  });

  it('an existing shipment requested by another event id is the shipment: done before (a duplicate), not poison, no second shipment', async () => {
    ddbMock.on(PutCommand, { TableName: TABLES.service }).rejects(
      existing({
        ...shipmentKey('order-1'),
        requestedAt: '2024-05-01T09:00:00.000Z',
        inboxEventId: 'evt-other',
        sourceEventId: 'evt-other',
        payloadHash: 'x',
        emits: '[]',
      }),
    );
    expect(await shipping(confirmed, context('shipping'))).toEqual({ duplicate: true, outcome: 'REQUESTED', marker: shipmentKey('order-1') });
    expect(puts()).toHaveLength(2);
    expect(puts()[1]).toMatchObject({ TableName: TABLES.orders, Item: { sk: 'STATUS', status: 'REQUESTED', updatedAt: '2024-05-01T09:00:00.000Z' } });
  });

  it('a late redrive (the marker lives as long as the shipment, no inbox record to expire) is a duplicate', async () => {
    const first = {
      ...shipmentKey('order-1'),
      requestedAt: '2024-05-01T10:00:02.000Z',
      inboxEventId: confirmed.eventId,
      sourceEventId: confirmed.eventId,
      payloadHash: eventHash(confirmed),
      emits: '[]',
    };
    ddbMock.on(PutCommand, { TableName: TABLES.service }).rejects(existing(first));
    expect(await shipping(confirmed, context('shipping'))).toEqual({ duplicate: true, outcome: 'REQUESTED', marker: shipmentKey('order-1') });
  });

  it.each(['OrderPlaced', 'OrderCancelled'] as const)('ignores %s (only a confirmed order ships)', async (type) => {
    const e =
      type === 'OrderPlaced'
        ? envelope('OrderPlaced', { customerId: 'c-1', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1 }] })
        : envelope('OrderCancelled', { reason: 'TIMEOUT', currency: 'USD', cancelledAt: '2024-05-01T10:00:05.000Z' });
    expect(await shipping(e, context('shipping'))).toEqual({ outcome: 'IGNORED' });
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('shipmentKey', () => {
  it('keys the shipment as docs/contract.md and `npm run reconcile` expect', () =>
    expect(shipmentKey('order-42')).toEqual({ pk: 'SHIPMENT#order-42', sk: 'SHIPMENT' }));
});

describe('putOnce', () => {
  const { inbox } = context('shipping');
  it('returns the prior emits of the same event byte-identical', async () => {
    const emits = '[{"eventId":"b","a":1}]';
    ddbMock.on(PutCommand).rejects(existing({ pk: 'X', sk: 'X', inboxEventId: confirmed.eventId, payloadHash: eventHash(confirmed), emits }));
    const r = await inbox.putOnce(confirmed, [], { TableName: 't', Item: { pk: 'X', sk: 'X' } });
    expect(r.outcome).toBe('duplicate');
    expect(JSON.stringify((r as { emits: unknown }).emits)).toBe(emits);
  });
  it('rethrows any other error', async () => {
    ddbMock.on(PutCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(inbox.putOnce(confirmed, [], { TableName: 't', Item: { pk: 'X', sk: 'X' } })).rejects.toThrow('slow down');
  });
});
