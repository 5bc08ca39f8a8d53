/**
 * `npm run bundles`: every Lambda bundle's size and module init time, built the way the CDK builds them
 * (lib/constructs/pipeline-function.ts: esbuild, bundle everything, minify, CJS, node20), then required by a fresh
 * `node` process several times; the init time is the median of the `require()` durations (node's own start-up is
 * not in it). Targets: every bundle <= 250 KB and init <= 60 ms median.
 *
 *   npm run bundles                 # table
 *   npm run bundles -- --json       # machine-readable
 *   npm run bundles -- --runs 9     # more runs per bundle (default 7)
 *   npm run bundles -- --compare <dir>   # before/after: the same entries from another checkout (e.g. a `git archive`
 *                                        # of main with node_modules linked), runs interleaved so load hits both alike
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { handlerEntry, SERVICES } from '../lambdas/services/registry';
import { ENV } from '../lambdas/adapters/env';
import { LOCAL, ROOT } from './local/paths';

export const TARGETS = { maxBytes: 250 * 1024, maxInitMs: 60 } as const;

/** Every function entry of the stack (lib/constructs/*: API, relay, one worker per registry service). */
export const ENTRIES: readonly string[] = [
  'lambdas/api/post-order.ts',
  'lambdas/api/get-order.ts',
  'lambdas/outbox/relay.ts',
  'lambdas/outbox/sweeper.ts',
  ...SERVICES.map((s) => handlerEntry(s.name)),
];

/** What the functions read at import time (module scope), with dummy values: nothing is called. */
const IMPORT_ENV: Record<string, string> = {
  [ENV.stage]: 'local',
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
  POWERTOOLS_METRICS_NAMESPACE: 'OrderPipeline',
  // Outside Lambda the tracer would warn on every segment; the import cost is what is measured here.
  POWERTOOLS_TRACE_ENABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface BundleFigure {
  entry: string;
  bytes: number;
  initMsMedian: number;
  initMsRuns: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function bundle(entry: string, outDir: string, root = ROOT): Promise<string> {
  const outfile = join(outDir, entry.replace(/[/.]/g, '_') + '.js');
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** Milliseconds a fresh node process spends in `require()` of the bundle. */
export function initMs(outfile: string): number {
  const probe = `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const r = spawnSync(process.execPath, ['-e', probe], { env: { PATH: process.env.PATH ?? '', ...IMPORT_ENV }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${outfile}: requiring the bundle failed: ${r.stderr.slice(0, 500)}`);
  return Number(r.stdout);
}

export async function measure(entry: string, outDir: string, runs: number): Promise<BundleFigure> {
  const outfile = await bundle(entry, outDir);
  const probe = `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const initMsRuns: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-e', probe], { env: { PATH: process.env.PATH ?? '', ...IMPORT_ENV }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${entry}: requiring the bundle failed: ${r.stderr.slice(0, 500)}`);
    initMsRuns.push(Number(r.stdout));
  }
  return { entry, bytes: statSync(outfile).size, initMsMedian: median(initMsRuns), initMsRuns };
}

async function main() {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 7;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  const outDir = join(LOCAL, 'bundles');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const compareAt = args.indexOf('--compare');
  if (compareAt >= 0) {
    const other = args[compareAt + 1];
    if (!other) throw new Error('--compare needs a directory');
    mkdirSync(join(outDir, 'before'), { recursive: true });
    console.log(`entry                                      before KB  after KB   before ms  after ms  (init: median of ${runs}, interleaved)`);
    for (const entry of ENTRIES) {
      const a = await bundle(entry, join(outDir, 'before'), other);
      const b = await bundle(entry, outDir);
      const ra: number[] = [];
      const rb: number[] = [];
      for (let i = 0; i < runs; i++) {
        ra.push(initMs(a));
        rb.push(initMs(b));
      }
      const kb = (f: string) => (statSync(f).size / 1024).toFixed(1).padStart(9);
      console.log(`${entry.padEnd(42)} ${kb(a)} ${kb(b)} ${median(ra).toFixed(1).padStart(10)} ${median(rb).toFixed(1).padStart(9)}`);
    }
    return;
  }
  const figures: BundleFigure[] = [];
  for (const entry of ENTRIES) figures.push(await measure(entry, outDir, runs));
  if (args.includes('--json')) {
    console.log(JSON.stringify(figures, null, 2));
  } else {
    console.log(`bundle (esbuild as the CDK builds it)             size KB   init ms (median of ${runs})`);
    for (const f of figures) {
      const flag = f.bytes > TARGETS.maxBytes || f.initMsMedian > TARGETS.maxInitMs ? '  OVER TARGET' : '';
      console.log(`${f.entry.padEnd(50)} ${(f.bytes / 1024).toFixed(1).padStart(7)}   ${f.initMsMedian.toFixed(1).padStart(7)}${flag}`);
    }
    console.log(`targets: <= ${TARGETS.maxBytes / 1024} KB, <= ${TARGETS.maxInitMs} ms`);
  }
  if (figures.some((f) => f.bytes > TARGETS.maxBytes || f.initMsMedian > TARGETS.maxInitMs)) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
