/**
 * LocalStack Community 4.14.0 without Docker ("host mode"): pinned `localstack-core` in a project venv of its own
 * (Python 3.13), bound to 127.0.0.1 on a free port, all its state under .local/localstack/.
 *
 * What host mode can run: SQS, SNS, S3, IAM, STS, SSM, ECR, KMS, CloudFormation. Not Lambda (Docker only), not
 * HTTP APIs (not in Community). So it checks the messaging layer only (see docs/emulators.md).
 *
 * Process rules: only a PID recorded in our PID file, alive, and running `localstack.runtime.main` from our venv is
 * ever signalled (with its process group, which we created); SIGTERM hangs in host mode, so stop() waits briefly and
 * then uses SIGKILL. Temp files (state, TMPDIR, PID file, outputs) are removed on stop.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';
import { choosePortFrom, portIsFree } from '../local/ports';
import { commandLine, isAlive, killAll, waitGone } from '../local/processes';
export { isAlive };

export const LOCALSTACK_VERSION = '4.14.0';
/** The pins that made 4.14.0 install and start on Python 3.13 here (newer majors of these break it). */
export const PIP_REQUIREMENTS = [
  `localstack-core[runtime]==${LOCALSTACK_VERSION}`,
  'cbor2<6',
  'pyopenssl<25',
  'cryptography<45',
  'service_identity<25',
] as const;
export const SERVICES = 'sqs,sns,s3,iam,sts,ssm,ecr,kms,cloudformation';
/** What health must report available: SERVICES minus ecr, which 4.14.0's health endpoint does not list at all. */
export const HEALTH_REQUIRED = ['sqs', 'sns', 's3', 'iam', 'sts', 'ssm', 'kms', 'cloudformation'] as const;
export const FIRST_PORT = 4610;

export const LOCAL = join(PROJECT_ROOT, '.local');
export const VENV = join(LOCAL, 'localstack-venv');
export const STATE_DIR = join(LOCAL, 'localstack');
/** LocalStack's FILESYSTEM_ROOT and TMPDIR: removed on stop. */
export const DATA_DIR = join(STATE_DIR, 'data');
export const TMP_DIR = join(STATE_DIR, 'tmp');
export const PID_FILE = join(STATE_DIR, 'localstack.pid.json');
export const LOG_FILE = join(STATE_DIR, 'localstack.log');
export const OUTPUTS_FILE = join(STATE_DIR, 'outputs.json');

const venvPython = join(VENV, 'bin', 'python');
const stampFile = join(VENV, '.order-pipeline-stamp');
const stampContent = PIP_REQUIREMENTS.join('\n') + '\n';

export interface Running {
  pid: number;
  port: number;
  endpoint: string;
  /** The process that started it (a run of scripts/localstack/run.ts): while it lives, nobody else stops it. */
  ownerPid: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `3.13` from an interpreter, or undefined when it does not run (a pyenv shim of an unselected version exits 127). */
function pythonMinor(exe: string): string | undefined {
  const r = spawnSync(exe, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The Python 3.13 to build the venv with: LOCALSTACK_PYTHON, else `python3.13` on PATH, else pyenv's 3.13.x.
 * (4.14.0 fails on 3.11; 3.13 is what was measured.) Throws naming what is missing.
 */
export function findPython313(env = process.env, pyenvRoot = join(homedir(), '.pyenv')): string {
  if (env.LOCALSTACK_PYTHON) {
    const minor = pythonMinor(env.LOCALSTACK_PYTHON);
    if (minor !== '3.13') {
      throw new Error(`LOCALSTACK_PYTHON=${env.LOCALSTACK_PYTHON} ${minor ? `is Python ${minor}` : 'does not run'}: LocalStack ${LOCALSTACK_VERSION} host mode needs Python 3.13`);
    }
    return env.LOCALSTACK_PYTHON;
  }
  const tried: string[] = ['python3.13 on PATH'];
  if (pythonMinor('python3.13') === '3.13') return 'python3.13';
  const versions = join(pyenvRoot, 'versions');
  tried.push(`${versions}/3.13*/bin/python3`);
  if (existsSync(versions)) {
    const candidates = readdirSync(versions)
      .filter((v) => /^3\.13(\.|$)/.test(v))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    for (const v of candidates) {
      const exe = join(versions, v, 'bin', 'python3');
      if (existsSync(exe) && pythonMinor(exe) === '3.13') return exe;
    }
  }
  throw new Error(
    `Python 3.13 was not found (tried ${tried.join(', ')}). LocalStack ${LOCALSTACK_VERSION} without Docker needs it: ` +
      'install Python 3.13 (e.g. `pyenv install 3.13`) or set LOCALSTACK_PYTHON to a python3.13 executable.',
  );
}

/** Creates .local/localstack-venv and installs the pinned packages, unless the stamp says exactly these are there. */
export function ensureInstalled(env = process.env): 'installed' | 'present' {
  if (existsSync(venvPython) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stampContent) return 'present';
  const python = findPython313(env);
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(LOCAL, { recursive: true });
  const venv = spawnSync(python, ['-m', 'venv', VENV], { encoding: 'utf8' });
  if (venv.status !== 0) throw new Error(`${python} -m venv ${VENV} failed (is the venv module there?):\n${venv.stderr}`);
  const pip = spawnSync(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...PIP_REQUIREMENTS], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (pip.status !== 0) throw new Error(`pip install ${PIP_REQUIREMENTS.join(' ')} failed:\n${(pip.stderr ?? '').slice(-3000)}`);
  writeFileSync(stampFile, stampContent);
  return 'installed';
}

/** LOCALSTACK_PORT if given (it must be free), else the first free port from 4610 upward. */
export const choosePort = (env = process.env, isFree = portIsFree) => choosePortFrom(FIRST_PORT, 'LOCALSTACK_PORT', env, isFree);


/** Alive and running LocalStack from this checkout's venv: never a recycled PID or somebody else's LocalStack. */
export function isOurLocalStack(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd.includes('localstack.runtime.main') && cmd.includes(VENV);
}

export function readPidFile(): Running | undefined {
  try {
    return JSON.parse(readFileSync(PID_FILE, 'utf8')) as Running;
  } catch {
    return undefined;
  }
}

export function logTail(lines = 40): string {
  try {
    return readFileSync(LOG_FILE, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Health answers and reports every required service as available or running. */
export async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/_localstack/health`, { signal: AbortSignal.timeout(1500) });
    if (!res.ok) return false;
    const body = (await res.json()) as { services?: Record<string, string> };
    return HEALTH_REQUIRED.every((s) => ['available', 'running'].includes(body.services?.[s] ?? ''));
  } catch {
    return false;
  }
}

export async function waitHealthy(port: number, pid: number, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (await healthy(port)) return;
    if (!isAlive(pid)) throw new Error(`LocalStack exited during start-up; last lines of ${LOG_FILE}:\n${logTail()}`);
    await pause(200);
  }
  throw new Error(`LocalStack did not report ${HEALTH_REQUIRED.join(',')} available on 127.0.0.1:${port} within ${deadlineMs / 1000} s; last lines of ${LOG_FILE}:\n${logTail()}`);
}

/**
 * Starts LocalStack host mode on 127.0.0.1. A leftover of ours whose starter died (a crashed run) is stopped first;
 * one whose starter is still running is left alone and we refuse to start.
 */
export async function start(env = process.env): Promise<Running> {
  const previous = readPidFile();
  if (previous && isOurLocalStack(previous.pid) && previous.ownerPid !== process.pid && isAlive(previous.ownerPid)) {
    throw new Error(`LocalStack PID ${previous.pid} on port ${previous.port} belongs to a run still in progress (PID ${previous.ownerPid}); wait for it to finish`);
  }
  await stop();
  const port = await choosePort(env);
  mkdirSync(DATA_DIR, { recursive: true });
  mkdirSync(TMP_DIR, { recursive: true });
  const log = openSync(LOG_FILE, 'w');
  const child = spawn(venvPython, ['-m', 'localstack.runtime.main'], {
    cwd: STATE_DIR,
    detached: true, // its own process group, so stop() can end any helper it spawns and nothing else
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? homedir(),
      OVERRIDE_IN_DOCKER: '0',
      GATEWAY_SERVER: 'hypercorn',
      GATEWAY_LISTEN: `127.0.0.1:${port}`,
      FILESYSTEM_ROOT: DATA_DIR,
      TMPDIR: TMP_DIR,
      SKIP_SSL_CERT_DOWNLOAD: '1',
      DNS_ADDRESS: '0',
      DISABLE_EVENTS: '1',
      SERVICES,
    },
  });
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`could not spawn ${venvPython}`);
  const running: Running = { pid, port, endpoint: `http://127.0.0.1:${port}`, ownerPid: process.pid };
  writeFileSync(PID_FILE, JSON.stringify(running, null, 2));
  try {
    await waitHealthy(port, pid);
  } catch (err) {
    await stop({ onlyIfStartedBy: process.pid });
    throw err;
  }
  return running;
}

/** Processes whose command line names our venv or state folder (helpers that left the process group). */
function strays(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmd = commandLine(pid);
    if (cmd.includes(VENV + '/') || cmd.includes(STATE_DIR + '/')) pids.push(pid);
  }
  return pids;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the group we created with detached: true
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Stops the LocalStack this checkout started (SIGTERM, then SIGKILL after 3 s) and removes its temp files.
 * `onlyIfStartedBy`: do nothing when the PID file names another starter (a run must not stop a later run's LocalStack).
 */
export async function stop({ onlyIfStartedBy }: { onlyIfStartedBy?: number } = {}): Promise<{ stopped: boolean; killed: boolean; strays: number }> {
  const running = readPidFile();
  if (onlyIfStartedBy !== undefined && running && running.ownerPid !== onlyIfStartedBy) return { stopped: false, killed: false, strays: 0 };
  let stopped = false;
  let killed = false;
  if (running && isOurLocalStack(running.pid)) {
    signalGroup(running.pid, 'SIGTERM');
    // Host mode usually hangs on SIGTERM (measured); give it a short chance, then SIGKILL.
    if (!(await waitGone(running.pid, 3_000))) {
      signalGroup(running.pid, 'SIGKILL');
      killed = true;
      if (!(await waitGone(running.pid, 5_000))) throw new Error(`LocalStack PID ${running.pid} survived SIGKILL`);
    }
    stopped = true;
  }
  const left = strays();
  killAll(left);
  for (const path of [DATA_DIR, TMP_DIR, PID_FILE, OUTPUTS_FILE]) rmSync(path, { recursive: true, force: true });
  return { stopped, killed, strays: left.length };
}
