/**
 * Every function bundle of a synthesized stack: its size and its module init time (require of the bundle in a fresh
 * Node process, with the function's environment, median of `runs`). Cold start on AWS adds the runtime's own
 * start and the code download; this isolates what the bundle costs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
}

const PROBE = `const c=process.cpuUsage();const t=process.hrtime.bigint();require(process.argv[1]);const u=process.cpuUsage(c);process.stdout.write(JSON.stringify([Number(process.hrtime.bigint()-t)/1e6,(u.user+u.system)/1000]))`;

/** One `require()` of a bundle in a fresh node process: wall and CPU milliseconds (node's own start-up is not in it). */
export function initOnce(file: string, env: NodeJS.ProcessEnv, cwd?: string): { wallMs: number; cpuMs: number } {
  const r = spawnSync(process.execPath, ['-e', PROBE, file], { env, encoding: 'utf8', cwd });
  if (r.status !== 0) throw new Error(`init of ${file} failed: ${r.stderr.slice(0, 500)}`);
  const [wallMs, cpuMs] = JSON.parse(r.stdout) as [number, number];
  return { wallMs, cpuMs };
}

export function measureStartup(assemblyDir: string, stackName: string, runs = 7): BundleStartup[] {
  const template = JSON.parse(readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string; Metadata?: Record<string, string>; Properties: { Environment?: { Variables?: Record<string, unknown> } } }> };
  const out: BundleStartup[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function' || !r.Metadata?.['aws:asset:path']) continue;
    const file = join(assemblyDir, r.Metadata['aws:asset:path'], 'index.js');
    const vars = r.Properties.Environment?.Variables ?? {};
    // Tokens (Ref, GetAtt) become placeholders: module init only reads them.
    const env = { ...process.env, ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `bench-${k.toLowerCase()}`])), AWS_REGION: 'us-east-1' };
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { wallMs, cpuMs } = initOnce(file, env, join(assemblyDir, r.Metadata['aws:asset:path']));
      times.push(wallMs);
      cpu.push(cpuMs);
    }
    const bytes = statSync(file).size;
    out.push({ function: id, service: String(vars.POWERTOOLS_SERVICE_NAME ?? ''), bytes, kb: round(bytes / 1024), initMsMedian: round(percentile(times, 50)), initMsRuns: times.map((t) => round(t)), initCpuMsMedian: round(percentile(cpu, 50)) });
  }
  return out.sort((a, b) => a.function.localeCompare(b.function));
}
