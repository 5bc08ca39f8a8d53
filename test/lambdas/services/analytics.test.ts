import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, context, ddbMock, envelope, inboxHolds, lastInboxRecord, TABLES, transactions } from './helpers';
import { eventHash, PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { inboxKey, statusKey } from '../../../lambdas/adapters/keys';
import { analytics, readDailyTotals, SHARDS, shardKey, shardOf } from '../../../lambdas/services/analytics/analytics';

const ctx = context('analytics');
const confirmed = (eventId = 'evt-c1', amountCents = 1250) =>
  envelope('OrderConfirmed', { amountCents, currency: 'USD', confirmedAt: '2024-05-01T23:59:59.000Z' }, { eventId });
const cancelledEvent = () => envelope('OrderCancelled', { reason: 'OUT_OF_STOCK', currency: 'EUR', cancelledAt: '2024-05-02T00:00:01.000Z' });

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
});

describe('shardOf', () => {
  it('is stable and within range', () => {
    expect(shardOf('evt-c1')).toBe(shardOf('evt-c1'));
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`evt-${i}`)));
    expect([...shards].every((s) => s >= 0 && s < SHARDS)).toBe(true);
    expect(shards.size).toBe(SHARDS); // 200 ids spread over every shard
  });
});

describe('analytics', () => {
  it('adds a confirmed order and its revenue to its shard of the day, with status and inbox in one transaction', async () => {
    const result = await analytics(confirmed(), ctx);
    const [items] = transactions();
    expect(items).toHaveLength(3);
    expect(items![0]!.Update).toEqual({
      TableName: TABLES.service,
      Key: shardKey('2024-05-01', 'USD', shardOf('evt-c1')),
      UpdateExpression: 'SET #date = :date, currency = :currency ADD confirmed :confirmed, cancelled :cancelled, revenueCents :revenue',
      ExpressionAttributeNames: { '#date': 'date' },
      ExpressionAttributeValues: { ':date': '2024-05-01', ':currency': 'USD', ':confirmed': 1, ':cancelled': 0, ':revenue': 1250 },
    });
    expect(items![1]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'analytics'), status: 'RECORDED' });
    expect(items![2]!.Put).toMatchObject({ Item: inboxKey('evt-c1'), ConditionExpression: 'attribute_not_exists(pk)' });
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'RECORDED' });
  });

  it('counts a cancelled order on the day and currency of its cancellation, without revenue', async () => {
    await analytics(cancelledEvent(), ctx);
    expect(transactions()[0]![0]!.Update).toMatchObject({
      Key: { pk: 'DAILY#2024-05-02#EUR' },
      ExpressionAttributeValues: { ':confirmed': 0, ':cancelled': 1, ':revenue': 0 },
    });
  });

  it('a redelivery adds nothing', async () => {
    await analytics(confirmed(), ctx);
    inboxHolds('evt-c1', lastInboxRecord());
    ddbMock.resetHistory();
    expect(await analytics(confirmed(), ctx)).toEqual({ emits: [], duplicate: true, outcome: 'RECORDED' });
    expect(transactions()).toHaveLength(0);
  });

  it('a concurrent copy cancelled by the inbox condition is a duplicate, not an error', async () => {
    const winner = { ...inboxKey('evt-c1'), payloadHash: eventHash(confirmed()), emits: [] };
    ddbMock.on(GetCommand, { Key: inboxKey('evt-c1') }).resolvesOnce({}).resolves({ Item: winner });
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'ConditionalCheckFailed']));
    expect(await analytics(confirmed(), ctx)).toEqual({ emits: [], duplicate: true, outcome: 'RECORDED' });
    expect(transactions()).toHaveLength(1);
  });

  it('a transaction conflict on the shard is retried (thrown), not taken for a duplicate', async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['TransactionConflict', 'None', 'None']));
    await expect(analytics(confirmed(), ctx)).rejects.toThrow('TransactionConflict');
  });

  it('throws on a reused event id with another payload', async () => {
    await analytics(confirmed(), ctx);
    inboxHolds('evt-c1', lastInboxRecord());
    ddbMock.resetHistory();
    await expect(analytics(confirmed('evt-c1', 999), ctx)).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(transactions()).toHaveLength(0);
  });

  it('throws on an unparseable timestamp', async () => {
    await expect(analytics(envelope('OrderConfirmed', { amountCents: 1, currency: 'USD', confirmedAt: 'yesterday' }), ctx)).rejects.toThrow('invalid timestamp');
    expect(transactions()).toHaveLength(0);
  });
});

describe('readDailyTotals', () => {
  it('queries the day partition and sums every shard across pages', async () => {
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ confirmed: 2, cancelled: 1, revenueCents: 500 }, { confirmed: 1, revenueCents: 250 }], LastEvaluatedKey: { pk: 'p', sk: 'SHARD#3' } })
      .resolves({ Items: [{ cancelled: 2 }] });
    const totals = await readDailyTotals(TABLES.service, '2024-05-01', 'USD');
    expect(totals).toEqual({ confirmed: 3, cancelled: 3, revenueCents: 750 });
    const calls = ddbMock.commandCalls(QueryCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.args[0].input).toMatchObject({ TableName: TABLES.service, ExpressionAttributeValues: { ':pk': 'DAILY#2024-05-01#USD', ':shard': 'SHARD#' }, ConsistentRead: true });
    expect(calls[1]!.args[0].input.ExclusiveStartKey).toEqual({ pk: 'p', sk: 'SHARD#3' });
  });
});
