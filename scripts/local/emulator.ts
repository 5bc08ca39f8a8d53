/**
 * The embedded local AWS emulator: MiniStack, pinned, installed into a project-local venv, bound to 127.0.0.1.
 *
 * Rules (see ../shared design notes): reuse only an emulator this checkout started (PID file + live process + health
 * on its port); never adopt whatever else listens on 4566; stop with SIGTERM, then SIGKILL, and end the Lambda
 * worker processes it leaves behind — only ours, found by this checkout's TMPDIR in their command line.
 * When the user gives AWS_ENDPOINT_URL, that endpoint is used and nothing is started.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { choosePortFrom, portIsFree } from './ports';
import { LOCAL, LOG_FILE, ROOT, STATE_FILE, TMP, VENV } from './paths';
import { commandLine, isAlive, killAll, waitGone } from './processes';
import { ensureVenv } from './venv';
export { isAlive };

export const MINISTACK_VERSION = '1.5.33';
/** Caps the emulator's node worker processes: without it a burst spawns one per request and exhausts memory. */
export const LAMBDA_ACCOUNT_CONCURRENCY = 24;

export interface Emulator {
  endpoint: string;
  port: number | undefined;
  /** 'ministack' when this checkout runs it; 'external' for a user-given AWS_ENDPOINT_URL. */
  kind: 'ministack' | 'external';
  /** True when this call started it (so the caller may stop it). */
  started: boolean;
  pid?: number;
}

interface State {
  pid: number;
  port: number;
  version: string;
  startedAt: string;
  bootstrapped?: boolean;
  /** Who started it: a test run stops what it started; `npm run local` leaves its emulator up for the user. */
  owner?: 'tests' | 'local';
}

const venvPython = join(VENV, 'bin', 'python');

export function readState(): State | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as State;
  } catch {
    return undefined;
  }
}

export function writeState(state: State): void {
  mkdirSync(LOCAL, { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}


/** A state file counts only if its process is alive, is MiniStack from our venv, and answers health on its port. */
export async function ownedEmulator(state: State | null | undefined = readState()): Promise<State | undefined> {
  if (!state || !isOurEmulatorProcess(state.pid)) return undefined;
  return (await healthy(state.port)) ? state : undefined;
}

/** The PID is alive and runs MiniStack from this checkout's venv (not a recycled PID, not another checkout's). */
export function isOurEmulatorProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd.includes('ministack') && cmd.includes(VENV);
}

export async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/_localstack/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** LOCAL_EMULATOR_PORT if given (it must be free), else the first free port from 4566 upward. */
export const choosePort = (env = process.env, isFree = portIsFree) => choosePortFrom(4566, 'LOCAL_EMULATOR_PORT', env, isFree);

/** Creates .local/venv and installs the pinned MiniStack, unless its stamp says it is there already. */
export const ensureInstalled = (): 'installed' | 'present' => ensureVenv(VENV, [`ministack==${MINISTACK_VERSION}`]);

/**
 * Lambda code is unpacked under TMPDIR (.local/tmp). Node decides CommonJS vs ESM from the nearest package.json,
 * which would otherwise be this project's ("type": "module") and make the CJS bundles fail to load. A package.json
 * in TMPDIR restores what AWS has: no package.json above /var/task.
 */
function prepareTmpdir(): void {
  mkdirSync(TMP, { recursive: true });
  writeFileSync(join(TMP, 'package.json'), '{ "type": "commonjs" }\n');
}

export function logTail(lines = 30): string {
  try {
    return readFileSync(LOG_FILE, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function waitHealthy(port: number, deadlineMs: number, pid?: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (await healthy(port)) return;
    if (pid && !isAlive(pid)) throw new Error(`the emulator exited during start-up; last log lines:\n${logTail()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`the emulator did not answer /_localstack/health on port ${port} within ${deadlineMs / 1000} s; last log lines:\n${logTail()}`);
}

/** Start MiniStack, or reuse the one this checkout started, or use the user's AWS_ENDPOINT_URL. */
export async function startOrReuse(env = process.env, owner: 'tests' | 'local' = 'local'): Promise<Emulator> {
  if (env.AWS_ENDPOINT_URL) return { endpoint: env.AWS_ENDPOINT_URL, port: Number(new URL(env.AWS_ENDPOINT_URL).port) || undefined, kind: 'external', started: false };
  const owned = await ownedEmulator();
  if (owned) return { endpoint: `http://127.0.0.1:${owned.port}`, port: owned.port, kind: 'ministack', started: false, pid: owned.pid };
  // Ours but not answering (hung, or stopped with SIGSTOP): stop it first, or starting another would overwrite the
  // PID file and leave this one running where no `npm run local:stop` can find it (seen in a test: it kept its port).
  const stale = readState();
  if (stale && isOurEmulatorProcess(stale.pid)) await stop();

  ensureInstalled();
  prepareTmpdir();
  const port = await choosePort(env);
  const log = openSync(LOG_FILE, 'w');
  const child = spawn(venvPython, ['-m', 'ministack'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      BIND_HOST: '127.0.0.1',
      // The host MiniStack writes into the URLs it hands out (QueueUrl, stack outputs): 127.0.0.1, not its default
      // `localhost`, so nothing that follows a returned URL goes anywhere else (and never to ::1, where it does not listen).
      MINISTACK_HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      IOT_MTLS_ENABLED: '0', // its MQTT listener would otherwise bind 0.0.0.0:8883
      TMPDIR: TMP,
      LAMBDA_ACCOUNT_CONCURRENCY: String(LAMBDA_ACCOUNT_CONCURRENCY),
      NODE_PATH: join(ROOT, 'node_modules'),
    },
  });
  child.unref();
  const pid = child.pid!;
  writeState({ pid, port, version: MINISTACK_VERSION, startedAt: new Date().toISOString(), owner });
  try {
    await waitHealthy(port, 30_000, pid);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, kind: 'ministack', started: true, pid };
}

/** PIDs of processes whose command line mentions this checkout's TMPDIR: the emulator's Lambda workers. */
export function orphanWorkers(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (commandLine(pid).includes(join(TMP, 'ministack-lambda-'))) pids.push(pid);
  }
  return pids;
}

/** Stops the emulator this checkout started (if any) and every worker it left; removes its temp files. */
export async function stop(): Promise<{ stopped: boolean; killed: boolean; orphans: number }> {
  const state = readState();
  let stopped = false;
  let killed = false;
  if (state && isOurEmulatorProcess(state.pid)) {
    process.kill(state.pid, 'SIGTERM');
    if (!(await waitGone(state.pid, 8_000))) {
      process.kill(state.pid, 'SIGKILL');
      killed = true;
      await waitGone(state.pid, 3_000);
    }
    stopped = true;
  }
  const orphans = orphanWorkers();
  killAll(orphans);
  rmSync(STATE_FILE, { force: true });
  if (existsSync(TMP)) for (const d of readdirSync(TMP)) if (d.startsWith('ministack-')) rmSync(join(TMP, d), { recursive: true, force: true });
  return { stopped, killed, orphans: orphans.length };
}
