/**
 * Aggregates the counters that every function logs per unit of work (lambdas/adapters/aws.ts countingRequests):
 * worker lines `processed` (one per message), the relay's `published`, the API's `order accepted`. Pure, so the
 * cost arithmetic is unit-tested.
 */
export interface UsageLine {
  /** Which function logged it: a service name, `relay`, `api`, `reference`. */
  source: string;
  sdkRequests?: number;
  requests?: Record<string, number>;
  rcu?: number;
  wcu?: number;
  duplicate?: boolean;
  /** The order the unit of work was for (every line but the reference worker's has it). */
  orderId?: string;
}

export interface SourceUsage {
  source: string;
  /** Units of work: messages for a worker, events for the relay, accepted orders for the API. */
  units: number;
  requests: Record<string, number>;
  totalRequests: number;
  rcu: number;
  wcu: number;
  perUnit: { requests: number; rcu: number; wcu: number };
}

const r2 = (v: number) => Number(v.toFixed(2));

export function aggregateUsage(lines: readonly UsageLine[]): SourceUsage[] {
  const by = new Map<string, SourceUsage>();
  for (const l of lines) {
    const u = by.get(l.source) ?? { source: l.source, units: 0, requests: {}, totalRequests: 0, rcu: 0, wcu: 0, perUnit: { requests: 0, rcu: 0, wcu: 0 } };
    u.units += 1;
    u.totalRequests += l.sdkRequests ?? 0;
    u.rcu += l.rcu ?? 0;
    u.wcu += l.wcu ?? 0;
    for (const [op, n] of Object.entries(l.requests ?? {})) u.requests[op] = (u.requests[op] ?? 0) + n;
    by.set(l.source, u);
  }
  return [...by.values()]
    .map((u) => ({ ...u, perUnit: { requests: r2(u.totalRequests / u.units), rcu: r2(u.rcu / u.units), wcu: r2(u.wcu / u.units) } }))
    .sort((a, b) => a.source.localeCompare(b.source));
}

/** The pipeline's usage per accepted order: every source except the benchmark's reference, divided by `orders`. */
export function perOrder(usage: readonly SourceUsage[], orders: number, exclude: readonly string[] = ['reference']) {
  const counted = usage.filter((u) => !exclude.includes(u.source));
  const requests: Record<string, number> = {};
  for (const u of counted) for (const [op, n] of Object.entries(u.requests)) requests[op] = (requests[op] ?? 0) + n;
  const div = (v: number) => (orders > 0 ? r2(v / orders) : Number.NaN);
  return {
    orders,
    invocationsByMessage: Object.fromEntries(counted.map((u) => [u.source, div(u.units)])),
    requests: Object.fromEntries(
      Object.entries(requests)
        .sort()
        .map(([k, v]) => [k, div(v)]),
    ),
    totalRequests: div(counted.reduce((n, u) => n + u.totalRequests, 0)),
    rcu: div(counted.reduce((n, u) => n + u.rcu, 0)),
    wcu: div(counted.reduce((n, u) => n + u.wcu, 0)),
  };
}

/** One page of log events as FilterLogEvents answers it. */
export interface LogPage {
  events?: { eventId?: string; timestamp?: number; message?: string }[];
  nextToken?: string;
}

/**
 * Every event of a log group since `since`, however the endpoint pages: by `nextToken` where it gives one, and
 * otherwise by time. MiniStack answers at most 10,000 events and no token (a busy group's later events were silently
 * left out: run 5's first count of the API's lines stopped at 2,000 of 2,482 orders), so a full page is followed by
 * another from its last timestamp, and events already seen (by id) are dropped.
 */
export async function allLogEvents(fetchPage: (startTime: number, nextToken?: string) => Promise<LogPage>, since: number, pageLimit = 10_000) {
  const seen = new Set<string>();
  const events: { message: string }[] = [];
  let startTime = since;
  let token: string | undefined;
  for (;;) {
    const page = await fetchPage(startTime, token);
    const got = page.events ?? [];
    let fresh = 0;
    for (const e of got) {
      const id = e.eventId ?? `${e.timestamp}|${e.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      fresh += 1;
      events.push({ message: e.message ?? '' });
    }
    if (page.nextToken) token = page.nextToken;
    else if (got.length >= pageLimit && fresh > 0) {
      token = undefined;
      startTime = Math.max(startTime, ...got.map((e) => e.timestamp ?? startTime));
    } else return events;
  }
}

/**
 * The orders (of `orderIds`) that some source in `sources` has no line for: the verdict on a step of the hollow
 * stack, which keeps no order state to read back (each service's `processed` line is its only trace).
 */
export function ordersMissing(lines: readonly UsageLine[], orderIds: readonly string[], sources: readonly string[]): string[] {
  const seen = new Set(lines.map((l) => `${l.source}|${l.orderId}`));
  return orderIds.filter((id) => sources.some((source) => !seen.has(`${source}|${id}`)));
}
