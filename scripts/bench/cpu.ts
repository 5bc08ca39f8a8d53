/**
 * CPU time spent during a bench step, read from /proc (Linux): the emulator's own process (its one Python process
 * serves every AWS call of the stack) and the whole machine (the emulator, every Lambda's node process, the load
 * generator). Per request this isolates what the emulator costs from what the functions cost, and says which one
 * caps the rate: two cores give 2,000 CPU ms a second, one Python process at most 1,000.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { round } from './stats';

const ticksPerSecond = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** utime + stime of a process in ms (all its threads), or undefined when /proc has no such process. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine in ms, all cores (every field of /proc/stat's `cpu` line but idle and iowait). */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

export interface CpuUse {
  /** CPU ms per request that the emulator process spent during the step. */
  readonly emulatorMsPerRequest?: number;
  /** CPU ms per request that the whole machine spent during the step. */
  readonly machineMsPerRequest?: number;
  /** The emulator's share of the machine's busy time, 0..1. */
  readonly emulatorShare?: number;
}

/** Starts counting; `stop(requests)` gives the CPU per request since the start. */
export function cpuMeter(emulatorPid: number | undefined): { stop: (requests: number) => CpuUse } {
  const e0 = processCpuMs(emulatorPid);
  const m0 = machineBusyMs();
  return {
    stop(requests: number): CpuUse {
      const e1 = processCpuMs(emulatorPid);
      const m1 = machineBusyMs();
      const per = (a?: number, b?: number) => (a === undefined || b === undefined || requests <= 0 ? undefined : Math.round(((b - a) / requests) * 10) / 10);
      const emulator = e0 !== undefined && e1 !== undefined ? e1 - e0 : undefined;
      const machine = m0 !== undefined && m1 !== undefined ? m1 - m0 : undefined;
      return {
        emulatorMsPerRequest: per(e0, e1),
        machineMsPerRequest: per(m0, m1),
        emulatorShare: emulator !== undefined && machine ? Math.round((emulator / machine) * 100) / 100 : undefined,
      };
    },
  };
}

/**
 * What one step's emulator CPU per order says. The emulator serves every AWS call of the stack from ONE Python
 * process, which cannot use more than one core (1,000 CPU ms a second): `saturatesAt` is the order rate at which it
 * would be busy all the time at this cost per order, whatever the machine has left. `ourRequestsMs` is the part the
 * functions' own counted AWS requests explain (requests per order x the emulator's measured CPU per request);
 * the rest is the emulator's own machinery per order (Lambda invocations and their log capture, SQS polling for the
 * event source mappings, SNS fan-out, the DynamoDB stream).
 */
export function emulatorBudget(
  emulatorMsPerOrder: number | undefined,
  requestsPerOrder: number | undefined,
  emulatorMsPerRequest: number | undefined,
): { saturatesAt?: number; ourRequestsMs?: number; ourShare?: number } {
  const known = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v > 0;
  if (!known(emulatorMsPerOrder)) return {};
  const saturatesAt = round(1000 / emulatorMsPerOrder);
  if (!known(requestsPerOrder) || !known(emulatorMsPerRequest)) return { saturatesAt };
  const ourRequestsMs = round(requestsPerOrder * emulatorMsPerRequest);
  return { saturatesAt, ourRequestsMs, ourShare: round(Math.min(1, ourRequestsMs / emulatorMsPerOrder), 2) };
}

/** Sends `n` requests, `concurrency` at a time, and gives the emulator's (and the machine's) CPU ms per request. */
export async function measureRequestCost(
  send: () => Promise<unknown>,
  emulatorPid: number | undefined,
  n = 600,
  concurrency = 4,
): Promise<{ requests: number; emulatorMsPerRequest?: number; machineMsPerRequest?: number }> {
  const meter = cpuMeter(emulatorPid);
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < n) {
        sent += 1;
        await send();
      }
    }),
  );
  const { emulatorMsPerRequest, machineMsPerRequest } = meter.stop(sent);
  return { requests: sent, emulatorMsPerRequest, machineMsPerRequest };
}

/** A process as /proc shows it: its id, its command line and its CPU time so far. */
export interface ProcessCpu {
  readonly pid: number;
  readonly cmdline: string;
  readonly cpuMs: number;
}

/** Every process on the machine with its command line and CPU time (Linux /proc; [] elsewhere). */
export function processes(): ProcessCpu[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const out: ProcessCpu[] = [];
  for (const d of pids) {
    const pid = Number(d);
    const cpuMs = processCpuMs(pid);
    if (cpuMs === undefined) continue;
    try {
      out.push({ pid, cmdline: readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' '), cpuMs });
    } catch {
      /* gone in between */
    }
  }
  return out;
}

/**
 * The function a MiniStack Lambda worker process runs, from its command line: the emulator unpacks each function into
 * `$TMPDIR/ministack-lambda-<function name>-<random>/` and runs its `_worker.js` there. The function name is
 * `<stack>-<logical id><hash>`: the logical id without CDK's 8-hex-digit suffix names the function.
 */
export function lambdaOf(cmdline: string, stack: string): string | undefined {
  const m = new RegExp(`ministack-lambda-${stack.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-([A-Za-z0-9]+?)[0-9A-F]{8}[-A-Za-z0-9]*-[^/]+/_worker`).exec(cmdline);
  return m?.[1];
}

/**
 * CPU ms spent by each function's worker processes between two snapshots. A process present only in the second
 * counts from zero (it was spawned in between: its cold start is part of the cost); a process that ended in between
 * is missing (a killed worker's CPU is lost, so the figures err low when the step had timeouts).
 */
export function cpuByFunction(before: readonly ProcessCpu[], after: readonly ProcessCpu[], stack: string): Record<string, number> {
  const start = new Map(before.map((p) => [p.pid, p.cpuMs]));
  const by: Record<string, number> = {};
  for (const p of after) {
    const fn = lambdaOf(p.cmdline, stack);
    if (!fn) continue;
    by[fn] = (by[fn] ?? 0) + Math.max(0, p.cpuMs - (start.get(p.pid) ?? 0));
  }
  return by;
}
