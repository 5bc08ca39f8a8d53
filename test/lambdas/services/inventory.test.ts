import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, context, ddbMock, envelope, inboxHolds, lastInboxRecord, TABLES, transactions } from './helpers';
import { PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { inboxKey, statusKey } from '../../../lambdas/adapters/keys';
import { deterministicEventId } from '../../../lambdas/core/ids';
import { inventory, mergeLines, reservationKey, shortSkus } from '../../../lambdas/services/inventory/inventory';

const ctx = context('inventory');
const placed = (items = [{ sku: 'SKU-2', quantity: 3 }, { sku: 'SKU-1', quantity: 1 }]) => envelope('OrderPlaced', { customerId: 'c-1', currency: 'USD', items });
const cancelledEvent = (compensate: ('payment' | 'inventory')[]) =>
  envelope('OrderCancelled', { reason: 'PAYMENT_DECLINED', compensate, currency: 'USD', cancelledAt: '2024-05-01T10:00:05.000Z' });

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
});

describe('line helpers', () => {
  it('merges repeated skus and sorts', () =>
    expect(mergeLines([{ sku: 'B', quantity: 1 }, { sku: 'A', quantity: 2 }, { sku: 'B', quantity: 4 }])).toEqual([{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 5 }]));
  const lines = [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }];
  it('names the short lines', () => expect(shortSkus(['None', 'ConditionalCheckFailed', 'None', 'None', 'None'], lines)).toEqual(['B']));
  it('is not a backorder when something other than a line failed', () => {
    expect(shortSkus(['ConditionalCheckFailed', 'None', 'ConditionalCheckFailed', 'None', 'None'], lines)).toBeUndefined();
    expect(shortSkus(['TransactionConflict', 'ConditionalCheckFailed', 'None', 'None', 'None'], lines)).toBeUndefined();
    expect(shortSkus(['None', 'None', 'None', 'None', 'None'], lines)).toBeUndefined();
  });
});

describe('inventory on OrderPlaced', () => {
  it('reserves every line, the reservation, status and inbox record in one transaction', async () => {
    const result = await inventory(placed(), ctx);

    const all = transactions();
    expect(all).toHaveLength(1);
    const items = all[0]!;
    expect(items).toHaveLength(5);
    expect(items.slice(0, 2).map((i) => i.Update)).toEqual([
      { TableName: TABLES.catalog, Key: { pk: 'SKU-1' }, UpdateExpression: 'SET stock = stock - :q', ConditionExpression: 'attribute_exists(pk) AND stock >= :q', ExpressionAttributeValues: { ':q': 1 } },
      { TableName: TABLES.catalog, Key: { pk: 'SKU-2' }, UpdateExpression: 'SET stock = stock - :q', ConditionExpression: 'attribute_exists(pk) AND stock >= :q', ExpressionAttributeValues: { ':q': 3 } },
    ]);
    expect(items[2]!.Put).toMatchObject({
      TableName: TABLES.service,
      Item: { ...reservationKey('order-1'), state: 'RESERVED', lines: [{ sku: 'SKU-1', quantity: 1 }, { sku: 'SKU-2', quantity: 3 }] },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items[3]!.Put).toMatchObject({ TableName: TABLES.orders, Item: { ...statusKey('order-1', 'inventory'), status: 'RESERVED' } });
    expect(items[4]!.Put!.Item).toMatchObject(inboxKey('evt-OrderPlaced'));
    expect(result).toMatchObject({ duplicate: false, outcome: 'RESERVED' });
    expect(result.emits!.map((e) => [e.eventId, e.eventType, e.payload])).toEqual([
      [deterministicEventId('order-1', 'inventory', 'StockReserved'), 'StockReserved', { skus: ['SKU-1', 'SKU-2'] }],
    ]);
  });

  it('backorders the short skus when the transaction is cancelled on them, decrementing nothing', async () => {
    ddbMock.on(TransactWriteCommand).rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None', 'None'])).resolves({});
    const result = await inventory(placed([{ sku: 'SKU-1', quantity: 1 }, { sku: 'SKU-OOS', quantity: 1 }]), ctx);

    const [, backorder] = transactions();
    expect(backorder).toHaveLength(2);
    expect(backorder![0]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'inventory'), status: 'BACKORDERED', detail: { skus: ['SKU-OOS'] } });
    expect(backorder![1]!.Put!.Item).toMatchObject({ ...inboxKey('evt-OrderPlaced'), emits: JSON.stringify(result.emits) });
    expect(JSON.stringify(backorder)).not.toContain('stock');
    expect(result).toMatchObject({ duplicate: false, outcome: 'BACKORDERED' });
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['StockBackordered', { skus: ['SKU-OOS'] }]]);
  });

  it('backorders an unknown sku the same way', async () => {
    ddbMock.on(TransactWriteCommand).rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None'])).resolves({});
    const result = await inventory(placed([{ sku: 'NOPE', quantity: 1 }]), ctx);
    expect(result.emits!.map((e) => e.payload)).toEqual([{ skus: ['NOPE'] }]);
  });

  it('retries (throws) on a transaction conflict rather than backordering', async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['TransactionConflict', 'None', 'None', 'None', 'None']));
    await expect(inventory(placed(), ctx)).rejects.toThrow('TransactionConflict');
    expect(transactions()).toHaveLength(1);
  });

  it('a redelivery re-emits the recorded event and decrements nothing', async () => {
    const first = await inventory(placed(), ctx);
    inboxHolds('evt-OrderPlaced', lastInboxRecord());
    ddbMock.resetHistory();
    const second = await inventory(placed(), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'RESERVED' });
    expect(transactions()).toHaveLength(0);
  });

  it('a redelivered backorder re-emits StockBackordered', async () => {
    ddbMock.on(TransactWriteCommand).rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None'])).resolves({});
    const first = await inventory(placed([{ sku: 'SKU-OOS', quantity: 1 }]), ctx);
    inboxHolds('evt-OrderPlaced', lastInboxRecord());
    ddbMock.resetHistory();
    const second = await inventory(placed([{ sku: 'SKU-OOS', quantity: 1 }]), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'BACKORDERED' });
    expect(transactions()).toHaveLength(0);
  });

  it('a concurrent copy that loses the inbox race does not reserve twice', async () => {
    const first = await inventory(placed(), ctx);
    const record = lastInboxRecord();
    ddbMock.reset();
    ddbMock.on(GetCommand, { Key: inboxKey('evt-OrderPlaced') }).resolvesOnce({}).resolves({ Item: record });
    // DynamoDB cancels the whole transaction: the reservation exists and the inbox record exists.
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed']));
    const second = await inventory(placed(), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'RESERVED' });
    expect(transactions()).toHaveLength(1);
  });

  it('refuses more lines than one transaction can hold', async () => {
    const items = Array.from({ length: 51 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
    await expect(inventory(placed(items), ctx)).rejects.toThrow('at most 50 fit one reservation');
    expect(transactions()).toHaveLength(0);
  });

  it('throws on a reused event id with another payload', async () => {
    await inventory(placed(), ctx);
    inboxHolds('evt-OrderPlaced', lastInboxRecord());
    ddbMock.resetHistory();
    await expect(inventory(placed([{ sku: 'SKU-1', quantity: 99 }]), ctx)).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(transactions()).toHaveLength(0);
  });
});

describe('inventory on OrderCancelled', () => {
  const reservation = { ...reservationKey('order-1'), state: 'RESERVED', lines: [{ sku: 'SKU-1', quantity: 1 }, { sku: 'SKU-2', quantity: 3 }] };

  it('puts every reserved line back and marks the reservation RELEASED in one transaction', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
    const result = await inventory(cancelledEvent(['inventory']), ctx);

    const [items] = transactions();
    expect(items).toHaveLength(5);
    expect(items!.slice(0, 2).map((i) => [i.Update!.Key, i.Update!.UpdateExpression, i.Update!.ExpressionAttributeValues])).toEqual([
      [{ pk: 'SKU-1' }, 'SET stock = stock + :q', { ':q': 1 }],
      [{ pk: 'SKU-2' }, 'SET stock = stock + :q', { ':q': 3 }],
    ]);
    expect(items![2]!.Update).toMatchObject({ Key: reservationKey('order-1'), ConditionExpression: '#state = :reserved', ExpressionAttributeValues: { ':released': 'RELEASED' } });
    expect(items![3]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'inventory'), status: 'RELEASED' });
    expect(items![4]!.Put!.Item).toMatchObject(inboxKey('evt-OrderCancelled'));
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'RELEASED' });
  });

  it('does nothing when inventory is not among the compensations', async () => {
    const result = await inventory(cancelledEvent(['payment']), ctx);
    expect(result.outcome).toBe('IGNORED');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('a redelivered cancellation releases nothing again', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
    await inventory(cancelledEvent(['inventory']), ctx);
    inboxHolds('evt-OrderCancelled', lastInboxRecord());
    ddbMock.resetHistory();
    const second = await inventory(cancelledEvent(['inventory']), ctx);
    expect(second).toEqual({ emits: [], duplicate: true, outcome: 'RELEASED' });
    expect(transactions()).toHaveLength(0);
  });

  it('does not put stock back twice when the reservation is already RELEASED (inbox record expired)', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: { ...reservation, state: 'RELEASED' } });
    const result = await inventory(cancelledEvent(['inventory']), ctx);
    const [items] = transactions();
    expect(items!.map((i) => (i.Put?.Item as { sk?: string } | undefined)?.sk)).toEqual(['STATUS#inventory', 'INBOX']);
    expect(result).toEqual({ emits: [], duplicate: true, outcome: 'RELEASED' });
  });

  it('throws when there is no reservation to release', async () => {
    await expect(inventory(cancelledEvent(['inventory']), ctx)).rejects.toThrow('no reservation recorded');
    expect(transactions()).toHaveLength(0);
  });
});
