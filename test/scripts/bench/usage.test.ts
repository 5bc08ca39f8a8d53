import { describe, expect, it } from 'vitest';
import { aggregateUsage, allLogEvents, ordersMissing, perOrder, type UsageLine } from '../../../scripts/bench/usage';

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

describe('allLogEvents', () => {
  const events = Array.from({ length: 25 }, (_, i) => ({ eventId: `e${i}`, timestamp: 1000 + Math.floor(i / 2), message: `line ${i}` }));

  it('reads past a page limit that comes without a token (MiniStack: 10,000 events, no nextToken), by time', async () => {
    const pages: number[] = [];
    const fetchPage = async (startTime: number) => {
      pages.push(startTime);
      return { events: events.filter((e) => e.timestamp >= startTime).slice(0, 10) };
    };
    const got = await allLogEvents(fetchPage, 1000, 10);
    expect(got.map((e) => e.message)).toEqual(events.map((e) => e.message));
    expect(pages.length).toBeGreaterThan(2);
  });

  it('follows nextToken where the endpoint gives one', async () => {
    const fetchPage = async (_: number, token?: string) => {
      const from = Number(token ?? 0);
      return { events: events.slice(from, from + 10), nextToken: from + 10 < events.length ? String(from + 10) : undefined };
    };
    expect(await allLogEvents(fetchPage, 0, 10)).toHaveLength(25);
  });

  it('stops on a short page, and on a full page with nothing new', async () => {
    expect(await allLogEvents(async () => ({ events: events.slice(0, 3) }), 0, 10)).toHaveLength(3);
    const same = { events: events.slice(0, 10).map((e) => ({ ...e, timestamp: 1000 })) };
    expect(await allLogEvents(async () => same, 0, 10)).toHaveLength(10);
  });
});

describe('ordersMissing (the hollow stack step verdict)', () => {
  const line = (source: string, orderId: string): UsageLine => ({ source, orderId });
  it('names each order that one of the sources has no line for, in the given order', () => {
    const lines = [line('payment', 'a'), line('shipping', 'a'), line('payment', 'b'), line('shipping', 'c'), line('reference', 'b')];
    expect(ordersMissing(lines, ['a', 'b', 'c'], ['payment', 'shipping'])).toEqual(['b', 'c']);
    expect(ordersMissing(lines, ['a'], ['payment', 'shipping'])).toEqual([]);
  });
  it('does not count a line of another order or without one', () => {
    expect(ordersMissing([line('payment', 'x'), { source: 'payment' }], ['a'], ['payment'])).toEqual(['a']);
  });
});
