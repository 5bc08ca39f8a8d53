/**
 * The embedded local AWS emulator: MiniStack, pinned, installed into a project-local venv, bound to 127.0.0.1. One
 * configuration of the Python-emulator harness (scripts/local/python-emulator.ts), which owns the venv, the state
 * file, the health wait and the stop.
 *
 * Rules (see ../shared design notes): reuse only an emulator this checkout started (PID file + live process + health
 * on its port); never adopt whatever else listens on 4566; stop with SIGTERM, then SIGKILL, and end the Lambda
 * worker processes it leaves behind — only ours, found by this checkout's TMPDIR in their command line.
 * When the user gives AWS_ENDPOINT_URL, that endpoint is used and nothing is started.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE, ROOT, STATE_FILE, TMP, VENV } from './paths';
import { processesMentioning } from './processes';
import { endpointOf, pythonEmulator, type EmulatorState } from './python-emulator';

export const MINISTACK_VERSION = '1.5.33';
/**
 * Caps the emulator's node worker processes: without it a burst spawns one per request and exhausts memory. 24 unless
 * LAMBDA_ACCOUNT_CONCURRENCY is set (an experiment, such as the bench at another cap; a running emulator keeps the cap
 * it was started with).
 */
export const LAMBDA_ACCOUNT_CONCURRENCY = accountConcurrency(process.env.LAMBDA_ACCOUNT_CONCURRENCY);

/** The cap from the environment's value: a whole number from 1 to 256, else refused; unset is 24. */
export function accountConcurrency(value: string | undefined): number {
  if (value === undefined || value === '') return 24;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`LAMBDA_ACCOUNT_CONCURRENCY must be a whole number from 1 to 256 (got ${value})`);
  return n;
}

export interface Emulator {
  endpoint: string;
  port: number | undefined;
  /** 'ministack' when this checkout runs it; 'external' for a user-given AWS_ENDPOINT_URL. */
  kind: 'ministack' | 'external';
  /** True when this call started it (so the caller may stop it). */
  started: boolean;
  pid?: number;
}

/** PIDs of processes whose command line mentions this checkout's TMPDIR: the emulator's Lambda workers. */
export const orphanWorkers = () => processesMentioning([join(TMP, 'ministack-lambda-')]);

const ministack = pythonEmulator({
  name: 'MiniStack',
  version: MINISTACK_VERSION,
  venv: VENV,
  packages: [`ministack==${MINISTACK_VERSION}`],
  module: 'ministack',
  stateFile: STATE_FILE,
  logFile: LOG_FILE,
  cwd: ROOT,
  firstPort: 4566,
  portEnvVar: 'LOCAL_EMULATOR_PORT',
  environment: (port) => ({
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
  }),
  /**
   * Lambda code is unpacked under TMPDIR (.local/tmp). Node decides CommonJS vs ESM from the nearest package.json,
   * which would otherwise be this project's ("type": "module") and make the CJS bundles fail to load. A package.json
   * in TMPDIR restores what AWS has: no package.json above /var/task.
   */
  prepare() {
    mkdirSync(TMP, { recursive: true });
    writeFileSync(join(TMP, 'package.json'), '{ "type": "commonjs" }\n');
  },
  healthTimeoutMs: 1000,
  startDeadlineMs: 30_000,
  pollMs: 150,
  // SIGTERM stops it in ~2 s with its workers, unless a CloudFormation custom resource is running.
  stopGraceMs: 8_000,
  signalGroup: false, // MiniStack ends its own workers on SIGTERM; the leftovers are found by TMPDIR
  leftovers: orphanWorkers,
  cleanup() {
    if (existsSync(TMP)) for (const d of readdirSync(TMP)) if (d.startsWith('ministack-')) rmSync(join(TMP, d), { recursive: true, force: true });
  },
});

export const readState = ministack.readState;
/** Its state, when the state file names a live MiniStack from this checkout's venv that answers health. */
export const ownedEmulator = ministack.owned;
/** Creates .local/venv and installs the pinned MiniStack, unless its stamp says it is there already. */
export const ensureInstalled = () => ministack.ensureInstalled();
/** LOCAL_EMULATOR_PORT if given (it must be free), else the first free port from 4566 upward. */
export const choosePort = ministack.choosePort;
/** Stops the emulator this checkout started (if any) and every worker it left; removes its temp files. */
export const stop = () => ministack.stop();

const running = (state: EmulatorState, started: boolean): Emulator => ({
  endpoint: endpointOf(state),
  port: state.port,
  kind: 'ministack',
  started,
  pid: state.pid,
});

/** Start MiniStack, or reuse the one this checkout started, or use the user's AWS_ENDPOINT_URL. */
export async function startOrReuse(env = process.env, owner: 'tests' | 'local' = 'local'): Promise<Emulator> {
  if (env.AWS_ENDPOINT_URL)
    return { endpoint: env.AWS_ENDPOINT_URL, port: Number(new URL(env.AWS_ENDPOINT_URL).port) || undefined, kind: 'external', started: false };
  const owned = await ministack.owned();
  if (owned) return running(owned, false);
  // Ours but not answering (hung, or stopped with SIGSTOP): stop it first, or starting another would overwrite the
  // PID file and leave this one running where no `npm run local:stop` can find it (seen in a test: it kept its port).
  const stale = ministack.readState();
  if (stale && ministack.isOurs(stale.pid)) await ministack.stop();
  return running(await ministack.launch(env, owner), true);
}
