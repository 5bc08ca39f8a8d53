/**
 * `npm run bundles`: every Lambda bundle's size and module init time, built the way the CDK builds them (esbuild with
 * lib/bundling.ts, as lib/constructs/pipeline-function.ts does), then required by a fresh `node` process several
 * times (scripts/bench/startup.ts's probe): median wall and CPU milliseconds of the `require()`. CPU time is the
 * robust one on a shared machine. Targets: every bundle <= 250 KB and init <= 60 ms median. No deploy, no synth.
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
import { build } from 'esbuild';
import { handlerEntry, SERVICES } from '../lambdas/services/registry';
import { BUNDLING } from '../lib/bundling';
import { initOnce } from './bench/startup';
import { percentile, round } from './bench/stats';
import { argValue } from './ops/target';
import { LOCAL, ROOT } from './local/paths';
import { ENV } from '../lambdas/contract';

export const TARGETS = { maxBytes: 250 * 1024, maxInitMs: 60 } as const;

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

export async function bundle(entry: string, outDir: string, root = ROOT): Promise<string> {
  const outfile = join(outDir, entry.replace(/[/.]/g, '_') + '.js');
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    mainFields: [...BUNDLING.mainFields],
    // The alias target is this checkout's file; another checkout (--compare) has its own copy.
    alias: Object.fromEntries(Object.entries(BUNDLING.alias).map(([from, to]) => [from, to.replace(ROOT, root)])),
    outfile,
    logLevel: 'warning',
  });
  return outfile;
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

  const rows: { after: BundleFigure; before?: BundleFigure }[] = [];
  for (const entry of ENTRIES) {
    const b = await bundle(entry, outDir);
    const a = other ? await bundle(entry, join(outDir, 'before'), other) : undefined;
    const rb: { wallMs: number; cpuMs: number }[] = [];
    const ra: { wallMs: number; cpuMs: number }[] = [];
    for (let i = 0; i < runs; i++) {
      if (a) ra.push(initOnce(a, env));
      rb.push(initOnce(b, env));
    }
    rows.push({ after: figure(entry, b, rb), before: a ? figure(entry, a, ra) : undefined });
  }
  if (args.includes('--json')) {
    console.log(
      JSON.stringify(
        rows.map((r) => (r.before ? r : r.after)),
        null,
        2,
      ),
    );
  } else if (other) {
    console.log(`entry (before: ${other})`.padEnd(46) + ' before KB  after KB   before CPU ms  after CPU ms   before wall  after wall');
    for (const { before, after } of rows) {
      console.log(
        `${after.entry.padEnd(46)} ${kb(before!.bytes).padStart(9)} ${kb(after.bytes).padStart(9)} ${String(before!.initCpuMsMedian).padStart(15)} ${String(after.initCpuMsMedian).padStart(13)} ${String(before!.initMsMedian).padStart(12)} ${String(after.initMsMedian).padStart(11)}`,
      );
    }
  } else {
    console.log(`bundle (esbuild as the CDK builds it)`.padEnd(46) + `  size KB  init CPU ms  init wall ms  (median of ${runs})`);
    for (const { after: f } of rows) {
      console.log(
        `${f.entry.padEnd(46)} ${kb(f.bytes).padStart(8)} ${String(f.initCpuMsMedian).padStart(12)} ${String(f.initMsMedian).padStart(13)}${overTarget(f) ? '  OVER TARGET' : ''}`,
      );
    }
    console.log(`targets: <= ${TARGETS.maxBytes / 1024} KB, <= ${TARGETS.maxInitMs} ms init (CPU)`);
  }
  if (rows.some((r) => overTarget(r.after))) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
