import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, context, ddbMock, envelope, inboxHolds, lastInboxRecord, TABLES, transactions } from './helpers';
import { PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { inboxKey, statusKey } from '../../../lambdas/adapters/keys';
import { shipmentKey, shipping } from '../../../lambdas/services/shipping/shipping';

const ctx = context('shipping');
const confirmed = (eventId = 'evt-OrderConfirmed', amountCents = 1250) =>
  envelope('OrderConfirmed', { amountCents, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' }, { eventId });

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
});

describe('shipping', () => {
  it('requests one shipment keyed on the order, with status and inbox record in one transaction', async () => {
    const result = await shipping(confirmed(), ctx);
    const all = transactions();
    expect(all).toHaveLength(1);
    const items = all[0]!;
    expect(items).toHaveLength(3);
    expect(items[0]!.Put).toMatchObject({
      TableName: TABLES.service,
      Item: { ...shipmentKey('order-1'), orderId: 'order-1', state: 'REQUESTED', sourceEventId: 'evt-OrderConfirmed' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items[1]!.Put).toMatchObject({ TableName: TABLES.orders, Item: { ...statusKey('order-1', 'shipping'), status: 'REQUESTED' } });
    expect(items[2]!.Put).toMatchObject({ TableName: TABLES.service, Item: inboxKey('evt-OrderConfirmed'), ConditionExpression: 'attribute_not_exists(pk)' });
    expect(result).toEqual({ duplicate: false, outcome: 'REQUESTED' });
  });

  it.each(['OrderPlaced', 'OrderCancelled'] as const)('ignores %s (only a confirmed order ships)', async (type) => {
    const e =
      type === 'OrderPlaced'
        ? envelope('OrderPlaced', { customerId: 'c-1', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1 }] })
        : envelope('OrderCancelled', { reason: 'TIMEOUT', currency: 'USD', cancelledAt: '2024-05-01T10:00:05.000Z' });
    expect(await shipping(e, ctx)).toEqual({ outcome: 'IGNORED' });
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('a redelivery requests nothing again', async () => {
    await shipping(confirmed(), ctx);
    inboxHolds('evt-OrderConfirmed', lastInboxRecord());
    ddbMock.resetHistory();
    expect(await shipping(confirmed(), ctx)).toEqual({ duplicate: true, outcome: 'REQUESTED' });
    expect(transactions()).toHaveLength(0);
  });

  it('a concurrent copy that loses the inbox race is a duplicate, not an error', async () => {
    await shipping(confirmed(), ctx);
    const record = lastInboxRecord();
    ddbMock.reset();
    ddbMock.on(GetCommand, { Key: inboxKey('evt-OrderConfirmed') }).resolvesOnce({}).resolves({ Item: record });
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'ConditionalCheckFailed']));
    expect(await shipping(confirmed(), ctx)).toEqual({ duplicate: true, outcome: 'REQUESTED' });
    expect(transactions()).toHaveLength(1);
  });

  it('a redelivery after its inbox record expired finds the existing shipment: done before, not poison, no second shipment', async () => {
    // Fails on c5101ed: the shipment condition failed on every receive (TransactionConditionError), the message dead-lettered.
    ddbMock.on(TransactWriteCommand).rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None'])).resolves({});
    const result = await shipping(confirmed(), ctx);
    expect(result).toEqual({ duplicate: true, outcome: 'REQUESTED' });
    const [first, second] = transactions();
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(2);
    expect(second![0]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'shipping'), status: 'REQUESTED' });
    expect(second![1]!.Put).toMatchObject({ Item: { ...inboxKey('evt-OrderConfirmed'), emits: '[]' }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(JSON.stringify(second)).not.toContain('SHIPMENT#');
  });

  it('throws on a reused event id with another payload', async () => {
    await shipping(confirmed(), ctx);
    inboxHolds('evt-OrderConfirmed', lastInboxRecord());
    ddbMock.resetHistory();
    await expect(shipping(confirmed('evt-OrderConfirmed', 999), ctx)).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(transactions()).toHaveLength(0);
  });

  it('another failed condition (not the shipment) is thrown, not taken for done', async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed', 'None']));
    await expect(shipping(confirmed(), ctx)).rejects.toThrow('transaction cancelled');
    expect(transactions()).toHaveLength(1);
  });
});
