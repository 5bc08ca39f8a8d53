/**
 * The benchmark's arithmetic, kept pure so it is unit-tested: percentiles, summaries, histograms, ratios.
 */

/** The p-th percentile (0..100) by linear interpolation between closest ranks (numpy's default); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (p < 0 || p > 100 || Number.isNaN(p)) throw new RangeError(`percentile ${p} is outside 0..100`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: n ? round(Math.max(...values)) : Number.NaN,
    mean: n ? round(values.reduce((a, b) => a + b, 0) / n) : Number.NaN,
  };
}

/** One decimal: the timer's useful resolution for HTTP round trips. */
export const round = (v: number, digits = 1): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

/** value / floor, two decimals; NaN when the floor is not positive. */
export const ratio = (value: number, floor: number): number => (floor > 0 ? Number((value / floor).toFixed(2)) : Number.NaN);

export interface Bin {
  from: number;
  to: number;
  count: number;
}

/**
 * `bins` equal-width bins from 0 to the given upper bound (default: the 99th percentile, so one outlier does not
 * squash the chart); values above the bound are counted in the last bin.
 */
export function histogram(values: readonly number[], bins = 30, upper = percentile(values, 99)): Bin[] {
  if (values.length === 0 || !(upper > 0)) return [];
  const width = upper / bins;
  const out: Bin[] = Array.from({ length: bins }, (_, i) => ({ from: i * width, to: (i + 1) * width, count: 0 }));
  for (const v of values) out[Math.min(bins - 1, Math.max(0, Math.floor(v / width)))]!.count += 1;
  return out;
}

/**
 * The interleaving of latency samples: round r runs every variant once, in an order rotated by r, so a slow phase
 * of the machine hits every variant equally.
 */
export function interleave<T>(variants: readonly T[], rounds: number): T[] {
  const out: T[] = [];
  for (let r = 0; r < rounds; r++) for (let i = 0; i < variants.length; i++) out.push(variants[(i + r) % variants.length]!);
  return out;
}

/** Counts per whole second since `start` (ms), for a throughput line. */
export function perSecond(timestampsMs: readonly number[], startMs: number, seconds: number): number[] {
  const out = new Array<number>(Math.max(0, seconds)).fill(0);
  for (const t of timestampsMs) {
    const s = Math.floor((t - startMs) / 1000);
    if (s >= 0 && s < out.length) out[s]! += 1;
  }
  return out;
}
