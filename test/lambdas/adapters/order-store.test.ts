import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ddbMock, ORDERS_TABLE } from '../api/fixtures';
import { erasePersonalData, readOrder } from '../../../lambdas/adapters/order-store';
import { lifecycleKey, orderKey, paymentTokenKey, personalDataKey, statusKey } from '../../../lambdas/adapters/keys';

const NOW = new Date('2024-05-01T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
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
