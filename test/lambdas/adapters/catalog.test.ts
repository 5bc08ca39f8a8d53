import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ddbMock, TABLES } from '../services/helpers';
import { catalogKey, getCatalogItems } from '../../../lambdas/adapters/catalog';

const row = (sku: string, over: Record<string, unknown> = {}) => ({ pk: sku, name: `Item ${sku}`, unitPriceCents: 250, stock: 7, ...over });
const keysOf = (call: number) => ddbMock.commandCalls(BatchGetCommand)[call]!.args[0].input.RequestItems![TABLES.catalog]!.Keys;

beforeEach(() => ddbMock.reset());

describe('getCatalogItems', () => {
  it('reads each distinct sku once, with a projection of the fields it maps, from the table in the environment', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { [TABLES.catalog]: [row('A'), row('B', { stock: undefined, name: undefined })] } });
    const found = await getCatalogItems(['A', 'B', 'A', 'C'], TABLES.catalog);
    expect([...found.entries()]).toEqual([
      ['A', { sku: 'A', name: 'Item A', unitPriceCents: 250, stock: 7 }],
      ['B', { sku: 'B', name: '', unitPriceCents: 250, stock: 0 }],
    ]);
    const calls = ddbMock.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input.RequestItems).toEqual({
      [TABLES.catalog]: {
        Keys: [catalogKey('A'), catalogKey('B'), catalogKey('C')],
        ProjectionExpression: 'pk, #n, unitPriceCents, stock',
        ExpressionAttributeNames: { '#n': 'name' },
      },
    });
    expect(catalogKey('A')).toEqual({ pk: 'A' });
  });

  it('no answer for the table: nothing found', async () => {
    ddbMock.on(BatchGetCommand).resolves({});
    expect((await getCatalogItems(['A'], TABLES.catalog)).size).toBe(0);
  });

  it('asks again for unprocessed keys only, until none are left', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLES.catalog]: [row('A')] }, UnprocessedKeys: { [TABLES.catalog]: { Keys: [catalogKey('B'), catalogKey('C')] } } })
      .resolvesOnce({ Responses: { [TABLES.catalog]: [row('B')] }, UnprocessedKeys: { [TABLES.catalog]: { Keys: [catalogKey('C')] } } })
      .resolves({ Responses: { [TABLES.catalog]: [row('C')] }, UnprocessedKeys: {} });
    const found = await getCatalogItems(['A', 'B', 'C'], TABLES.catalog);
    expect([...found.keys()]).toEqual(['A', 'B', 'C']);
    expect([keysOf(0), keysOf(1), keysOf(2)]).toEqual([
      [catalogKey('A'), catalogKey('B'), catalogKey('C')],
      [catalogKey('B'), catalogKey('C')],
      [catalogKey('C')],
    ]);
  });

  it('gives up after 4 rounds that leave keys unprocessed (the message is then retried by SQS)', async () => {
    ddbMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLES.catalog]: { Keys: [catalogKey('A')] } } });
    await expect(getCatalogItems(['A'], TABLES.catalog)).rejects.toThrow(`BatchGetItem on ${TABLES.catalog} left 1 keys unprocessed after 4 rounds`);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(4);
  });

  it('succeeds when the 4th round is the last one needed', async () => {
    const left = { UnprocessedKeys: { [TABLES.catalog]: { Keys: [catalogKey('A')] } } };
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce(left)
      .resolvesOnce(left)
      .resolvesOnce(left)
      .resolves({ Responses: { [TABLES.catalog]: [row('A')] } });
    expect((await getCatalogItems(['A'], TABLES.catalog)).has('A')).toBe(true);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(4);
  });

  it('takes at most 100 distinct skus (BatchGetItem limit): 100 read, 101 refused before any request', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { [TABLES.catalog]: [] } });
    const skus = (n: number) => Array.from({ length: n }, (_, i) => `S-${i}`);
    await getCatalogItems([...skus(100), 'S-0'], TABLES.catalog);
    expect(keysOf(0)).toHaveLength(100);
    ddbMock.resetHistory();
    await expect(getCatalogItems(skus(101), TABLES.catalog)).rejects.toThrow('at most 100 skus per catalog read, got 101');
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});
