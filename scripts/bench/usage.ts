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
