/** The benchmark's readable table (markdown) and the machine it ran on. */
import { cpus, loadavg, release, totalmem } from 'node:os';
import { emulatorBudget } from './cpu';
import { round } from './stats';
import type { BundleStartup } from './startup';

export function machine() {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    kernel: release(),
    loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
  };
}

type Any = Record<string, any>;
const f = (v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '–') : v === undefined || v === null ? '–' : String(v));

export function renderMarkdown(r: Any): string {
  const out: string[] = [];
  out.push(
    `Run ${r.startedAt} → ${r.finishedAt}; ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}, load average (1 min) ${r.loadAtStart ?? '–'} at start and ${r.machine.loadAverage1m} at the end (the machine is shared); ${r.emulator.name} ${r.emulator.version}, LAMBDA_ACCOUNT_CONCURRENCY=${r.emulator.lambdaAccountConcurrency}.`,
    '',
  );
  out.push('### POST /orders against the floor (ms; floor = no-op route + client TransactWrite of the same items)', '');
  out.push(
    '| phase | POST p50 / p90 / p99 | no-op route p50 / p90 / p99 | client TransactWrite p50 / p90 / p99 | floor p50 / p90 / p99 | ratio p50 / p90 / p99 | non-2xx |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [phase, s] of Object.entries(r.latency as Any)) {
    const t = (x: Any) => `${f(x.p50)} / ${f(x.p90)} / ${f(x.p99)}`;
    out.push(
      `| ${phase} (n=${s.post.n}) | ${t(s.post)} | ${t(s.noop)} | ${t(s.transact)} | ${t(s.floor)} | ${f(s.ratioP50)} / ${f(s.ratioP90)} / ${f(s.ratioP99)} | ${f(s.errors?.n)} |`,
    );
  }
  if ((r.ceiling as Any[] | undefined)?.length) {
    out.push('', "### The emulator's ceiling: open-loop steps against the no-op route (no work per request)", '');
    out.push(
      '| rate /s | sent | 202 | 429 | 5xx/err | p50 ms | p99 ms | CPU ms per request: emulator / machine | held |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const c of r.ceiling as Any[])
      out.push(
        `| ${c.rate} | ${c.sent} | ${c.ok} | ${c.throttled} | ${c.serverErrors} | ${f(c.p50)} | ${f(c.p99)} | ${f(c.cpu?.emulatorMsPerRequest)} / ${f(c.cpu?.machineMsPerRequest)} | ${c.held ? 'yes' : '**no**'} |`,
      );
    out.push('', `Ceiling (highest no-op rate held): **${f(r.ceilingRate)}/s**.`);
  }
  if ((r.steps as Any[]).length) {
    out.push('', '### Throughput steps (open loop)', '');
    out.push(
      '| rate /s | s | sent | 202 | 429 | 5xx/err | undecided | not all 5 done | DLQ | drained after (s) | POST p50/p99 | → decided p50/p99 | → all five done p50/p99 | emulator: cold starts / timeouts / throttles | CPU ms per order: emulator / machine | reconcile | held |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const s of r.steps as Any[]) {
      out.push(
        `| ${s.rate} | ${s.seconds} | ${s.sent} | ${s.accepted} | ${s.throttled} | ${s.serverErrors} | ${s.undecided} | ${s.incomplete} | ${s.deadLetters} | ${f(s.drainedAfterS)} | ${f(s.postLatency.p50)} / ${f(s.postLatency.p99)} | ${f(s.toDecided.p50)} / ${f(s.toDecided.p99)} | ${f(s.toAllFiveDone.p50)} / ${f(s.toAllFiveDone.p99)} | ${f(s.emulator?.coldStarts)} / ${f(s.emulator?.timeouts)} / ${f(s.emulator?.throttles)} | ${f(s.cpu?.emulatorMsPerRequest)} / ${f(s.cpu?.machineMsPerRequest)} | ${s.reconcile?.ran ? (s.reconcile.ok ? 'clean' : '**not clean**') : '–'} | ${s.held ? 'yes' : '**no**'} |`,
      );
    }
    out.push(
      '',
      `Highest rate held: **${f(r.highestHeldRate)} orders/s**. Reconcile after the last step: ${r.reconcile.ran ? (r.reconcile.ok ? 'clean' : 'NOT clean') : 'not run'}.`,
    );
  }
  const cost = r.requestCost as Any | undefined;
  if ((r.steps as Any[]).length && cost?.emulatorMsPerRequest) {
    const requestsPerOrder = (r.perOrder as Any)?.totalRequests as number | undefined;
    out.push('', "### The emulator's one process, per order", '');
    out.push(
      `The emulator's CPU per AWS request, measured alone in this run: **${f(cost.emulatorMsPerRequest)} ms** (${f(cost.requests)} GetItems from the bench client). The functions' counted requests per order: ${f(requestsPerOrder)}.`,
      '',
      "| rate /s | emulator CPU ms per order | of it, the functions' AWS requests (ms) | their share | the emulator's process saturated at (orders/s) |",
      '|---|---|---|---|---|',
    );
    for (const s of r.steps as Any[]) {
      const b = emulatorBudget(s.cpu?.emulatorMsPerRequest, requestsPerOrder, cost.emulatorMsPerRequest);
      out.push(`| ${s.rate} | ${f(s.cpu?.emulatorMsPerRequest)} | ${f(b.ourRequestsMs)} | ${f(b.ourShare)} | ${f(b.saturatesAt)} |`);
    }
  }
  const withFunctions = (r.steps as Any[]).filter((st) => st.functionsCpu && Object.keys(st.functionsCpu).length);
  if (withFunctions.length) {
    const names = [...new Set(withFunctions.flatMap((st) => Object.keys(st.functionsCpu)))].sort();
    out.push('', "### The functions' own CPU per order (each Lambda's node worker processes, ms per accepted order)", '');
    out.push(`| rate /s | ${names.join(' | ')} | all |`, `|---|${names.map(() => '---|').join('')}---|`);
    for (const st of withFunctions) {
      const v = names.map((n) => st.functionsCpu[n] as number | undefined);
      const all = round(v.reduce((a: number, b) => a + (b ?? 0), 0));
      out.push(`| ${st.rate} | ${v.map(f).join(' | ')} | ${f(all)} |`);
    }
  }
  out.push('', '### Requests and DynamoDB capacity units (counted by the functions; units per unit of work)', '');
  out.push('| source | units of work | requests / unit | RCU / unit | WCU / unit | requests by operation (total) |', '|---|---|---|---|---|---|');
  for (const u of r.usage as Any[]) {
    out.push(
      `| ${u.source} | ${u.units} | ${u.perUnit.requests} | ${u.perUnit.rcu} | ${u.perUnit.wcu} | ${Object.entries(u.requests)
        .map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`)
        .join(', ')} |`,
    );
  }
  const p = r.perOrder as Any;
  out.push(
    '',
    `Per accepted order (${p.orders} orders, reference worker excluded): ${p.totalRequests} requests (${Object.entries(p.requests)
      .map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`)
      .join(', ')}), ${p.rcu} RCU, ${p.wcu} WCU; worker messages per order: ${Object.entries(p.invocationsByMessage)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
  );
  if ((r.startup as Any[]).length) {
    out.push(
      '',
      '### Start-up: bundle size and module init (fresh node, median)',
      '',
      '| function | service | KB | init wall ms | init CPU ms | above its floor: KB / CPU ms |',
      '|---|---|---|---|---|---|',
    );
    for (const b of r.startup as BundleStartup[])
      out.push(`| ${b.function} | ${b.service} | ${b.kb} | ${b.initMsMedian} | ${f(b.initCpuMsMedian)} | ${aboveFloor(b)} |`);
    const floors = (r.startupFloors ?? []) as BundleStartup[];
    for (const b of floors) out.push(`| ${b.function} | ${b.service} | ${b.kb} | ${b.initMsMedian} | ${f(b.initCpuMsMedian)} | – |`);
    if (floors.length) out.push('', FLOOR_NOTE);
  }
  return `${out.join('\n')}\n`;
}

/** Issue 14's start-up targets. */
export const STARTUP_TARGET = { kb: 250, initMs: 60 } as const;

/** The start-up table: one row per function, variants side by side (before → after). */
export function renderStartup(r: {
  startedAt: string;
  finishedAt: string;
  machine: ReturnType<typeof machine>;
  loadAtStart: number;
  variants: Record<string, BundleStartup[]>;
  floors?: BundleStartup[];
}): string {
  const labels = Object.keys(r.variants);
  const byId = labels.map((l) => new Map(r.variants[l]!.map((b) => [b.function, b])));
  const ids = [...new Set(labels.flatMap((l) => r.variants[l]!.map((b) => b.function)))].sort();
  const col = (f: (b: BundleStartup) => number, target: number) => (id: string) =>
    byId
      .map((m) => {
        const b = m.get(id);
        return b ? `${f(b)}${f(b) <= target ? '' : ' ✗'}` : '–';
      })
      .join(' → ');
  const kb = col((b) => b.kb, STARTUP_TARGET.kb);
  const wall = col((b) => b.initMsMedian, STARTUP_TARGET.initMs);
  const cpu = col((b) => b.initCpuMsMedian, STARTUP_TARGET.initMs);
  const above = (id: string) => byId.map((m) => aboveFloor(m.get(id))).join(' → ');
  const floors = r.floors ?? [];
  const lines = [
    `Run ${r.startedAt} → ${r.finishedAt}; ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}, load average (1 min) ${r.loadAtStart} at start and ${r.machine.loadAverage1m} at the end. Variants: ${labels.join(' → ')}. ✗: over the target (${STARTUP_TARGET.kb} KB, ${STARTUP_TARGET.initMs} ms).`,
    '',
    `| function | service | KB | init wall ms (median of ${r.variants[labels[0]!]![0]?.initMsRuns.length ?? '?'}) | init CPU ms (median) |${floors.length ? ' above its floor: KB / CPU ms |' : ''}`,
    `|---|---|---|---|---|${floors.length ? '---|' : ''}`,
    ...ids.map(
      (id) =>
        `| ${id} | ${byId.map((m) => m.get(id)?.service).find(Boolean) ?? ''} | ${kb(id)} | ${wall(id)} | ${cpu(id)} |${floors.length ? ` ${above(id)} |` : ''}`,
    ),
    ...floors.map(
      (f) =>
        `| ${f.function} | ${f.service} | ${mark(f.kb, STARTUP_TARGET.kb)} | ${mark(f.initMsMedian, STARTUP_TARGET.initMs)} | ${mark(f.initCpuMsMedian, STARTUP_TARGET.initMs)} | – |`,
    ),
  ];
  if (floors.length) lines.push('', FLOOR_NOTE);
  return `${lines.join('\n')}\n`;
}

const mark = (value: number, target: number) => `${value}${value <= target ? '' : ' ✗'}`;
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n}`;
const aboveFloor = (b: BundleStartup | undefined) => (b?.aboveFloor ? `${signed(b.aboveFloor.kb)} / ${signed(b.aboveFloor.initCpuMs)}` : '–');

/** What the floor rows are, under every start-up table that has them. */
export const FLOOR_NOTE =
  'Floor rows: a bundle of only the SDK clients and Powertools utilities that kind of function creates at module scope (lambdas/bench/floor-api.ts: DynamoDB document client + Logger; floor-worker.ts: + SNS client + batch processor), built and measured in the same run. Above the floor is our code and zod.';
