import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { conditionalCheckFailed, ddbMock, TABLES } from '../services/helpers';
import { fireOnce, InjectedFault, loadBatchFaults, orderFaults } from '../../../lambdas/adapters/faults';

const ON = { ordersTable: TABLES.orders, faultsEnabled: true };
const OFF = { ordersTable: TABLES.orders, faultsEnabled: false };
// ORDER#<id> / ORDER: the order item, whose `faults` are the hooks it was placed with (keys.ts, docs/contract.md).
const orderItemKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });
const gets = () => ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input);

beforeEach(async () => {
  ddbMock.reset();
  // Forget the previous test's batch (hooks off: nothing loaded).
  await loadBatchFaults([], OFF);
});

describe('hooks off (every stage but local)', () => {
  it('an order has no hooks, and nothing is read', async () => {
    expect(await orderFaults('o-1', OFF)).toEqual([]);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('loading a batch reads nothing either', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { [TABLES.orders]: [] } });
    await loadBatchFaults(['o-1', 'o-2'], OFF);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('loadBatchFaults, then orderFaults', () => {
  it('answers every order the batch read from it (found with or without hooks, or absent); an unprocessed one is looked up', async () => {
    const stillUnprocessed = { UnprocessedKeys: { [TABLES.orders]: { Keys: [orderItemKey('o-4')] } } };
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLES.orders]: [{ ...orderItemKey('o-1'), faults: ['fail:payment'] }, orderItemKey('o-2')] }, ...stillUnprocessed })
      .resolves(stillUnprocessed);
    ddbMock.on(GetCommand).resolves({ Item: { faults: ['drop:shipping'] } });

    await loadBatchFaults(['o-1', 'o-2', 'o-3', 'o-4', 'o-1'], ON);
    const asked = ddbMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems![TABLES.orders]!;
    expect(asked.Keys).toEqual(['o-1', 'o-2', 'o-3', 'o-4'].map(orderItemKey));

    expect(await orderFaults('o-1', ON)).toEqual(['fail:payment']);
    expect(await orderFaults('o-2', ON)).toEqual([]); // an order placed without hooks
    expect(await orderFaults('o-3', ON)).toEqual([]); // no order item: no hooks, and no second read
    expect(gets()).toHaveLength(0);
    expect(await orderFaults('o-4', ON)).toEqual(['drop:shipping']);
    expect(gets()).toEqual([{ TableName: TABLES.orders, Key: orderItemKey('o-4'), ProjectionExpression: 'faults' }]);
  });
});

describe('orderFaults without a loaded batch', () => {
  it("reads only the order item's faults", async () => {
    ddbMock.on(GetCommand).resolves({ Item: { faults: ['crash-in-provider'] } });
    expect(await orderFaults('o-1', ON)).toEqual(['crash-in-provider']);
    expect(gets()).toEqual([{ TableName: TABLES.orders, Key: orderItemKey('o-1'), ProjectionExpression: 'faults' }]);
  });

  it('an order without hooks, or without an item, has none', async () => {
    ddbMock.on(GetCommand).resolvesOnce({ Item: {} }).resolves({});
    expect(await orderFaults('o-1', ON)).toEqual([]);
    expect(await orderFaults('o-2', ON)).toEqual([]);
  });
});

describe('fireOnce', () => {
  it('throws an InjectedFault naming the fault and its scope the first time, and returns once the marker is there', async () => {
    ddbMock.on(PutCommand).resolvesOnce({}).rejects(conditionalCheckFailed());
    const first = await fireOnce(TABLES.service, 'crash-after-effect:payment', 'evt-1').catch((err: unknown) => err);
    expect(first).toBeInstanceOf(InjectedFault);
    // The message is what the warning in the log says: which hook fired, for what.
    expect((first as InjectedFault).message).toMatch(/crash-after-effect:payment/);
    expect((first as InjectedFault).message).toMatch(/evt-1/);
    await expect(fireOnce(TABLES.service, 'crash-after-effect:payment', 'evt-1')).resolves.toBeUndefined();
  });
});
