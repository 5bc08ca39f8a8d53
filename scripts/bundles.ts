/**
 * `npm run bundles`: every Lambda bundle's size and module init time, built the way the CDK builds them (esbuild with
 * lib/bundling.ts, as lib/constructs/pipeline-function.ts does), then required by a fresh `node` process several
 * times (scripts/bench/startup.ts's probe): median wall and CPU milliseconds of the `require()`. CPU time is the
 * robust one on a shared machine. Targets: every bundle <= 250 KB and init <= 60 ms median. No deploy, no synth.
 * Beside them, the dependency floors (scripts/bench/startup.ts FLOORS: only the SDK clients and Powertools utilities
 * a kind of function creates), so the table says what a bundle adds above what its dependencies cost. Runs are
 * round-robin: run i of every bundle before run i + 1 of any.
 *
 *   npm run bundles                        # table; exit 1 when a bundle is over a target
 *   npm run bundles -- --json              # machine-readable
 *   npm run bundles -- --runs 9            # more runs per bundle (default 7)
 *   npm run bundles -- --env K=V           # set an environment variable for the init (repeatable), e.g.
 *                                          # POWERTOOLS_LOG_LEVEL=DEBUG, to measure what a flag loads at init
 *   npm run bundles -- --compare <dir>     # before/after: the same entries built from another checkout (e.g.
 *                                          # `git worktree add /tmp/base main` with node_modules linked), runs
 *                                          # interleaved so machine load hits both alike
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { handlerEntry, SERVICES } from '../lambdas/services/registry';
import { FLOOR_NOTE, STARTUP_TARGET } from './bench/report';
import { buildBundle, FLOORS, type FloorKind, initOnce, interleaved } from './bench/startup';
import { percentile, round } from './bench/stats';
import { argValue } from './ops/target';
import { LOCAL, ROOT } from './local/paths';
import { ENV } from '../lambdas/contract';

/** Issue 14's start-up targets (scripts/bench/report.ts holds them for both tools). */
export const TARGETS = { maxBytes: STARTUP_TARGET.kb * 1024, maxInitMs: STARTUP_TARGET.initMs } as const;

/** Every function entry of the stack (lib/constructs/*: API, relay, sweeper, one worker per registry service; test/lib/bundle-entries.test.ts holds it to the template). */
export const ENTRIES: readonly string[] = [
  'lambdas/api/post-order.ts',
  'lambdas/api/get-order.ts',
  'lambdas/api/erase-personal-data.ts',
  'lambdas/outbox/relay.ts',
  'lambdas/outbox/sweeper.ts',
  ...SERVICES.map((s) => handlerEntry(s.name)),
];

/** What the functions read at import time (module scope), with dummy values: nothing is called. */
const IMPORT_ENV: Record<string, string> = {
  [ENV.stage]: 'dev',
  [ENV.service]: 'payment',
  [ENV.serviceTable]: 'svc',
  [ENV.ordersTable]: 'orders',
  [ENV.catalogTable]: 'catalog',
  [ENV.topicArn]: 'arn:aws:sns:us-east-1:000000000000:t',
  [ENV.authMode]: 'off',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_SERVICE_NAME: 'bundles',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface BundleFigure {
  entry: string;
  bytes: number;
  initMsMedian: number;
  initCpuMsMedian: number;
}

/** Builds `entry` of the checkout at `root` into `outDir` (scripts/bench/startup.ts's builder: lib/bundling.ts). */
export function bundle(entry: string, outDir: string, root = ROOT): string {
  return buildBundle(entry, join(outDir, entry.replace(/[/.]/g, '_') + '.js'), root);
}

function figure(entry: string, file: string, runs: { wallMs: number; cpuMs: number }[]): BundleFigure {
  return {
    entry,
    bytes: statSync(file).size,
    initMsMedian: round(
      percentile(
        runs.map((r) => r.wallMs),
        50,
      ),
    ),
    initCpuMsMedian: round(
      percentile(
        runs.map((r) => r.cpuMs),
        50,
      ),
    ),
  };
}

const overTarget = (f: BundleFigure) => f.bytes > TARGETS.maxBytes || f.initCpuMsMedian > TARGETS.maxInitMs;
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

async function main() {
  const args = process.argv.slice(2);
  const runs = Number(argValue(args, '--runs') ?? 7);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  const extra = Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === '--env' ? [a.split('=', 2) as [string, string]] : [])));
  const env = { PATH: process.env.PATH ?? '', ...IMPORT_ENV, ...extra };
  const outDir = join(LOCAL, 'bundles');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'before'), { recursive: true });
  const other = argValue(args, '--compare');

  // Every build first, then run i of every bundle (and floor, and before/after) before run i + 1 of any.
  const floorEntries = Object.values(FLOORS);
  const built = new Map<string, { after: string; before?: string }>();
  for (const entry of [...ENTRIES, ...floorEntries]) {
    built.set(entry, { after: bundle(entry, outDir), before: other && ENTRIES.includes(entry) ? bundle(entry, join(outDir, 'before'), other) : undefined });
  }
  const samples = new Map<string, { wallMs: number; cpuMs: number }[]>();
  for (const [entry, v] of interleaved(runs, [...built.keys()], other ? 2 : 1)) {
    const file = v === 0 ? built.get(entry)!.after : built.get(entry)!.before;
    if (!file) continue;
    const key = `${v}:${entry}`;
    samples.set(key, [...(samples.get(key) ?? []), initOnce(file, env)]);
  }
  const figureOf = (entry: string, v: number, file: string) => figure(entry, file, samples.get(`${v}:${entry}`)!);
  const rows = ENTRIES.map((entry) => {
    const { after, before } = built.get(entry)!;
    return { after: figureOf(entry, 0, after), before: before ? figureOf(entry, 1, before) : undefined };
  });
  const floors = Object.fromEntries((Object.keys(FLOORS) as FloorKind[]).map((k) => [k, figureOf(FLOORS[k], 0, built.get(FLOORS[k])!.after)])) as Record<
    FloorKind,
    BundleFigure
  >;
  const floorFor = (entry: string) => floors[entry.startsWith('lambdas/api/') ? 'api' : 'worker'];

  if (args.includes('--json')) {
    console.log(JSON.stringify({ bundles: rows.map((r) => (r.before ? r : r.after)), floors }, null, 2));
  } else if (other) {
    console.log(`entry (before: ${other})`.padEnd(46) + ' before KB  after KB   before CPU ms  after CPU ms   before wall  after wall');
    for (const { before, after } of rows) {
      console.log(
        `${after.entry.padEnd(46)} ${kb(before!.bytes).padStart(9)} ${kb(after.bytes).padStart(9)} ${String(before!.initCpuMsMedian).padStart(15)} ${String(after.initCpuMsMedian).padStart(13)} ${String(before!.initMsMedian).padStart(12)} ${String(after.initMsMedian).padStart(11)}`,
      );
    }
  } else {
    console.log(`bundle (esbuild as the CDK builds it)`.padEnd(46) + `  size KB  init CPU ms  init wall ms  above floor KB / CPU ms  (median of ${runs})`);
    const line = (f: BundleFigure, floor?: BundleFigure) =>
      `${f.entry.padEnd(46)} ${kb(f.bytes).padStart(8)} ${String(f.initCpuMsMedian).padStart(12)} ${String(f.initMsMedian).padStart(13)} ${(floor ? `${kb(f.bytes - floor.bytes)} / ${round(f.initCpuMsMedian - floor.initCpuMsMedian)}` : '').padStart(24)}${overTarget(f) ? '  OVER TARGET' : ''}`;
    for (const { after: f } of rows) console.log(line(f, floorFor(f.entry)));
    for (const f of Object.values(floors)) console.log(line(f));
    console.log(`targets: <= ${TARGETS.maxBytes / 1024} KB, <= ${TARGETS.maxInitMs} ms init (CPU). ${FLOOR_NOTE}`);
  }
  if (rows.some((r) => overTarget(r.after))) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
