/**
 * The Python-emulator harness (scripts/local/python-emulator.ts) with a stand-in emulator: a node script placed as
 * `<venv>/bin/python`, so the harness's own start, health wait, state file, stop with SIGKILL fallback and leftover
 * sweep run for real, in a temp folder, without Python or MiniStack.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive, processesMentioning, waitGone } from '../../scripts/local/processes';
import { pythonEmulator, type PythonEmulatorConfig } from '../../scripts/local/python-emulator';
import { venvBin, venvStamp } from '../../scripts/local/venv';
import { pollUntil } from '../support/poll';

/**
 * The stand-in: answers /_localstack/health on FAKE_PORT (after FAKE_DELAY_MS) unless FAKE_EXIT is set; with
 * FAKE_IGNORE_TERM it ignores SIGTERM (as LocalStack host mode does); it starts one helper that outlives it.
 */
const FAKE = `
const http = require('node:http');
const { spawn } = require('node:child_process');
if (process.env.FAKE_EXIT) { console.error('fake: refusing to start'); process.exit(3); }
if (process.env.FAKE_IGNORE_TERM) process.on('SIGTERM', () => console.log('fake: ignoring SIGTERM'));
spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', process.env.FAKE_HELPER_MARK], { detached: true, stdio: 'ignore' }).unref();
setTimeout(() => http.createServer((req, res) => { res.statusCode = req.url === '/_localstack/health' ? 200 : 404; res.end('{"services":{"sqs":"available"}}'); })
  .listen(Number(process.env.FAKE_PORT), '127.0.0.1'), Number(process.env.FAKE_DELAY_MS ?? 0));
`;

let dir: string;
let venv: string;
let cleaned = 0;
let env: Record<string, string>;

function harness(overrides: Partial<PythonEmulatorConfig> = {}) {
  return pythonEmulator({
    name: 'Fake',
    version: '1',
    venv,
    packages: ['fake==1'],
    module: 'fake_emulator',
    stateFile: join(dir, 'state', 'fake.json'),
    logFile: join(dir, 'fake.log'),
    cwd: dir,
    firstPort: 0,
    portEnvVar: 'FAKE_PORT',
    environment: (port) => ({ PATH: process.env.PATH ?? '', FAKE_PORT: String(port), FAKE_HELPER_MARK: join(dir, 'helper-mark'), ...env }),
    ready: (body) => (body as { services?: Record<string, string> }).services?.sqs === 'available',
    healthTimeoutMs: 500,
    startDeadlineMs: 10_000,
    pollMs: 50,
    stopGraceMs: 500,
    signalGroup: true,
    leftovers: () => processesMentioning([join(dir, 'helper-mark')]),
    cleanup: () => void cleaned++,
    ...overrides,
  });
}

async function freePort(): Promise<string> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(String(port)));
    });
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'python-emulator-'));
  venv = join(dir, 'venv');
  mkdirSync(join(venv, 'bin'), { recursive: true });
  writeFileSync(join(venv, 'fake.js'), FAKE);
  // `python -m fake_emulator` becomes `node <venv>/fake.js -m fake_emulator`: its command line names the venv and module.
  writeFileSync(venvBin(venv, 'python'), `#!/bin/sh\nexec "${process.execPath}" "${join(venv, 'fake.js')}" "$@"\n`);
  chmodSync(venvBin(venv, 'python'), 0o755);
  writeFileSync(venvStamp(venv, ['fake==1']), 'present');
  cleaned = 0;
  env = {};
});

afterEach(async () => {
  await harness().stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pythonEmulator', () => {
  it('starts, records its state, is ours and healthy; stop ends it, its leftovers, its state and its temp files', async () => {
    const h = harness();
    const state = await h.launch({ FAKE_PORT: await freePort() }, 'tests');
    expect(state).toMatchObject({ ownerPid: process.pid, owner: 'tests', version: '1' });
    expect(JSON.parse(readFileSync(join(dir, 'state', 'fake.json'), 'utf8'))).toEqual(state);
    expect(await h.owned()).toEqual(state);
    expect(h.isOurs(process.pid)).toBe(false); // alive, but not the module from this venv

    // /proc/<pid>/cmdline is filled in once the helper has exec'd node.
    const [helper] = await pollUntil(
      async () => processesMentioning([join(dir, 'helper-mark')]),
      (pids) => pids.length === 1,
      { timeoutMs: 5_000, intervalMs: 20, what: 'the helper' },
    );
    const result = await h.stop();
    expect(result).toEqual({ stopped: true, killed: false, leftovers: 1 });
    expect(isAlive(state.pid)).toBe(false);
    expect(await waitGone(helper!, 5_000), 'the helper it left was SIGKILLed').toBe(true);
    expect(existsSync(join(dir, 'state', 'fake.json'))).toBe(false);
    expect(cleaned).toBe(1);
  });

  it('waits for health past a slow start', async () => {
    env = { FAKE_DELAY_MS: '600' };
    const state = await harness().launch({ FAKE_PORT: await freePort() });
    expect(await harness().healthy(state.port)).toBe(true);
  });

  it('falls back to SIGKILL when SIGTERM is ignored', async () => {
    env = { FAKE_IGNORE_TERM: '1' };
    const state = await harness().launch({ FAKE_PORT: await freePort() });
    expect(await harness().stop()).toMatchObject({ stopped: true, killed: true });
    expect(isAlive(state.pid)).toBe(false);
  });

  it('fails a start whose process exits, with the last log lines, and leaves no state behind', async () => {
    env = { FAKE_EXIT: '1' };
    await expect(harness().launch({ FAKE_PORT: await freePort() })).rejects.toThrow(/Fake exited during start-up[\s\S]*fake: refusing to start/);
    expect(existsSync(join(dir, 'state', 'fake.json'))).toBe(false);
  });

  it('leaves an emulator started by another run alone when asked to stop only its own', async () => {
    const state = await harness().launch({ FAKE_PORT: await freePort() });
    expect(await harness().stop({ onlyIfStartedBy: process.pid + 1 })).toEqual({ stopped: false, killed: false, leftovers: 0 });
    expect(isAlive(state.pid)).toBe(true);
  });

  it('asks for an interpreter only when the venv has to be built', () => {
    let asked = 0;
    expect(harness({ python: () => (asked++, 'python3') }).ensureInstalled()).toBe('present');
    expect(asked).toBe(0);
  });
});
