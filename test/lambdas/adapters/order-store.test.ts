import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, ddbMock, ORDERS_TABLE, validOrder } from '../api/fixtures';
import { erasePersonalData, readOrder, saveNewOrder, type NewOrder } from '../../../lambdas/adapters/order-store';
import { apiIdempotencyKey, lifecycleKey, orderKey, paymentTokenKey, personalDataKey, statusKey } from '../../../lambdas/adapters/keys';

const NOW = new Date('2024-05-01T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
/** Without a payment token (no PAYTOKEN item): ORDER, OUTBOX, PII and, with a key, IDEMPOTENCY last. */
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
  cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed', ...(Item ? { Item } : {}) }]);

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
  ddbMock.on(GetCommand).resolves({});
});

describe('saveNewOrder', () => {
  it('the PII item expires after the retention period and the key record after its own TTL; order and outbox do not', async () => {
    expect(await saveNewOrder(input({ personalDataTtlSeconds: 3_600 }), ORDERS_TABLE)).toEqual({ outcome: 'created', orderId: 'o-1' });
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((i) => i.Put!.Item!.expiresAt)).toEqual([undefined, undefined, NOW_S + 3_600, NOW_S + 600]);
  });

  it('without a retention period given, the PII item expires after 90 days (the default the stages override)', async () => {
    await saveNewOrder(input(), ORDERS_TABLE);
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items[2]!.Put!.Item!.expiresAt).toBe(NOW_S + 90 * 24 * 3_600);
  });

  it('without a key: three items, and any cancellation is an error', async () => {
    await saveNewOrder(input({ idempotency: undefined }), ORDERS_TABLE);
    expect(ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems).toHaveLength(3);
    ddbMock.on(TransactWriteCommand).rejects(cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }]));
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

  it('with a key, a cancellation by another item than the key record is thrown as is, after one attempt', async () => {
    // The order id is new, so only the key record may legitimately stop the transaction; anything else is a fault.
    const byOrderItem = cancelled([{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }]);
    ddbMock.on(TransactWriteCommand).rejects(byOrderItem);
    await expect(saveNewOrder(input(), ORDERS_TABLE)).rejects.toBe(byOrderItem);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('a TransactionConflict on the key record is settled by a consistent read of the record, not by the cancellation', async () => {
    // Only a failed condition returns the stored record (ALL_OLD); a conflict says nothing about what was committed.
    ddbMock
      .on(TransactWriteCommand)
      .rejects(
        cancelled([
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'TransactionConflict', Item: { orderId: { S: 'not-committed' }, requestHash: { S: 'hash-1' }, expiresAt: { N: String(NOW_S + 5) } } },
        ]),
      );
    ddbMock.on(GetCommand).resolves({ Item: { orderId: 'first', requestHash: 'hash-1', expiresAt: NOW_S + 5 } });
    expect(await saveNewOrder(input(), ORDERS_TABLE)).toEqual({ outcome: 'replayed', orderId: 'first' });
    expect(ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: ORDERS_TABLE, Key: apiIdempotencyKey('c-1', 'k-1'), ConsistentRead: true },
    ]);
  });

  it('a read record with an orderId but no string requestHash counts as absent too', async () => {
    ddbMock.on(TransactWriteCommand).rejects(keyHeld());
    ddbMock.on(GetCommand).resolves({ Item: { orderId: 'first', expiresAt: NOW_S + 5 } });
    await expect(saveNewOrder(input(), ORDERS_TABLE)).rejects.toThrow('idempotency key still contested after 4 attempts');
  });

  it("carries the local stage's fault hooks on the ORDER item (the workers read them) and the OUTBOX item (the relay does)", async () => {
    await saveNewOrder(input({ faults: ['drop:payment', 'fail:inventory'] }), ORDERS_TABLE);
    const [order, outbox, pii] = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!.map((i) => i.Put!.Item!);
    expect(order!.faults).toEqual(['drop:payment', 'fail:inventory']);
    expect(outbox!.faults).toEqual(['drop:payment', 'fail:inventory']);
    expect(pii).not.toHaveProperty('faults');
    // Without hooks, no attribute at all.
    ddbMock.resetHistory();
    await saveNewOrder(input({ faults: [] }), ORDERS_TABLE);
    for (const item of ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!) expect(item.Put!.Item).not.toHaveProperty('faults');
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
  it("reads the order, PII, lifecycle and the given services' statuses in one BatchGetItem and sorts them", async () => {
    ddbMock.on(BatchGetCommand).resolves({
      Responses: {
        [ORDERS_TABLE]: [
          { ...statusKey('o-1', 'payment'), service: 'payment', status: 'CHARGED' },
          { ...orderKey('o-1'), orderId: 'o-1' },
          { ...lifecycleKey('o-1'), status: 'CONFIRMED' },
          { ...statusKey('o-1', 'shipping'), service: 'shipping', status: 'REQUESTED' },
        ],
      },
    });
    expect(await readOrder('o-1', ['payment', 'shipping'], ORDERS_TABLE)).toEqual({
      order: { ...orderKey('o-1'), orderId: 'o-1' },
      lifecycle: { ...lifecycleKey('o-1'), status: 'CONFIRMED' },
      statuses: {
        payment: { ...statusKey('o-1', 'payment'), service: 'payment', status: 'CHARGED' },
        shipping: { ...statusKey('o-1', 'shipping'), service: 'shipping', status: 'REQUESTED' },
      },
    });
    expect(ddbMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems![ORDERS_TABLE]!.Keys).toEqual([
      orderKey('o-1'),
      personalDataKey('o-1'),
      lifecycleKey('o-1'),
      statusKey('o-1', 'payment'),
      statusKey('o-1', 'shipping'),
    ]);
  });

  it('personal data expiring exactly now is still kept; one second past its expiry it counts as absent (TTL deletes late)', async () => {
    const now = NOW.getTime();
    const holding = (expiresAt: number) =>
      ddbMock.on(BatchGetCommand).resolves({
        Responses: {
          [ORDERS_TABLE]: [
            { ...orderKey('o-1'), orderId: 'o-1' },
            { ...personalDataKey('o-1'), email: 'a@example.com', expiresAt },
          ],
        },
      });
    holding(NOW_S);
    expect((await readOrder('o-1', [], ORDERS_TABLE, now))?.personalData).toMatchObject({ email: 'a@example.com' });
    holding(NOW_S - 1);
    expect(await readOrder('o-1', [], ORDERS_TABLE, now)).not.toHaveProperty('personalData');
  });

  it("lists STATUS items only as statuses: another item that happens to carry a 'service' attribute is not one", async () => {
    ddbMock.on(BatchGetCommand).resolves({
      Responses: {
        [ORDERS_TABLE]: [
          { ...orderKey('o-1'), orderId: 'o-1' },
          { ...lifecycleKey('o-1'), status: 'ACCEPTED', service: 'payment' },
        ],
      },
    });
    expect((await readOrder('o-1', ['payment'], ORDERS_TABLE))?.statuses).toEqual({});
  });

  it('no ORDER item: undefined; an answer without Responses is empty', async () => {
    ddbMock.on(BatchGetCommand).resolves({});
    expect(await readOrder('o-1', [], ORDERS_TABLE)).toBeUndefined();
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(1);
  });

  it('fails after a few rounds of unprocessed keys (a 500 the client may retry)', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { [ORDERS_TABLE]: [] }, UnprocessedKeys: { [ORDERS_TABLE]: { Keys: [orderKey('o-1')] } } });
    await expect(readOrder('o-1', [], ORDERS_TABLE)).rejects.toThrow(/unprocessed/);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(4);
  });
});

describe('erasePersonalData', () => {
  it('replaces the PII item and an existing payment token with tombstones (puts, no delete); a decided order keeps no token item', async () => {
    ddbMock.on(PutCommand).resolves({});
    await erasePersonalData('o-1', NOW, 60, ORDERS_TABLE);
    const puts = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts).toEqual([
      { TableName: ORDERS_TABLE, Item: { ...personalDataKey('o-1'), orderId: 'o-1', erasedAt: NOW.toISOString(), expiresAt: NOW_S + 60 } },
      {
        TableName: ORDERS_TABLE,
        Item: { ...paymentTokenKey('o-1'), orderId: 'o-1', erasedAt: NOW.toISOString(), expiresAt: NOW_S + 86_400 },
        ConditionExpression: 'attribute_exists(pk)',
      },
    ]);
    ddbMock.reset();
    ddbMock
      .on(PutCommand)
      .resolves({})
      .on(PutCommand, { ConditionExpression: 'attribute_exists(pk)' })
      .rejects(Object.assign(new Error('no item'), { name: 'ConditionalCheckFailedException' }));
    await expect(erasePersonalData('o-1', NOW, 60, ORDERS_TABLE)).resolves.toBeUndefined();
  });

  it('fails when the token tombstone fails for another reason than a missing item: the token may still be there', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    ddbMock.on(PutCommand).resolves({}).on(PutCommand, { ConditionExpression: 'attribute_exists(pk)' }).rejects(throttled);
    await expect(erasePersonalData('o-1', NOW, 60, ORDERS_TABLE)).rejects.toBe(throttled);
  });
});
