/**
 * LocalStack Community 4.14.0 without Docker ("host mode"): pinned `localstack-core` in a project venv of its own
 * (Python 3.13), bound to 127.0.0.1 on a free port, all its state under .local/localstack/. One configuration of the
 * Python-emulator harness (scripts/local/python-emulator.ts), which owns the venv, the PID file, the health wait and
 * the stop.
 *
 * What host mode can run: SQS, SNS, S3, IAM, STS, SSM, ECR, KMS, CloudFormation. Not Lambda (Docker only), not
 * HTTP APIs (not in Community). So it checks the messaging layer only (see docs/emulators.md).
 *
 * Process rules: only a PID recorded in our PID file, alive, and running `localstack.runtime.main` from our venv is
 * ever signalled (with its process group, which we created); SIGTERM hangs in host mode, so stop() waits briefly and
 * then uses SIGKILL. Temp files (state, TMPDIR, PID file, outputs) are removed on stop.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LOCAL } from '../local/paths';
import { isAlive, processesMentioning } from '../local/processes';
import { endpointOf, pythonEmulator, type EmulatorState } from '../local/python-emulator';

export const LOCALSTACK_VERSION = '4.14.0';
const SERVICES = 'sqs,sns,s3,iam,sts,ssm,ecr,kms,cloudformation';
/** What health must report available: SERVICES minus ecr, which 4.14.0's health endpoint does not list at all. */
const HEALTH_REQUIRED = ['sqs', 'sns', 's3', 'iam', 'sts', 'ssm', 'kms', 'cloudformation'] as const;

const VENV = join(LOCAL, 'localstack-venv');
export const STATE_DIR = join(LOCAL, 'localstack');
/** LocalStack's FILESYSTEM_ROOT and TMPDIR: removed on stop. */
const DATA_DIR = join(STATE_DIR, 'data');
const TMP_DIR = join(STATE_DIR, 'tmp');
export const OUTPUTS_FILE = join(STATE_DIR, 'outputs.json');

/** `3.13` from an interpreter, or undefined when it does not run (a pyenv shim of an unselected version exits 127). */
function pythonMinor(exe: string): string | undefined {
  const r = spawnSync(exe, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The Python 3.13 to build the venv with: LOCALSTACK_PYTHON, else `python3.13` on PATH, else pyenv's 3.13.x.
 * (4.14.0 fails on 3.11; 3.13 is what was measured.) Throws naming what is missing.
 */
function findPython313(env = process.env, pyenvRoot = join(homedir(), '.pyenv')): string {
  if (env.LOCALSTACK_PYTHON) {
    const minor = pythonMinor(env.LOCALSTACK_PYTHON);
    if (minor !== '3.13') {
      throw new Error(
        `LOCALSTACK_PYTHON=${env.LOCALSTACK_PYTHON} ${minor ? `is Python ${minor}` : 'does not run'}: LocalStack ${LOCALSTACK_VERSION} host mode needs Python 3.13`,
      );
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

const localstack = pythonEmulator({
  name: 'LocalStack',
  version: LOCALSTACK_VERSION,
  venv: VENV,
  /** The pins that made 4.14.0 install and start on Python 3.13 here (newer majors of these break it). */
  packages: [`localstack-core[runtime]==${LOCALSTACK_VERSION}`, 'cbor2<6', 'pyopenssl<25', 'cryptography<45', 'service_identity<25'],
  python: findPython313,
  module: 'localstack.runtime.main',
  stateFile: join(STATE_DIR, 'localstack.pid.json'),
  logFile: join(STATE_DIR, 'localstack.log'),
  cwd: STATE_DIR,
  firstPort: 4610,
  portEnvVar: 'LOCALSTACK_PORT',
  environment: (port) => ({
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
  }),
  prepare() {
    mkdirSync(DATA_DIR, { recursive: true });
    mkdirSync(TMP_DIR, { recursive: true });
  },
  /** Every required service reports available or running. */
  ready: (body) => HEALTH_REQUIRED.every((s) => ['available', 'running'].includes((body as { services?: Record<string, string> }).services?.[s] ?? '')),
  healthTimeoutMs: 1500,
  startDeadlineMs: 60_000,
  pollMs: 200,
  stopGraceMs: 3_000, // host mode usually hangs on SIGTERM (measured): a short chance, then SIGKILL
  signalGroup: true,
  /** Processes whose command line names our venv or state folder (helpers that left the process group). */
  leftovers: () => processesMentioning([VENV + '/', STATE_DIR + '/']),
  cleanup() {
    for (const path of [DATA_DIR, TMP_DIR, OUTPUTS_FILE]) rmSync(path, { recursive: true, force: true });
  },
});

export type Running = EmulatorState & { endpoint: string };

/** Creates .local/localstack-venv and installs the pinned packages, unless the stamp says exactly these are there. */
export const ensureInstalled = () => localstack.ensureInstalled();
export const stop = localstack.stop;

/**
 * Starts LocalStack host mode on 127.0.0.1. A leftover of ours whose starter died (a crashed run) is stopped first;
 * one whose starter is still running is left alone and we refuse to start.
 */
export async function start(env = process.env): Promise<Running> {
  const previous = localstack.readState();
  if (previous && localstack.isOurs(previous.pid) && previous.ownerPid !== process.pid && isAlive(previous.ownerPid)) {
    throw new Error(
      `LocalStack PID ${previous.pid} on port ${previous.port} belongs to a run still in progress (PID ${previous.ownerPid}); wait for it to finish`,
    );
  }
  await localstack.stop();
  const state = await localstack.launch(env);
  return { ...state, endpoint: endpointOf(state) };
}
