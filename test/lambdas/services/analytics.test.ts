import { BatchGetCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelled, context, ddbMock, envelope, inboxHolds, inboxReads, instantBackoff, lastInboxRecord, TABLES, transactions } from './helpers';
import { CONTENTION_RETRY, eventHash, PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { inboxKey, statusKey } from '../../../lambdas/adapters/keys';
import { analytics, countedKey, readDailyTotals, SHARDS, shardKey, shardOf } from '../../../lambdas/services/analytics/analytics';

const ctx = context('analytics');
const confirmed = (eventId = 'evt-c1', amountCents = 1250) =>
  envelope('OrderConfirmed', { amountCents, currency: 'USD', confirmedAt: '2024-05-01T23:59:59.000Z' }, { eventId });
const cancelledEvent = () => envelope('OrderCancelled', { reason: 'OUT_OF_STOCK', currency: 'EUR', cancelledAt: '2024-05-02T00:00:01.000Z' });

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
});
afterEach(() => vi.restoreAllMocks());

describe('shardOf', () => {
  it('is stable and within range', () => {
    expect(shardOf('evt-c1')).toBe(shardOf('evt-c1'));
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`evt-${i}`)));
    expect([...shards].every((s) => s >= 0 && s < SHARDS)).toBe(true);
    expect(shards.size).toBe(SHARDS); // 200 ids spread over every shard
  });
});

describe('shardKey', () => {
  it('puts every shard of a day in a partition of its own (the partition key differs, not only the sort key)', () => {
    // Fails on c5101ed: shards shared the partition DAILY#<date>#<currency> and differed only in the sort key.
    const keys = Array.from({ length: SHARDS }, (_, shard) => shardKey('2024-05-01', 'USD', shard));
    expect(new Set(keys.map((k) => k.pk)).size).toBe(SHARDS);
    expect(keys[3]).toEqual({ pk: 'DAILY#2024-05-01#USD#3', sk: 'SHARD' });
    expect(shardKey('2024-05-01', 'EUR', 3).pk).not.toBe(keys[3]!.pk);
  });
});

describe('countedKey', () => {
  it('keys the per-order marker as docs/contract.md and `npm run reconcile` expect', () =>
    expect(countedKey('order-42')).toEqual({ pk: 'COUNTED#order-42', sk: 'COUNTED' }));
});

describe('analytics', () => {
  it('adds a confirmed order and its revenue to its shard of the day, with the COUNTED marker, status and inbox in one transaction', async () => {
    const result = await analytics(confirmed(), ctx);
    const [items] = transactions();
    expect(items).toHaveLength(4);
    expect(items![0]!.Update).toEqual({
      TableName: TABLES.service,
      Key: shardKey('2024-05-01', 'USD', shardOf('evt-c1')),
      UpdateExpression: 'SET #date = :date, currency = :currency ADD confirmed :confirmed, cancelled :cancelled, revenueCents :revenue',
      ExpressionAttributeNames: { '#date': 'date' },
      ExpressionAttributeValues: { ':date': '2024-05-01', ':currency': 'USD', ':confirmed': 1, ':cancelled': 0, ':revenue': 1250 },
    });
    expect(items![1]!.Put).toEqual({
      TableName: TABLES.service,
      Item: { ...countedKey('order-1'), orderId: 'order-1', eventId: 'evt-c1', date: '2024-05-01', currency: 'USD' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    // The marker outlives the inbox record: no TTL.
    expect(items![1]!.Put!.Item).not.toHaveProperty('expiresAt');
    // The status names the day and currency the order was counted in.
    expect(items![2]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'analytics'), status: 'RECORDED', detail: { date: '2024-05-01', currency: 'USD' } });
    expect(items![3]!.Put).toMatchObject({ Item: inboxKey('evt-c1'), ConditionExpression: 'attribute_not_exists(pk)' });
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'RECORDED' });
  });

  it('counts a cancelled order on the day and currency of its cancellation, without revenue', async () => {
    await analytics(cancelledEvent(), ctx);
    expect(transactions()[0]![0]!.Update).toMatchObject({
      Key: { pk: `DAILY#2024-05-02#EUR#${shardOf('evt-OrderCancelled')}`, sk: 'SHARD' },
      ExpressionAttributeValues: { ':confirmed': 0, ':cancelled': 1, ':revenue': 0 },
    });
  });

  it('a redelivery after its inbox record expired (COUNTED marker condition fails) counts nothing and is not poison', async () => {
    // Fails on c5101ed: there was no per-order marker; the expired inbox let the redelivery count the order twice.
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    const result = await analytics(confirmed(), ctx);
    expect(result).toEqual({ emits: [], duplicate: true, outcome: 'RECORDED' });
    const [counting, recordOnly] = transactions();
    expect(counting).toHaveLength(4);
    // The second commit: the status and a fresh inbox record, no counter update.
    expect(recordOnly).toHaveLength(2);
    expect(recordOnly![0]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'analytics'), status: 'RECORDED' });
    expect(recordOnly![1]!.Put).toMatchObject({ Item: { ...inboxKey('evt-c1'), emits: '[]' }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(JSON.stringify(recordOnly)).not.toContain('DAILY#');
  });

  it('the same order decided under another event id (a re-emitted decision) counts nothing either', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    expect(await analytics(confirmed('evt-copy'), ctx)).toMatchObject({ duplicate: true });
    expect(transactions()[1]!.some((i) => i.Update)).toBe(false);
  });

  it('a redelivery adds nothing', async () => {
    await analytics(confirmed(), ctx);
    inboxHolds('evt-c1', lastInboxRecord());
    ddbMock.resetHistory();
    expect(await analytics(confirmed(), ctx)).toEqual({ emits: [], duplicate: true, outcome: 'RECORDED' });
    // One transaction, cancelled by the inbox record (nothing added), and no inbox read.
    expect(transactions()).toHaveLength(1);
    expect(inboxReads()).toBe(0);
  });

  it('a redelivery as DynamoDB cancels it (the COUNTED marker and the inbox record both there): a duplicate, no read', async () => {
    await analytics(confirmed(), ctx);
    const record = lastInboxRecord();
    ddbMock.resetHistory();
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'], record));
    expect(await analytics(confirmed(), ctx)).toEqual({ emits: [], duplicate: true, outcome: 'RECORDED' });
    expect(transactions()).toHaveLength(1);
    expect(inboxReads()).toBe(0);
  });

  it('a first delivery is one transaction and no read', async () => {
    await analytics(confirmed(), ctx);
    expect(ddbMock.calls().map((c) => c.args[0].constructor.name)).toEqual(['TransactWriteCommand']);
  });

  it('a concurrent copy cancelled by the inbox condition is a duplicate, not an error', async () => {
    const winner = { ...inboxKey('evt-c1'), payloadHash: eventHash(confirmed()), emits: [] };
    ddbMock
      .on(GetCommand, { Key: inboxKey('evt-c1') })
      .resolvesOnce({})
      .resolves({ Item: winner });
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'None', 'ConditionalCheckFailed']));
    expect(await analytics(confirmed(), ctx)).toEqual({ emits: [], duplicate: true, outcome: 'RECORDED' });
    expect(transactions()).toHaveLength(1);
  });

  it('a transaction conflict on the shard is retried in place, then thrown, never taken for a duplicate', async () => {
    instantBackoff();
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['TransactionConflict', 'None', 'None', 'None']));
    await expect(analytics(confirmed(), ctx)).rejects.toThrow('TransactionConflict');
    expect(transactions()).toHaveLength(CONTENTION_RETRY.attempts);
  });

  it('throws on a reused event id with another payload', async () => {
    await analytics(confirmed(), ctx);
    inboxHolds('evt-c1', lastInboxRecord());
    ddbMock.resetHistory();
    await expect(analytics(confirmed('evt-c1', 999), ctx)).rejects.toBeInstanceOf(PayloadMismatchError);
    // Its transaction was cancelled by the inbox record: nothing of it applied.
    expect(transactions()).toHaveLength(1);
  });

  it('ignores an event that is not a decision, touching nothing', async () => {
    expect(await analytics(envelope('StockReserved', { skus: ['SKU-1'] }), ctx)).toEqual({ outcome: 'IGNORED' });
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('throws on an unparseable timestamp', async () => {
    await expect(analytics(envelope('OrderConfirmed', { amountCents: 1, currency: 'USD', confirmedAt: 'yesterday' }), ctx)).rejects.toThrow(
      'invalid timestamp',
    );
    expect(transactions()).toHaveLength(0);
  });
});

describe('readDailyTotals', () => {
  it('reads every shard partition of the day (consistently) and sums them, retrying unprocessed keys', async () => {
    const keys = Array.from({ length: SHARDS }, (_, shard) => shardKey('2024-05-01', 'USD', shard));
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: {
          [TABLES.service]: [
            { confirmed: 2, cancelled: 1, revenueCents: 500 },
            { confirmed: 1, revenueCents: 250 },
          ],
        },
        UnprocessedKeys: { [TABLES.service]: { Keys: [keys[7]!] } },
      })
      .resolves({ Responses: { [TABLES.service]: [{ cancelled: 2 }] } });
    const totals = await readDailyTotals(TABLES.service, '2024-05-01', 'USD');
    expect(totals).toEqual({ confirmed: 3, cancelled: 3, revenueCents: 750 });
    const calls = ddbMock.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.args[0].input.RequestItems![TABLES.service]).toEqual({ Keys: keys, ConsistentRead: true });
    expect(calls[1]!.args[0].input.RequestItems![TABLES.service]!.Keys).toEqual([keys[7]]);
  });
});
