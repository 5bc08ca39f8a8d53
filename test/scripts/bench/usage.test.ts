import { describe, expect, it } from 'vitest';
import { aggregateUsage, perOrder, type UsageLine } from '../../../scripts/bench/usage';

describe('aggregateUsage and perOrder', () => {
  const lines: UsageLine[] = [
    { source: 'api', sdkRequests: 1, requests: { TransactWriteItemsCommand: 1 }, rcu: 0, wcu: 4 },
    { source: 'api', sdkRequests: 1, requests: { TransactWriteItemsCommand: 1 }, rcu: 0, wcu: 4 },
    { source: 'shipping', sdkRequests: 2, requests: { PutItemCommand: 2 }, rcu: 0, wcu: 2 },
    { source: 'shipping', sdkRequests: 3, requests: { PutItemCommand: 2, GetItemCommand: 1 }, rcu: 1, wcu: 2 },
    { source: 'reference', sdkRequests: 4, requests: { PutItemCommand: 3, UpdateItemCommand: 1 }, rcu: 0, wcu: 4 },
  ];
  it('sums per source and divides by its units of work', () => {
    const u = aggregateUsage(lines);
    expect(u.map((x) => x.source)).toEqual(['api', 'reference', 'shipping']);
    const ship = u.find((x) => x.source === 'shipping')!;
    expect(ship).toMatchObject({ units: 2, totalRequests: 5, rcu: 1, wcu: 4, requests: { PutItemCommand: 4, GetItemCommand: 1 } });
    expect(ship.perUnit).toEqual({ requests: 2.5, rcu: 0.5, wcu: 2 });
  });
  it('per order excludes the reference worker', () => {
    const p = perOrder(aggregateUsage(lines), 2);
    expect(p).toMatchObject({ orders: 2, totalRequests: 3.5, rcu: 0.5, wcu: 6, invocationsByMessage: { api: 1, shipping: 1 } });
    expect(p.requests).toEqual({ GetItemCommand: 0.5, PutItemCommand: 2, TransactWriteItemsCommand: 1 });
  });
});
