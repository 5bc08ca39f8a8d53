/**
 * One harness for the Python emulators this project runs on the host: MiniStack (scripts/local/emulator.ts) and
 * LocalStack host mode (scripts/localstack/emulator.ts) are each a `PythonEmulatorConfig` handed to
 * `pythonEmulator()`. The harness owns what the two share:
 * - a venv of its own per emulator with exact pins, installed once (scripts/local/venv.ts);
 * - a state file naming the PID, port and starter of the emulator this checkout started;
 * - "ours" = the PID is alive AND its command line runs the emulator's module from this checkout's venv: a recycled
 *   PID, another checkout's emulator or whatever else listens on the port is never adopted nor signalled;
 * - a health wait with a deadline that fails early when the process dies, with the log's last lines;
 * - stop: SIGTERM, then SIGKILL after a grace period, then the leftovers it names (only ours, by command line),
 *   then its temp files.
 * What differs (module, pins, interpreter, environment, health rule, grace period, leftovers) is in the configs.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { choosePortFrom, portIsFree } from './ports';
import { commandLine, isAlive, killAll, waitGone } from './processes';
import { ensureVenv, venvBin } from './venv';

export interface PythonEmulatorConfig {
  /** For messages: `MiniStack`, `LocalStack`. */
  readonly name: string;
  readonly version: string;
  readonly venv: string;
  /** pip requirements, exact pins (or the bounds an upstream release needs). */
  readonly packages: readonly string[];
  /** The interpreter that builds the venv; asked only when it has to be (re)built. Default `python3`. */
  readonly python?: (env: NodeJS.ProcessEnv) => string;
  /** Run as `python -m <module>`; a live process counts as ours only if its command line names it and our venv. */
  readonly module: string;
  readonly stateFile: string;
  readonly logFile: string;
  readonly cwd: string;
  /** First port tried (then 49 more upward), and the variable that names one instead. */
  readonly firstPort: number;
  readonly portEnvVar: string;
  /** The emulator's whole environment for a start on `port`. */
  environment(port: number): NodeJS.ProcessEnv;
  /** Anything to lay out before a start (folders, files the emulator reads). */
  prepare?(): void;
  /** `/_localstack/health`'s JSON body says it is ready (default: any 2xx answer). */
  ready?(body: unknown): boolean;
  readonly healthTimeoutMs: number;
  readonly startDeadlineMs: number;
  readonly pollMs: number;
  /** How long SIGTERM gets before SIGKILL. */
  readonly stopGraceMs: number;
  /** Signal the process group it leads (spawned detached) rather than the process alone. */
  readonly signalGroup: boolean;
  /** PIDs of processes it leaves behind (workers, helpers), found by this checkout's paths in their command lines. */
  leftovers(): number[];
  /** Removes its temp files after a stop (the state file is removed by the harness). */
  cleanup(): void;
}

/** What the state file records about the emulator this checkout started. */
export interface EmulatorState {
  pid: number;
  port: number;
  version: string;
  startedAt: string;
  /** The process that started it. */
  ownerPid: number;
  /** MiniStack: a test run stops what it started; `npm run local` leaves its emulator up for the user. */
  owner?: 'tests' | 'local';
}

export interface StopResult {
  stopped: boolean;
  /** SIGTERM was not enough. */
  killed: boolean;
  /** Leftover processes ended. */
  leftovers: number;
}

export const endpointOf = (state: { port: number }) => `http://127.0.0.1:${state.port}`;

export function pythonEmulator(config: PythonEmulatorConfig) {
  const python = venvBin(config.venv, 'python');

  function readState(): EmulatorState | undefined {
    try {
      return JSON.parse(readFileSync(config.stateFile, 'utf8')) as EmulatorState;
    } catch {
      return undefined;
    }
  }

  /** The PID is alive and runs this emulator from this checkout's venv (not a recycled PID, not another checkout's). */
  function isOurs(pid: number): boolean {
    if (!isAlive(pid)) return false;
    const cmd = commandLine(pid);
    return cmd.includes(config.module) && cmd.includes(config.venv);
  }

  async function healthy(port: number): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/_localstack/health`, { signal: AbortSignal.timeout(config.healthTimeoutMs) });
      if (!res.ok) return false;
      return config.ready ? config.ready(await res.json()) : true;
    } catch {
      return false;
    }
  }

  /** A state file counts only if its process is ours (see isOurs) and answers health on its port. */
  async function owned(state: EmulatorState | null | undefined = readState()): Promise<EmulatorState | undefined> {
    if (!state || !isOurs(state.pid)) return undefined;
    return (await healthy(state.port)) ? state : undefined;
  }

  function logTail(lines = 40): string {
    try {
      return readFileSync(config.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async function waitHealthy(port: number, pid: number): Promise<void> {
    const until = Date.now() + config.startDeadlineMs;
    while (Date.now() < until) {
      if (await healthy(port)) return;
      if (!isAlive(pid)) throw new Error(`${config.name} exited during start-up; last lines of ${config.logFile}:\n${logTail()}`);
      await new Promise((r) => setTimeout(r, config.pollMs));
    }
    throw new Error(
      `${config.name} was not ready on 127.0.0.1:${port} (/_localstack/health) within ${config.startDeadlineMs / 1000} s; last lines of ${config.logFile}:\n${logTail()}`,
    );
  }

  /** Creates the venv and installs the pins, unless its stamp says exactly these are there. */
  const ensureInstalled = (env = process.env): 'installed' | 'present' => ensureVenv(config.venv, config.packages, () => config.python?.(env) ?? 'python3');

  /** The port named by `portEnvVar` if given (it must be free), else the first free one from `firstPort` upward. */
  const choosePort = (env: NodeJS.ProcessEnv = process.env, isFree = portIsFree) => choosePortFrom(config.firstPort, config.portEnvVar, env, isFree);

  /** Installs if needed, starts on a free port, records it, waits for health; stops it again if that fails. */
  async function launch(env: NodeJS.ProcessEnv = process.env, owner?: EmulatorState['owner']): Promise<EmulatorState> {
    ensureInstalled(env);
    config.prepare?.();
    const port = await choosePort(env);
    mkdirSync(dirname(config.logFile), { recursive: true });
    const log = openSync(config.logFile, 'w');
    const child = spawn(python, ['-m', config.module], {
      cwd: config.cwd,
      detached: true, // its own process group: nothing of ours is signalled with it, and stop() can end the group
      stdio: ['ignore', log, log],
      env: config.environment(port),
    });
    child.unref();
    const pid = child.pid;
    if (!pid) throw new Error(`could not spawn ${python}`);
    const state: EmulatorState = {
      pid,
      port,
      version: config.version,
      startedAt: new Date().toISOString(),
      ownerPid: process.pid,
      ...(owner ? { owner } : {}),
    };
    mkdirSync(dirname(config.stateFile), { recursive: true });
    writeFileSync(config.stateFile, JSON.stringify(state, null, 2));
    try {
      await waitHealthy(port, pid);
    } catch (err) {
      await stop({ onlyIfStartedBy: process.pid });
      throw err;
    }
    return state;
  }

  function signal(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(config.signalGroup ? -pid : pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /**
   * Stops the emulator this checkout started (if any): SIGTERM, SIGKILL after the grace period; then ends its
   * leftovers and removes its temp files and state file. `onlyIfStartedBy`: do nothing when the state file names
   * another starter (a run must not stop a later run's emulator).
   */
  async function stop({ onlyIfStartedBy }: { onlyIfStartedBy?: number } = {}): Promise<StopResult> {
    const state = readState();
    if (onlyIfStartedBy !== undefined && state && state.ownerPid !== onlyIfStartedBy) return { stopped: false, killed: false, leftovers: 0 };
    let stopped = false;
    let killed = false;
    if (state && isOurs(state.pid)) {
      signal(state.pid, 'SIGTERM');
      if (!(await waitGone(state.pid, config.stopGraceMs))) {
        signal(state.pid, 'SIGKILL');
        killed = true;
        if (!(await waitGone(state.pid, 5_000))) throw new Error(`${config.name} PID ${state.pid} survived SIGKILL`);
      }
      stopped = true;
    }
    const left = config.leftovers();
    killAll(left);
    rmSync(config.stateFile, { force: true });
    config.cleanup();
    return { stopped, killed, leftovers: left.length };
  }

  return { config, readState, isOurs, healthy, owned, logTail, ensureInstalled, choosePort, launch, stop };
}
