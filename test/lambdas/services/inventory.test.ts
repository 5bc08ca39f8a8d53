import { BatchGetCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CANCEL_REASONS, type CancelReason } from '../../../lambdas/core/events';
import { cancelled, context, ddbMock, envelope, inboxHolds, inboxReads, instantBackoff, lastInboxRecord, TABLES, transactions } from './helpers';
import { CONTENTION_RETRY, PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { inboxKey, statusKey } from '../../../lambdas/adapters/keys';
import { deterministicEventId } from '../../../lambdas/core/ids';
import { inventory, mergeLines, reservationKey, shortSkus } from '../../../lambdas/services/inventory/inventory';

const ctx = context('inventory');
const placed = (
  items = [
    { sku: 'SKU-2', quantity: 3 },
    { sku: 'SKU-1', quantity: 1 },
  ],
) => envelope('OrderPlaced', { customerId: 'c-1', currency: 'USD', items });
const cancelledEvent = (reason: CancelReason = 'PAYMENT_DECLINED') =>
  envelope('OrderCancelled', { reason, currency: 'USD', cancelledAt: '2024-05-01T10:00:05.000Z' });

/** The catalog as the release reads it (which SKUs still exist). */
function catalogHas(skus: string[]) {
  ddbMock.on(BatchGetCommand).resolves({ Responses: { [TABLES.catalog]: skus.map((pk) => ({ pk, name: pk, unitPriceCents: 100, stock: 5 })) } });
}

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
  catalogHas(['SKU-1', 'SKU-2']);
});
afterEach(() => vi.restoreAllMocks());

describe('line helpers', () => {
  it('merges repeated skus and sorts', () =>
    expect(
      mergeLines([
        { sku: 'B', quantity: 1 },
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 4 },
      ]),
    ).toEqual([
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 5 },
    ]));
  const lines = [
    { sku: 'A', quantity: 1 },
    { sku: 'B', quantity: 1 },
  ];
  it('keys the reservation record as docs/contract.md and `npm run reconcile` expect', () =>
    expect(reservationKey('order-42')).toEqual({ pk: 'RESERVATION#order-42', sk: 'RESERVATION' }));
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
      {
        TableName: TABLES.catalog,
        Key: { pk: 'SKU-1' },
        UpdateExpression: 'SET stock = stock - :q',
        ConditionExpression: 'attribute_exists(pk) AND stock >= :q',
        ExpressionAttributeValues: { ':q': 1 },
      },
      {
        TableName: TABLES.catalog,
        Key: { pk: 'SKU-2' },
        UpdateExpression: 'SET stock = stock - :q',
        ConditionExpression: 'attribute_exists(pk) AND stock >= :q',
        ExpressionAttributeValues: { ':q': 3 },
      },
    ]);
    expect(items[2]!.Put).toMatchObject({
      TableName: TABLES.service,
      Item: {
        ...reservationKey('order-1'),
        state: 'RESERVED',
        lines: [
          { sku: 'SKU-1', quantity: 1 },
          { sku: 'SKU-2', quantity: 3 },
        ],
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items[3]!.Put).toMatchObject({
      TableName: TABLES.orders,
      Item: { ...statusKey('order-1', 'inventory'), status: 'RESERVED', detail: { skus: ['SKU-1', 'SKU-2'] } },
    });
    expect(items[4]!.Put!.Item).toMatchObject(inboxKey('evt-OrderPlaced'));
    expect(result).toMatchObject({ duplicate: false, outcome: 'RESERVED' });
    expect(result.emits!.map((e) => [e.eventId, e.eventType, e.payload])).toEqual([
      [deterministicEventId('order-1', 'inventory', 'StockReserved'), 'StockReserved', { skus: ['SKU-1', 'SKU-2'] }],
    ]);
  });

  it('backorders the short skus when the transaction is cancelled on them, decrementing nothing', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None', 'None']))
      .resolves({});
    const result = await inventory(
      placed([
        { sku: 'SKU-1', quantity: 1 },
        { sku: 'SKU-OOS', quantity: 1 },
      ]),
      ctx,
    );

    const [, backorder] = transactions();
    expect(backorder).toHaveLength(3);
    // The reservation record says BACKORDERED (nothing taken): a later cancellation then has nothing to release.
    expect(backorder![0]!.Put).toMatchObject({
      TableName: TABLES.service,
      Item: { ...reservationKey('order-1'), orderId: 'order-1', state: 'BACKORDERED', skus: ['SKU-OOS'] },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(backorder![1]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'inventory'), status: 'BACKORDERED', detail: { skus: ['SKU-OOS'] } });
    expect(backorder![2]!.Put!.Item).toMatchObject({ ...inboxKey('evt-OrderPlaced'), emits: JSON.stringify(result.emits) });
    expect(backorder!.filter((i) => (i.Update ?? i.Put)?.TableName === TABLES.catalog)).toEqual([]);
    expect(result).toMatchObject({ duplicate: false, outcome: 'BACKORDERED' });
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['StockBackordered', { skus: ['SKU-OOS'] }]]);
  });

  it('backorders an unknown sku the same way', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None']))
      .resolves({});
    const result = await inventory(placed([{ sku: 'NOPE', quantity: 1 }]), ctx);
    expect(result.emits!.map((e) => e.payload)).toEqual([{ skus: ['NOPE'] }]);
  });

  it('retries a transaction conflict in place, then throws (SQS retries) rather than backordering', async () => {
    instantBackoff();
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['TransactionConflict', 'None', 'None', 'None', 'None']));
    await expect(inventory(placed(), ctx)).rejects.toThrow('TransactionConflict');
    const all = transactions();
    expect(all).toHaveLength(CONTENTION_RETRY.attempts);
    // Every attempt is the same reservation; no backorder record was ever written.
    for (const items of all) expect(items).toEqual(all[0]);
    expect(JSON.stringify(all)).not.toContain('BACKORDERED');
  });

  it('a hot SKU: a conflict that clears on a later attempt reserves once', async () => {
    instantBackoff();
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['TransactionConflict', 'None', 'None', 'None', 'None']))
      .rejectsOnce(cancelled(['None', 'TransactionConflict', 'None', 'None', 'None']))
      .resolves({});
    const result = await inventory(placed(), ctx);
    expect(result).toMatchObject({ duplicate: false, outcome: 'RESERVED' });
    expect(transactions()).toHaveLength(3);
  });

  it('an order cancelled first (reservation VOID) reserves nothing and emits nothing', async () => {
    // Fails on c5101ed: there was no VOID record; a late OrderPlaced reserved stock for a cancelled order.
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: { ...reservationKey('order-1'), orderId: 'order-1', state: 'VOID' } });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    const result = await inventory(placed(), ctx);
    const [reserve, recordOnly] = transactions();
    expect(reserve![2]!.Put!.Item).toMatchObject({ ...reservationKey('order-1'), state: 'RESERVED' });
    // The transaction was cancelled, so its decrements did not apply; the second commits the inbox record only.
    expect(recordOnly).toHaveLength(1);
    expect(recordOnly![0]!.Put!.Item).toMatchObject({ ...inboxKey('evt-OrderPlaced'), emits: '[]' });
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'VOID' });
  });

  it('a redelivery after the inbox record expired re-emits from the reservation record, taking no stock', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({
      Item: {
        ...reservationKey('order-1'),
        state: 'RESERVED',
        lines: [
          { sku: 'SKU-1', quantity: 1 },
          { sku: 'SKU-2', quantity: 3 },
        ],
      },
    });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    const result = await inventory(placed(), ctx);
    expect(transactions()[1]).toHaveLength(1);
    expect(result).toMatchObject({ duplicate: true, outcome: 'RESERVED' });
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['StockReserved', { skus: ['SKU-1', 'SKU-2'] }]]);
  });

  it('a redelivery re-emits the recorded event and decrements nothing', async () => {
    const first = await inventory(placed(), ctx);
    inboxHolds('evt-OrderPlaced', lastInboxRecord());
    ddbMock.resetHistory();
    const second = await inventory(placed(), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'RESERVED' });
    // One transaction, cancelled by the inbox record (so nothing decremented), which it handed back: no read.
    expect(transactions()).toHaveLength(1);
    expect(inboxReads()).toBe(0);
  });

  it('a redelivery as DynamoDB cancels it (a line now short, the reservation and the inbox record there): a duplicate, not a backorder', async () => {
    const first = await inventory(placed(), ctx);
    const record = lastInboxRecord();
    ddbMock.reset();
    // Items: SKU-1, SKU-2 decrements, reservation, status, inbox record. Every failing condition is reported.
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'], record));
    expect(await inventory(placed(), ctx)).toEqual({ emits: first.emits, duplicate: true, outcome: 'RESERVED' });
    expect(transactions()).toHaveLength(1);
    expect(inboxReads()).toBe(0);
  });

  it('a first delivery reads nothing: one transaction is the whole reservation', async () => {
    await inventory(placed(), ctx);
    expect(ddbMock.calls().map((c) => c.args[0].constructor.name)).toEqual(['TransactWriteCommand']);
  });

  it('a redelivered backorder re-emits StockBackordered', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None']))
      .resolves({});
    const first = await inventory(placed([{ sku: 'SKU-OOS', quantity: 1 }]), ctx);
    inboxHolds('evt-OrderPlaced', lastInboxRecord());
    ddbMock.resetHistory();
    const second = await inventory(placed([{ sku: 'SKU-OOS', quantity: 1 }]), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'BACKORDERED' });
    expect(transactions()).toHaveLength(1);
    expect(inboxReads()).toBe(0);
  });

  it('a concurrent copy that loses the inbox race does not reserve twice', async () => {
    const first = await inventory(placed(), ctx);
    const record = lastInboxRecord();
    ddbMock.reset();
    ddbMock.on(GetCommand, { Key: inboxKey('evt-OrderPlaced') }).resolves({ Item: record });
    // DynamoDB cancels the whole transaction: the reservation exists and the inbox record exists (handed back).
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'], record));
    const second = await inventory(placed(), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'RESERVED' });
    expect(transactions()).toHaveLength(1);
    expect(inboxReads()).toBe(0);
  });

  it('a store that hands no record back on the lost race: the inbox is read once for the first emits', async () => {
    const first = await inventory(placed(), ctx);
    const record = lastInboxRecord();
    ddbMock.reset();
    ddbMock.on(GetCommand, { Key: inboxKey('evt-OrderPlaced') }).resolves({ Item: record });
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed']));
    expect(await inventory(placed(), ctx)).toEqual({ emits: first.emits, duplicate: true, outcome: 'RESERVED' });
    expect(inboxReads()).toBe(1);
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
    // The attempt was cancelled by the inbox record: nothing of it applied.
    expect(transactions()).toHaveLength(1);
  });
});

describe('inventory on OrderCancelled', () => {
  const reservation = {
    ...reservationKey('order-1'),
    state: 'RESERVED',
    lines: [
      { sku: 'SKU-1', quantity: 1 },
      { sku: 'SKU-2', quantity: 3 },
    ],
  };

  it('puts every reserved line back and marks the reservation RELEASED in one transaction', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
    const result = await inventory(cancelledEvent(), ctx);

    const [items] = transactions();
    expect(items).toHaveLength(5);
    expect(items!.slice(0, 2).map((i) => i.Update)).toEqual([
      {
        TableName: TABLES.catalog,
        Key: { pk: 'SKU-1' },
        UpdateExpression: 'SET stock = stock + :q',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':q': 1 },
      },
      {
        TableName: TABLES.catalog,
        Key: { pk: 'SKU-2' },
        UpdateExpression: 'SET stock = stock + :q',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':q': 3 },
      },
    ]);
    // The state change and its condition are what make the stock go back at most once.
    expect(items![2]!.Update).toMatchObject({
      TableName: TABLES.service,
      Key: reservationKey('order-1'),
      UpdateExpression: 'SET #state = :released, releasedAt = :now, unreleased = :unreleased',
      ConditionExpression: '#state = :reserved',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':released': 'RELEASED', ':reserved': 'RESERVED', ':unreleased': [] },
    });
    expect(items![3]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'inventory'), status: 'RELEASED', detail: { skus: ['SKU-1', 'SKU-2'] } });
    expect(items![3]!.Put!.Item!.detail).not.toHaveProperty('unreleased');
    expect(items![4]!.Put!.Item).toMatchObject(inboxKey('evt-OrderCancelled'));
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'RELEASED' });
  });

  it.each(CANCEL_REASONS)('releases a reservation whatever the reason (%s)', async (reason) => {
    // Fails on c5101ed: the release followed the event's `compensate` list, not the reservation record.
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
    const result = await inventory(cancelledEvent(reason), ctx);
    expect(result.outcome).toBe('RELEASED');
    expect(transactions()[0]!.filter((i) => i.Update?.UpdateExpression === 'SET stock = stock + :q')).toHaveLength(2);
  });

  it('with one SKU deleted from the catalog: gives back the rest, records `unreleased`, never throws', async () => {
    // Fails on c5101ed: the give-back of the deleted SKU failed its condition on every receive (poison), nothing released.
    catalogHas(['SKU-1']);
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
    const result = await inventory(cancelledEvent(), ctx);

    expect(ddbMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems![TABLES.catalog]!.Keys).toEqual([{ pk: 'SKU-1' }, { pk: 'SKU-2' }]);
    const all = transactions();
    expect(all).toHaveLength(1);
    const items = all[0]!;
    expect(items).toHaveLength(4);
    expect(items[0]!.Update).toMatchObject({
      TableName: TABLES.catalog,
      Key: { pk: 'SKU-1' },
      UpdateExpression: 'SET stock = stock + :q',
      ExpressionAttributeValues: { ':q': 1 },
    });
    const unreleased = [{ sku: 'SKU-2', quantity: 3, reason: 'SKU_NOT_IN_CATALOG' }];
    expect(items[1]!.Update).toMatchObject({
      Key: reservationKey('order-1'),
      ConditionExpression: '#state = :reserved',
      ExpressionAttributeValues: { ':released': 'RELEASED', ':unreleased': unreleased },
    });
    expect(items[2]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'inventory'), status: 'RELEASED', detail: { skus: ['SKU-1'], unreleased } });
    expect(items[3]!.Put!.Item).toMatchObject(inboxKey('evt-OrderCancelled'));
    expect(items.some((i) => JSON.stringify(i.Update?.Key) === JSON.stringify({ pk: 'SKU-2' }))).toBe(false);
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'PARTLY_RELEASED' });
  });

  it('a SKU deleted between the catalog read and the commit: reads again and gives back the rest', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLES.catalog]: [{ pk: 'SKU-1' }, { pk: 'SKU-2' }] } })
      .resolves({ Responses: { [TABLES.catalog]: [{ pk: 'SKU-1' }] } });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None', 'None']))
      .resolves({});
    const result = await inventory(cancelledEvent(), ctx);
    const [first, second] = transactions();
    expect(first).toHaveLength(5);
    expect(second!.map((i) => i.Update?.Key ?? (i.Put!.Item as { sk: string }).sk)).toEqual([{ pk: 'SKU-1' }, reservationKey('order-1'), 'STATUS', 'INBOX']);
    expect(result.outcome).toBe('PARTLY_RELEASED');
  });

  it('with no reservation: records VOID (conditionally) so a later OrderPlaced reserves nothing', async () => {
    // Fails on c5101ed: a cancellation with no reservation threw (and a late OrderPlaced then reserved stock).
    const result = await inventory(cancelledEvent('TIMEOUT'), ctx);
    const [items] = transactions();
    expect(items).toHaveLength(3);
    expect(items![0]!.Put).toMatchObject({
      TableName: TABLES.service,
      Item: { ...reservationKey('order-1'), orderId: 'order-1', state: 'VOID' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items![1]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'inventory'), status: 'VOIDED' });
    expect(items![2]!.Put!.Item).toMatchObject(inboxKey('evt-OrderCancelled'));
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'VOIDED' });

    // The late OrderPlaced: its reservation put meets the VOID record, so the whole transaction (decrements too) is cancelled.
    ddbMock.resetHistory();
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: items![0]!.Put!.Item });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    const late = await inventory(placed(), ctx);
    expect(late).toEqual({ emits: [], duplicate: false, outcome: 'VOID' });
    const [, recorded] = transactions();
    expect(recorded).toHaveLength(1);
    expect(recorded![0]!.Put!.Item).toMatchObject(inboxKey('evt-OrderPlaced'));
  });

  it('a backordered order has nothing to release', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: { ...reservationKey('order-1'), state: 'BACKORDERED', skus: ['SKU-OOS'] } });
    const result = await inventory(cancelledEvent('OUT_OF_STOCK'), ctx);
    const [items] = transactions();
    expect(items!.map((i) => (i.Put?.Item as { sk?: string } | undefined)?.sk)).toEqual(['INBOX']);
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'NOTHING_TO_RELEASE' });
  });

  it('a redelivered cancellation releases nothing again', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
    await inventory(cancelledEvent(), ctx);
    // What the first delivery committed: the record RELEASED, the inbox record.
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: { ...reservation, state: 'RELEASED' } });
    inboxHolds('evt-OrderCancelled', lastInboxRecord());
    ddbMock.resetHistory();
    const second = await inventory(cancelledEvent(), ctx);
    expect(second).toEqual({ emits: [], duplicate: true, outcome: 'COMPENSATED' });
    // The one transaction holds no stock change and was cancelled by the inbox record; no inbox read, no catalog read.
    expect(transactions()).toHaveLength(1);
    expect(transactions()[0]!.map((i) => (i.Put?.Item as { sk?: string } | undefined)?.sk)).toEqual(['INBOX']);
    expect(inboxReads()).toBe(0);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it('throws on a reused OrderCancelled event id with another payload, and gives nothing back', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
    await inventory(cancelledEvent(), ctx);
    inboxHolds('evt-OrderCancelled', lastInboxRecord());
    ddbMock.resetHistory();
    await expect(inventory(cancelledEvent('OUT_OF_STOCK'), ctx)).rejects.toBeInstanceOf(PayloadMismatchError);
    // Its one transaction (stock back, RELEASED) was cancelled by the inbox record.
    expect(transactions()).toHaveLength(1);
  });

  it('does not put stock back twice when the reservation is already RELEASED (inbox record expired)', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: { ...reservation, state: 'RELEASED' } });
    const result = await inventory(cancelledEvent(), ctx);
    const [items] = transactions();
    expect(items!.map((i) => (i.Put?.Item as { sk?: string } | undefined)?.sk)).toEqual(['INBOX']);
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'RELEASED' });
  });

  it('the release is conditional on RESERVED: a record that changed under it is read again, not released twice', async () => {
    ddbMock
      .on(GetCommand, { Key: reservationKey('order-1') })
      .resolvesOnce({ Item: reservation })
      .resolves({ Item: { ...reservation, state: 'RELEASED' } });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    const result = await inventory(cancelledEvent(), ctx);
    const [, second] = transactions();
    expect(second!.map((i) => (i.Put?.Item as { sk?: string } | undefined)?.sk)).toEqual(['INBOX']);
    expect(result.outcome).toBe('RELEASED');
  });
});

describe('inventory at its limits', () => {
  const skus = (n: number) => Array.from({ length: n }, (_, i) => `SKU-${i}`);
  const reservationOf = (n: number) => ({ ...reservationKey('order-1'), state: 'RESERVED', lines: skus(n).map((sku) => ({ sku, quantity: 1 })) });

  it('reserves an order of exactly 50 lines (the most OrderPlaced allows) in one transaction of 53 actions', async () => {
    const result = await inventory(placed(skus(50).map((sku) => ({ sku, quantity: 1 }))), ctx);
    expect(transactions().map((items) => items.length)).toEqual([53]);
    expect(result).toMatchObject({ duplicate: false, outcome: 'RESERVED' });
  });

  it('releases a reservation whose give-backs, record, status and inbox make exactly 100 actions (the DynamoDB limit)', async () => {
    catalogHas(skus(97));
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservationOf(97) });
    const result = await inventory(cancelledEvent(), ctx);
    expect(transactions().map((items) => items.length)).toEqual([100]);
    expect(result.outcome).toBe('RELEASED');
  });

  it('refuses a release that would not fit one transaction, sending nothing', async () => {
    catalogHas(skus(98));
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservationOf(98) });
    await expect(inventory(cancelledEvent(), ctx)).rejects.toThrow('101 actions exceed the 100-action transaction limit');
    expect(transactions()).toHaveLength(0);
  });

  it('ignores an event it does not handle, touching nothing', async () => {
    const confirmed = envelope('OrderConfirmed', { amountCents: 500, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' });
    expect(await inventory(confirmed, ctx)).toEqual({ outcome: 'IGNORED' });
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('inventory on OrderPlaced, when a reservation record already exists', () => {
  const reservationCancelled = () => cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']);
  const recordIs = (item: Record<string, unknown> | undefined) =>
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves(item ? { Item: { ...reservationKey('order-1'), orderId: 'order-1', ...item } } : {});

  it('reads the reservation consistently (a record committed a moment ago must be seen)', async () => {
    recordIs({ state: 'VOID' });
    ddbMock.on(TransactWriteCommand).rejectsOnce(reservationCancelled()).resolves({});
    await inventory(placed(), ctx);
    const reads = ddbMock.commandCalls(GetCommand, { Key: reservationKey('order-1') });
    expect(reads.map((c) => c.args[0].input.ConsistentRead)).toEqual([true]);
  });

  it('a reservation since RELEASED (inbox record expired) re-emits StockReserved: the order had been reserved', async () => {
    recordIs({ state: 'RELEASED', lines: [{ sku: 'SKU-1', quantity: 1 }] });
    ddbMock.on(TransactWriteCommand).rejectsOnce(reservationCancelled()).resolves({});
    const result = await inventory(placed(), ctx);
    expect(result).toMatchObject({ duplicate: true, outcome: 'RELEASED' });
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['StockReserved', { skus: ['SKU-1'] }]]);
  });

  it('a BACKORDERED record (inbox record expired) re-emits StockBackordered with the recorded skus', async () => {
    recordIs({ state: 'BACKORDERED', skus: ['SKU-OOS'] });
    ddbMock.on(TransactWriteCommand).rejectsOnce(reservationCancelled()).resolves({});
    const result = await inventory(placed(), ctx);
    expect(result).toMatchObject({ duplicate: true, outcome: 'BACKORDERED' });
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['StockBackordered', { skus: ['SKU-OOS'] }]]);
  });

  it('throws when the reservation condition failed but no record can be read (SQS retries)', async () => {
    recordIs(undefined);
    ddbMock.on(TransactWriteCommand).rejectsOnce(reservationCancelled()).resolves({});
    await expect(inventory(placed(), ctx)).rejects.toThrow('order order-1: reservation condition failed but no reservation exists');
    expect(transactions()).toHaveLength(1);
  });

  it('a late OrderPlaced for a VOID order whose copy recorded it first is a duplicate', async () => {
    recordIs({ state: 'VOID' });
    const winner = ctx.inbox.record(placed(), []).Put!.Item!;
    ddbMock
      .on(GetCommand, { Key: inboxKey('evt-OrderPlaced') })
      .resolvesOnce({})
      .resolves({ Item: winner });
    // The reservation meets the VOID record; then the inbox-only commit meets the winning copy's inbox record.
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(reservationCancelled())
      .rejects(cancelled(['ConditionalCheckFailed']));
    expect(await inventory(placed(), ctx)).toMatchObject({ emits: [], duplicate: true });
  });

  it('a redelivered late OrderPlaced (recorded with no events) re-emits nothing', async () => {
    recordIs({ state: 'VOID' });
    ddbMock.on(TransactWriteCommand).rejectsOnce(reservationCancelled()).resolves({});
    await inventory(placed(), ctx);
    inboxHolds('evt-OrderPlaced', lastInboxRecord());
    ddbMock.resetHistory();
    // The first delivery emitted nothing; without a read nothing names the state: the log word says so.
    expect(await inventory(placed(), ctx)).toEqual({ emits: [], duplicate: true, outcome: 'NO_OUTCOME' });
    expect(transactions()).toHaveLength(1);
    expect(inboxReads()).toBe(0);
  });
});

describe('inventory backordering', () => {
  const short = () => cancelled(['ConditionalCheckFailed', 'None', 'None', 'None']);
  const oos = () => placed([{ sku: 'SKU-OOS', quantity: 1 }]);

  it('an order cancelled (VOID) between the reservation and the backorder write backorders nothing', async () => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: { ...reservationKey('order-1'), state: 'VOID' } });
    // The backorder's record put meets the VOID record (item 0); the third transaction records the inbox only.
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(short())
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    const result = await inventory(oos(), ctx);
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'VOID' });
    expect(transactions().map((items) => items.length)).toEqual([4, 3, 1]);
  });

  it('a backorder write that keeps conflicting throws (SQS retries) without taking it for a VOID order', async () => {
    instantBackoff();
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(short())
      .rejects(cancelled(['TransactionConflict', 'None', 'None']));
    await expect(inventory(oos(), ctx)).rejects.toThrow('TransactionConflict');
    expect(ddbMock.commandCalls(GetCommand, { Key: reservationKey('order-1') })).toHaveLength(0);
  });

  it('a concurrent copy that wins the inbox race for the backorder makes this one a duplicate', async () => {
    ddbMock.on(TransactWriteCommand).rejectsOnce(short()).resolves({});
    const first = await inventory(oos(), ctx);
    const record = lastInboxRecord();
    ddbMock.reset();
    ddbMock.on(GetCommand, { Key: inboxKey('evt-OrderPlaced') }).resolves({ Item: record });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(short())
      .rejects(cancelled(['None', 'None', 'ConditionalCheckFailed'], record));
    expect(await inventory(oos(), ctx)).toEqual({ emits: first.emits, duplicate: true, outcome: 'BACKORDERED' });
    expect(inboxReads()).toBe(0);
  });
});

describe('inventory releasing, when the commit does not go through', () => {
  const reservation = { ...reservationKey('order-1'), state: 'RESERVED', lines: [{ sku: 'SKU-1', quantity: 1 }] };
  beforeEach(() => {
    ddbMock.on(GetCommand, { Key: reservationKey('order-1') }).resolves({ Item: reservation });
  });

  it('a concurrent copy that wins the inbox race makes this one a duplicate (stock went back once)', async () => {
    await inventory(cancelledEvent(), ctx);
    const record = lastInboxRecord();
    ddbMock.resetHistory();
    ddbMock
      .on(GetCommand, { Key: inboxKey('evt-OrderCancelled') })
      .resolvesOnce({})
      .resolves({ Item: record });
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'None', 'ConditionalCheckFailed']));
    expect(await inventory(cancelledEvent(), ctx)).toMatchObject({ emits: [], duplicate: true });
    expect(transactions()).toHaveLength(1);
  });

  it('a failure other than a changed record is thrown as it is, not retried in place', async () => {
    ddbMock.on(TransactWriteCommand).rejects(new Error('DynamoDB is down'));
    await expect(inventory(cancelledEvent(), ctx)).rejects.toThrow('DynamoDB is down');
    expect(transactions()).toHaveLength(1);
  });

  it('gives up with an error (SQS retries) when the record or catalog keeps changing', async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None']));
    await expect(inventory(cancelledEvent(), ctx)).rejects.toThrow('order order-1: reservation or catalog kept changing during the release');
    // Three passes (read, transaction), then SQS's retry: a bounded loop, not a spin.
    expect(transactions()).toHaveLength(3);
  });
});
