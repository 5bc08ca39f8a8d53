/**
 * Every function bundle of a synthesized stack: its size and its module init time (require of the bundle in a fresh
 * Node process, with the function's environment, median of `runs`). Cold start on AWS adds the runtime's own
 * start and the code download; this isolates what the bundle costs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { API_SERVICE_NAME } from '../../lambdas/contract';
import { BUNDLING } from '../../lib/bundling';
import { ROOT } from '../local/paths';
import { percentile, round } from './stats';

export interface BundleStartup {
  function: string;
  service: string;
  bytes: number;
  kb: number;
  initMsMedian: number;
  initMsRuns: number[];
  /** CPU time (user + system) of the same require: robust to other processes on a shared machine. */
  initCpuMsMedian: number;
  /** What the bundle adds to its floor (FLOORS), measured in the same run: our code and zod. */
  aboveFloor?: { kb: number; initCpuMs: number };
}

/**
 * Start-up floors: bundles of only the SDK clients and Powertools utilities a kind of function creates at module
 * scope (lambdas/bench/floor-*.ts), built like the functions and measured in the same round-robin. A bundle's size
 * and init above its floor is what our code (and zod) costs; the floor is what the named dependencies cost.
 */
export const FLOORS = { api: 'lambdas/bench/floor-api.ts', worker: 'lambdas/bench/floor-worker.ts' } as const;
export type FloorKind = keyof typeof FLOORS;
const FLOOR_ID: Record<FloorKind, string> = { api: 'FloorApi', worker: 'FloorWorker' };

/** The API functions neither publish nor drain batches; every other function (workers, relay, sweeper) does both. */
export const floorOf = (service: string): FloorKind => (service === API_SERVICE_NAME ? 'api' : 'worker');

/** Builds one entry the way lib/constructs/pipeline-function.ts has the CDK build it (lib/bundling.ts). */
export function buildBundle(entry: string, outfile: string, root = ROOT): string {
  buildSync({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    mainFields: [...BUNDLING.mainFields],
    // The alias target is this checkout's file; another checkout (a baseline) has its own copy.
    alias: Object.fromEntries(Object.entries(BUNDLING.alias).map(([from, to]) => [from, to.replace(ROOT, root)])),
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** Both floors, built into `dir` (outside any package.json that says "type": "module"). */
function floorBundles(dir: string, envOf: (kind: FloorKind) => NodeJS.ProcessEnv): Bundle[] {
  return (Object.keys(FLOORS) as FloorKind[]).map((kind) => {
    const file = buildBundle(FLOORS[kind], join(dir, kind, 'index.js'));
    return { id: FLOOR_ID[kind], service: `floor: ${kind}`, file, cwd: dirname(file), env: envOf(kind) };
  });
}

/** Each bundle's size and CPU init above its floor. */
export function withFloor(bundles: BundleStartup[], floors: BundleStartup[]): BundleStartup[] {
  const floor = (kind: FloorKind) => floors.find((f) => f.function === FLOOR_ID[kind]);
  return bundles.map((b) => {
    const f = floor(floorOf(b.service));
    return f ? { ...b, aboveFloor: { kb: round(b.kb - f.kb), initCpuMs: round(b.initCpuMsMedian - f.initCpuMsMedian) } } : b;
  });
}

const PROBE = `const c=process.cpuUsage();const t=process.hrtime.bigint();require(process.argv[1]);const u=process.cpuUsage(c);process.stdout.write(JSON.stringify([Number(process.hrtime.bigint()-t)/1e6,(u.user+u.system)/1000]))`;

interface Bundle {
  id: string;
  service: string;
  file: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Every function bundle of a synthesized stack, with the environment its template gives it. */
function bundlesOf(assemblyDir: string, stackName: string): Bundle[] {
  const template = JSON.parse(readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string>; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
  };
  const out: Bundle[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function' || !r.Metadata?.['aws:asset:path']) continue;
    const cwd = join(assemblyDir, r.Metadata['aws:asset:path']);
    const vars = r.Properties.Environment?.Variables ?? {};
    // Tokens (Ref, GetAtt) become placeholders: module init only reads them.
    const env = {
      ...process.env,
      ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `bench-${k.toLowerCase()}`])),
      AWS_REGION: 'us-east-1',
    };
    out.push({ id, service: String(vars.POWERTOOLS_SERVICE_NAME ?? ''), file: join(cwd, 'index.js'), cwd, env });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** One `require()` of a bundle in a fresh node process: wall and CPU milliseconds (node's own start-up is not in it). */
export function initOnce(file: string, env: NodeJS.ProcessEnv, cwd?: string): { wallMs: number; cpuMs: number } {
  const r = spawnSync(process.execPath, ['-e', PROBE, file], { env, encoding: 'utf8', cwd });
  if (r.status !== 0) throw new Error(`init of ${file} failed: ${r.stderr.slice(0, 500)}`);
  const [wallMs, cpuMs] = JSON.parse(r.stdout) as [number, number];
  return { wallMs, cpuMs };
}

const initBundle = (b: Bundle): [number, number] => {
  const { wallMs, cpuMs } = initOnce(b.file, b.env, b.cwd);
  return [wallMs, cpuMs];
};

function summarise(b: Bundle, runs: [number, number][]): BundleStartup {
  const bytes = statSync(b.file).size;
  const times = runs.map((r) => r[0]);
  return {
    function: b.id,
    service: b.service,
    bytes,
    kb: round(bytes / 1024),
    initMsMedian: round(percentile(times, 50)),
    initMsRuns: times.map((t) => round(t)),
    initCpuMsMedian: round(
      percentile(
        runs.map((r) => r[1]),
        50,
      ),
    ),
  };
}

/**
 * Every bundle's start-up, round-robin: run i of every bundle before run i + 1 of any, so that a burst of load on the
 * machine falls on all of them alike instead of on whichever bundle was being measured (run 5 had one bundle 15 ms
 * above the rest; measured again round-robin, it was at the others' median).
 */
export function measureStartup(assemblyDir: string, stackName: string, runs = 7): { bundles: BundleStartup[]; floors: BundleStartup[] } {
  const { variants, floors } = measureStartupSideBySide([{ label: 'this', assemblyDir }], stackName, runs);
  return { bundles: variants['this']!, floors };
}

/**
 * The same measurement for several assemblies (e.g. before and after a change), interleaved run by run across
 * bundles and variants, so that the machine's drift falls on every one alike. Functions are matched by logical id;
 * one missing in a variant is left out of that variant.
 */
export function measureStartupSideBySide(
  variants: { label: string; assemblyDir: string }[],
  stackName: string,
  runs = 7,
): { variants: Record<string, BundleStartup[]>; floors: BundleStartup[] } {
  const stacks = variants.map((v) => bundlesOf(v.assemblyDir, stackName));
  // The floors run with the environment of a function of their kind (the first stack's), built from this checkout.
  const envOf = (kind: FloorKind) => (stacks[0]!.find((b) => floorOf(b.service) === kind) ?? stacks[0]![0])?.env ?? { ...process.env, AWS_REGION: 'us-east-1' };
  const floorDir = mkdtempSync(join(tmpdir(), 'bench-floor-'));
  // The floors are one more "variant" holding only their own ids: measured once per run, in the same round-robin.
  const bundles = [...stacks, floorBundles(floorDir, envOf)].map((list) => new Map(list.map((b) => [b.id, b])));
  const ids = [...new Set(bundles.flatMap((m) => [...m.keys()]))].sort();
  const samples = bundles.map(() => new Map<string, [number, number][]>());
  const summary = (i: number) => ids.filter((id) => bundles[i]!.has(id)).map((id) => summarise(bundles[i]!.get(id)!, samples[i]!.get(id)!));
  try {
    for (const [id, v] of interleaved(runs, ids, bundles.length)) {
      const b = bundles[v]!.get(id);
      if (!b) continue;
      const list = samples[v]!.get(id) ?? [];
      list.push(initBundle(b));
      samples[v]!.set(id, list);
    }
    const floors = summary(variants.length);
    return { variants: Object.fromEntries(variants.map((v, i) => [v.label, withFloor(summary(i), floors)])), floors };
  } finally {
    rmSync(floorDir, { recursive: true, force: true });
  }
}

/** The order of the measurements: each run goes over every bundle, and each bundle over every variant. */
export function* interleaved<T>(runs: number, ids: readonly T[], variants: number): Generator<[T, number]> {
  for (let i = 0; i < runs; i++) for (const id of ids) for (let v = 0; v < variants; v++) yield [id, v];
}

/**
 * Synthesizes the local stage of the checkout at `root` (bundling every function the way the construct does) into
 * `outDir`: `cdk synth`, no emulator and no deployment needed. The app refuses the local stage unless AWS_ENDPOINT_URL
 * is a loopback emulator (lib/target-guard.ts); a synth into a scratch folder deploys nothing, so it is given the
 * default emulator address when none is set.
 */
export function synthLocal(root: string, outDir: string, context: Record<string, string> = {}): void {
  const ctx = Object.entries({ stage: 'local', ...context }).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  execFileSync('npx', ['cdk', 'synth', 'OrderPipeline-local', ...ctx, '--output', outDir, '--quiet', '--no-notices'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566' },
  });
}

/**
 * A copy of the repository at git revision `ref` (git archive, no worktree), using this checkout's node_modules: the
 * "before" of a side-by-side start-up run. Says so when the ref's lock file differs (its bundles then use our deps).
 */
export function checkoutRef(root: string, ref: string): { dir: string; sameDeps: boolean; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  execFileSync('sh', ['-c', `git archive ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`], { cwd: root });
  if (!existsSync(join(root, 'node_modules'))) throw new Error('node_modules missing: run npm ci first');
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const sameDeps = spawnSync('git', ['diff', '--quiet', ref, '--', 'package-lock.json'], { cwd: root }).status === 0;
  return { dir, sameDeps, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
