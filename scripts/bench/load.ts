/**
 * Load drivers: closed loop (c clients, each sends its next request when the last one answered) over an
 * interleaved list of variants, and open loop (requests start at a fixed rate whatever the answers).
 */
export interface Sample {
  variant: string;
  /** Epoch ms when the request started. */
  startedAt: number;
  ms: number;
  status: number;
  orderId?: string;
}

export type Variant = { name: string; run: () => Promise<{ status: number; orderId?: string }> };

/** Runs `plan` (variant names, in order) with `concurrency` clients taking the next item of the plan. */
export async function closedLoop(variants: readonly Variant[], plan: readonly string[], concurrency: number): Promise<Sample[]> {
  const byName = new Map(variants.map((v) => [v.name, v]));
  const samples: Sample[] = [];
  let next = 0;
  const client = async () => {
    while (next < plan.length) {
      const v = byName.get(plan[next++]!)!;
      const startedAt = Date.now();
      const t0 = performance.now();
      const r = await v.run().catch(() => ({ status: 0 }));
      samples.push({ variant: v.name, startedAt, ms: performance.now() - t0, status: r.status, orderId: 'orderId' in r ? r.orderId : undefined });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return samples;
}

/** Starts `run` at `ratePerSecond` for `seconds`, on schedule (a late start does not delay the next); waits for all. */
export async function openLoop(
  run: () => Promise<{ status: number; orderId?: string }>,
  ratePerSecond: number,
  seconds: number,
  variant = 'post',
): Promise<Sample[]> {
  const total = Math.round(ratePerSecond * seconds);
  const interval = 1000 / ratePerSecond;
  const t0 = performance.now();
  const pending: Promise<Sample>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const startedAt = Date.now();
    const s0 = performance.now();
    pending.push(
      run()
        .catch(() => ({ status: 0 }))
        .then((r) => ({ variant, startedAt, ms: performance.now() - s0, status: r.status, orderId: 'orderId' in r ? r.orderId : undefined })),
    );
  }
  return Promise.all(pending);
}
