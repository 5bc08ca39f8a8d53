import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, ddbMock, ORDERS_TABLE, validOrder } from '../api/fixtures';
import { readOrder, saveNewOrder, type NewOrder } from '../../../lambdas/adapters/order-store';

const NOW = new Date('2024-05-01T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
/** Without a payment token (no PAYTOKEN item): ORDER, OUTBOX and, with a key, IDEMPOTENCY last. */
const withoutToken = () => {
  const { paymentToken: _, ...order } = validOrder();
  return order;
};
const input = (over: Partial<NewOrder> = {}): NewOrder => ({
  orderId: 'o-1',
  order: withoutToken(),
  correlationId: 'corr-1',
  now: NOW,
  idempotency: { key: 'k-1', requestHash: 'hash-1', ttlSeconds: 600 },
  ...over,
});
const keyHeld = (Item?: Record<string, { S?: string; N?: string }>) =>
  cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed', ...(Item ? { Item } : {}) }]);

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
  ddbMock.on(GetCommand).resolves({});
});

describe('saveNewOrder', () => {
  it('only the key record expires, after its own TTL from the given clock', async () => {
    expect(await saveNewOrder(input(), ORDERS_TABLE)).toEqual({ outcome: 'created', orderId: 'o-1' });
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((i) => i.Put!.Item!.expiresAt)).toEqual([undefined, undefined, NOW_S + 600]);
  });

  it('without a key: two items, and any cancellation is an error', async () => {
    await saveNewOrder(input({ idempotency: undefined }), ORDERS_TABLE);
    expect(ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems).toHaveLength(2);
    ddbMock.on(TransactWriteCommand).rejects(cancelled([{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }]));
    await expect(saveNewOrder(input({ idempotency: undefined }), ORDERS_TABLE)).rejects.toThrow('Transaction cancelled');
  });

  it('a key record expiring exactly now still holds; one second past its expiry it is gone and the order is retried', async () => {
    ddbMock.on(TransactWriteCommand).rejects(keyHeld({ orderId: { S: 'first' }, requestHash: { S: 'hash-1' }, expiresAt: { N: String(NOW_S) } }));
    expect(await saveNewOrder(input(), ORDERS_TABLE)).toEqual({ outcome: 'replayed', orderId: 'first' });

    ddbMock.reset();
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(keyHeld({ orderId: { S: 'first' }, requestHash: { S: 'hash-1' }, expiresAt: { N: String(NOW_S - 1) } }))
      .resolves({});
    expect(await saveNewOrder(input(), ORDERS_TABLE)).toEqual({ outcome: 'created', orderId: 'o-1' });
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('a cancellation item without orderId or requestHash is not trusted: the record is read instead', async () => {
    const partials: Record<string, { S: string }>[] = [{ orderId: { S: 'first' } }, { requestHash: { S: 'hash-1' } }];
    for (const partial of partials) {
      ddbMock.reset();
      ddbMock.on(TransactWriteCommand).rejects(keyHeld(partial));
      ddbMock.on(GetCommand).resolves({ Item: { orderId: 'read', requestHash: 'other', expiresAt: NOW_S + 5 } });
      expect(await saveNewOrder(input(), ORDERS_TABLE)).toEqual({ outcome: 'key-reused', orderId: 'read' });
      expect(ddbMock.commandCalls(GetCommand)).toHaveLength(1);
    }
  });

  it('a read record without string orderId/requestHash counts as absent (retried, bounded)', async () => {
    ddbMock.on(TransactWriteCommand).rejects(keyHeld());
    ddbMock.on(GetCommand).resolves({ Item: { orderId: 7, requestHash: 'hash-1', expiresAt: NOW_S + 5 } });
    await expect(saveNewOrder(input(), ORDERS_TABLE)).rejects.toThrow('idempotency key still contested after 4 attempts');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });

  it('a record without an expiry counts as expired', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(keyHeld({ orderId: { S: 'first' }, requestHash: { S: 'hash-1' } }))
      .resolves({});
    expect(await saveNewOrder(input(), ORDERS_TABLE)).toEqual({ outcome: 'created', orderId: 'o-1' });
  });
});

describe('readOrder', () => {
  it('follows every page of the partition and sorts the items into order, lifecycle and statuses', async () => {
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ sk: 'STATUS#payment', status: 'CHARGED' }], LastEvaluatedKey: { pk: 'ORDER#o-1', sk: 'STATUS#payment' } })
      .resolvesOnce({ Items: [{ sk: 'ORDER', orderId: 'o-1' }], LastEvaluatedKey: { pk: 'ORDER#o-1', sk: 'ORDER' } })
      .resolves({
        Items: [
          { sk: 'LIFECYCLE', status: 'CONFIRMED' },
          { sk: 'STATUS#shipping', status: 'REQUESTED' },
        ],
      });
    expect(await readOrder('o-1', ORDERS_TABLE)).toEqual({
      order: { sk: 'ORDER', orderId: 'o-1' },
      lifecycle: { sk: 'LIFECYCLE', status: 'CONFIRMED' },
      statuses: { payment: { sk: 'STATUS#payment', status: 'CHARGED' }, shipping: { sk: 'STATUS#shipping', status: 'REQUESTED' } },
    });
    const starts = ddbMock.commandCalls(QueryCommand).map((c) => c.args[0].input.ExclusiveStartKey);
    expect(starts).toEqual([undefined, { pk: 'ORDER#o-1', sk: 'STATUS#payment' }, { pk: 'ORDER#o-1', sk: 'ORDER' }]);
  });

  it('no ORDER item: undefined; an answer without Items is an empty page', async () => {
    ddbMock.on(QueryCommand).resolves({});
    expect(await readOrder('o-1', ORDERS_TABLE)).toBeUndefined();
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(1);
  });
});
