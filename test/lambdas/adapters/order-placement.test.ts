import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, ddbMock, ORDERS_TABLE, validOrder } from '../api/fixtures';
import { saveNewOrder, type NewOrder } from '../../../lambdas/adapters/order-placement';
import { apiIdempotencyKey } from '../../../lambdas/adapters/keys';

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
