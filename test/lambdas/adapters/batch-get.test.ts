import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchGet, batchGetAll, batchGetTables } from '../../../lambdas/adapters/batch-get';

const TABLE = 'some-table';
const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

const key = (i: number) => ({ pk: `K#${i}` });
const keys = (n: number) => Array.from({ length: n }, (_, i) => key(i));
const calls = () => ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems![TABLE]!);
/** Every key asked is found (an item with the key's pk). */
const findAll = () =>
  ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => ({
    Responses: { [TABLE]: input.RequestItems[TABLE]!.Keys.map((k) => ({ pk: k.pk, found: true })) },
  }));
const leaves = (...left: { pk: string }[]) => ({ UnprocessedKeys: { [TABLE]: { Keys: left } } });

beforeEach(() => ddbMock.reset());
afterEach(() => vi.useRealTimers());

describe('batchGetAll', () => {
  it('asks for 100 keys in one request and 101 in two (100 + 1), and returns every item', async () => {
    findAll();
    expect(await batchGetAll(ddb, TABLE, keys(100))).toHaveLength(100);
    expect(calls().map((c) => c.Keys!.length)).toEqual([100]);
    ddbMock.resetHistory();
    const items = await batchGetAll(ddb, TABLE, keys(101));
    expect(items.map((i) => i.pk)).toEqual(keys(101).map((k) => k.pk));
    expect(calls().map((c) => c.Keys)).toEqual([keys(100), [key(100)]]);
  });

  it('no keys: no request', async () => {
    expect(await batchGetAll(ddb, TABLE, [])).toEqual([]);
    expect(calls()).toHaveLength(0);
  });

  it('passes ConsistentRead, the projection and its names only when given', async () => {
    findAll();
    await batchGetAll(ddb, TABLE, [key(1)]);
    await batchGetAll(ddb, TABLE, [key(1)], { consistentRead: true, projection: 'pk, #n', names: { '#n': 'name' } });
    await batchGetAll(ddb, TABLE, [key(1)], { consistentRead: false });
    // Strict: an option not given is absent from the request, not present as undefined.
    expect(calls()).toStrictEqual([
      { Keys: [key(1)] },
      { Keys: [key(1)], ConsistentRead: true, ProjectionExpression: 'pk, #n', ExpressionAttributeNames: { '#n': 'name' } },
      { Keys: [key(1)], ConsistentRead: false },
    ]);
  });

  it('asks again for the unprocessed keys only, after a short backoff, and returns the items of every round', async () => {
    vi.useFakeTimers();
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [{ pk: 'K#0' }] }, ...leaves(key(1), key(2)) })
      .resolvesOnce({ Responses: { [TABLE]: [{ pk: 'K#1' }] }, ...leaves(key(2)) })
      .resolves({ Responses: { [TABLE]: [{ pk: 'K#2' }] }, UnprocessedKeys: {} });
    const read = batchGetAll(ddb, TABLE, keys(3), { consistentRead: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(24);
    expect(calls()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(50);
    expect((await read).map((i) => i.pk)).toEqual(['K#0', 'K#1', 'K#2']);
    expect(calls()).toEqual([
      { Keys: keys(3), ConsistentRead: true },
      { Keys: [key(1), key(2)], ConsistentRead: true },
      { Keys: [key(2)], ConsistentRead: true },
    ]);
  });

  it('waits 25 ms before the first retry, then 50 ms, 100 ms, and 200 ms before each one after', async () => {
    vi.useFakeTimers();
    ddbMock.on(BatchGetCommand).resolves(leaves(key(0)));
    const read = batchGetAll(ddb, TABLE, [key(0)], { rounds: 6 }).catch((err: Error) => err);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toHaveLength(1);
    for (const [round, waitMs] of [25, 50, 100, 200, 200].entries()) {
      await vi.advanceTimersByTimeAsync(waitMs - 1);
      expect(calls()).toHaveLength(round + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls()).toHaveLength(round + 2);
    }
    expect(await read).toBeInstanceOf(Error);
  });

  it('gives up after 4 rounds by default (or `rounds`) that leave keys unprocessed, before asking for the next chunk', async () => {
    ddbMock.on(BatchGetCommand).resolves(leaves(key(0)));
    await expect(batchGetAll(ddb, TABLE, keys(150))).rejects.toThrow(`BatchGetItem on ${TABLE} left 1 keys unprocessed after 4 rounds`);
    expect(calls()).toHaveLength(4);
    ddbMock.resetHistory();
    await expect(batchGetAll(ddb, TABLE, [key(0)], { rounds: 2 })).rejects.toThrow('after 2 rounds');
    expect(calls()).toHaveLength(2);
  });

  it('succeeds when the last round is the one that reads the rest', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce(leaves(key(0)))
      .resolvesOnce(leaves(key(0)))
      .resolvesOnce(leaves(key(0)))
      .resolves({ Responses: { [TABLE]: [{ pk: 'K#0' }] } });
    expect(await batchGetAll(ddb, TABLE, [key(0)])).toEqual([{ pk: 'K#0' }]);
    expect(calls()).toHaveLength(4);
  });
});

describe('batchGet', () => {
  it('hands back what is still unprocessed after the rounds, and goes on with the next chunk', async () => {
    ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => {
      const asked = input.RequestItems[TABLE]!.Keys;
      // K#0 is never processed; every other key is found.
      return { Responses: { [TABLE]: asked.filter((k) => k.pk !== 'K#0') }, ...leaves(...asked.filter((k) => k.pk === 'K#0')) };
    });
    const { items, unprocessed } = await batchGet(ddb, TABLE, keys(101), { rounds: 3 });
    expect(unprocessed).toEqual([key(0)]);
    expect(items.map((i) => i.pk)).toEqual(
      keys(101)
        .slice(1)
        .map((k) => k.pk),
    );
    expect(calls().map((c) => c.Keys!.length)).toEqual([100, 1, 1, 1]);
  });
});

describe('batchGetTables', () => {
  const OTHER = 'other-table';
  const requests = () => ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems);

  it('reads several tables in one request, each with its own consistency and projection, and returns the items by table', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [{ pk: 'K#0' }], [OTHER]: [{ pk: 'T', token: 'x' }] } });
    const items = await batchGetTables(ddb, {
      [TABLE]: { keys: [key(0), key(1)], projection: 'pk, #n', names: { '#n': 'name' } },
      [OTHER]: { keys: [{ pk: 'T' }], consistentRead: true },
    });
    expect(items).toEqual({ [TABLE]: [{ pk: 'K#0' }], [OTHER]: [{ pk: 'T', token: 'x' }] });
    expect(requests()).toStrictEqual([
      {
        [TABLE]: { Keys: [key(0), key(1)], ProjectionExpression: 'pk, #n', ExpressionAttributeNames: { '#n': 'name' } },
        [OTHER]: { Keys: [{ pk: 'T' }], ConsistentRead: true },
      },
    ]);
  });

  it('a table with no keys is left out of the request but has its (empty) list in the answer', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { [OTHER]: [{ pk: 'T' }] } });
    expect(await batchGetTables(ddb, { [TABLE]: { keys: [] }, [OTHER]: { keys: [{ pk: 'T' }] } })).toEqual({ [TABLE]: [], [OTHER]: [{ pk: 'T' }] });
    expect(requests()).toEqual([{ [OTHER]: { Keys: [{ pk: 'T' }] } }]);
  });

  it("asks again for each table's unprocessed keys only, with that table's options", async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [{ pk: 'K#0' }] }, UnprocessedKeys: { [OTHER]: { Keys: [{ pk: 'T' }] } } })
      .resolves({ Responses: { [OTHER]: [{ pk: 'T' }] } });
    const items = await batchGetTables(ddb, { [TABLE]: { keys: [key(0)] }, [OTHER]: { keys: [{ pk: 'T' }], consistentRead: true } });
    expect(items).toEqual({ [TABLE]: [{ pk: 'K#0' }], [OTHER]: [{ pk: 'T' }] });
    expect(requests()[1]).toStrictEqual({ [OTHER]: { Keys: [{ pk: 'T' }], ConsistentRead: true } });
  });

  it('throws when keys are still unprocessed after the rounds, naming the tables', async () => {
    ddbMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { [OTHER]: { Keys: [{ pk: 'T' }] } } });
    await expect(batchGetTables(ddb, { [OTHER]: { keys: [{ pk: 'T' }] } }, { rounds: 2 })).rejects.toThrow(
      `BatchGetItem left keys unprocessed after 2 rounds (${OTHER}: 1)`,
    );
    expect(requests()).toHaveLength(2);
  });

  it('more than 100 keys in all is refused before any request', async () => {
    await expect(batchGetTables(ddb, { [TABLE]: { keys: keys(99) }, [OTHER]: { keys: [{ pk: 'A' }, { pk: 'B' }] } })).rejects.toThrow(
      'at most 100 keys in one read of several tables, got 101',
    );
    expect(requests()).toHaveLength(0);
  });
});
