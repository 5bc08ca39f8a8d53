/**
 * The emulator harness's rules that can be checked without starting MiniStack: which port it picks, which running
 * process it is willing to reuse (only its own), and which leftover workers `stop()` may end (only its own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accountConcurrency, choosePort, orphanWorkers, ownedEmulator } from '../../scripts/local/emulator';
import { isAlive } from '../../scripts/local/processes';
import { TMP } from '../../scripts/local/paths';

const busy =
  (...ports: number[]) =>
  async (port: number) =>
    !ports.includes(port);

describe('accountConcurrency (the Lambda cap the emulator is started with)', () => {
  it('is 24 unless LAMBDA_ACCOUNT_CONCURRENCY sets it', () => {
    expect([undefined, '', '32', '1', '256'].map(accountConcurrency)).toEqual([24, 24, 32, 1, 256]);
  });
  it('refuses a value that is not a whole number from 1 to 256', () => {
    for (const bad of ['0', '257', '2.5', 'many', '-4']) expect(() => accountConcurrency(bad)).toThrow(/whole number from 1 to 256/);
  });
});

describe('choosePort', () => {
  it('takes the first free port from 4566 upward', async () => {
    expect(await choosePort({}, busy())).toBe(4566);
    expect(await choosePort({}, busy(4566, 4567))).toBe(4568);
  });

  it('takes LOCAL_EMULATOR_PORT when it is free, and refuses it when it is not', async () => {
    expect(await choosePort({ LOCAL_EMULATOR_PORT: '4999' }, busy())).toBe(4999);
    await expect(choosePort({ LOCAL_EMULATOR_PORT: '4999' }, busy(4999))).rejects.toThrow(/in use/);
  });

  it('rejects a LOCAL_EMULATOR_PORT that is not a port', async () => {
    for (const bad of ['abc', '0', '70000', '45.5']) await expect(choosePort({ LOCAL_EMULATOR_PORT: bad }, busy())).rejects.toThrow(/not a port/);
  });

  it('fails clearly when no port in the range is free', async () => {
    await expect(choosePort({}, async () => false)).rejects.toThrow(/no free port/);
  });
});

describe('ownedEmulator: reuse only what this checkout started', () => {
  let server: Server | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.pid && isAlive(c.pid)) c.kill('SIGKILL');
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  /** Something that answers health like an emulator would, on a free loopback port. */
  async function healthServer(): Promise<number> {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/_localstack/health' ? 200 : 404;
      res.end('{"services":{}}');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return (server.address() as AddressInfo).port;
  }

  const state = (pid: number, port: number) => ({ pid, port, version: '1.5.33', startedAt: new Date().toISOString(), ownerPid: process.pid });

  it('has nothing to reuse without a state file', async () => {
    expect(await ownedEmulator(null)).toBeUndefined(); // null, not undefined: undefined would read the real state file
  });

  it('ignores a state file whose process is gone', async () => {
    const port = await healthServer();
    const child = spawn(process.execPath, ['-e', '']);
    children.push(child);
    await new Promise((r) => child.once('exit', r));
    expect(await ownedEmulator(state(child.pid!, port))).toBeUndefined();
  });

  it('never adopts a live process that answers health but is not MiniStack from this checkout', async () => {
    const port = await healthServer();
    // This test process is alive and "its" port answers health, yet it is not .local/venv's ministack.
    expect(await ownedEmulator(state(process.pid, port))).toBeUndefined();
  });
});

describe('orphanWorkers: only the workers of this checkout', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.pid && isAlive(c.pid)) c.kill('SIGKILL');
  });

  const fakeWorker = (dir: string) => {
    // A long-lived process whose command line names a worker script path, as MiniStack's node workers do.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', join(dir, 'ministack-lambda-Fn-abc', '_worker.js')], { stdio: 'ignore' });
    children.push(child);
    return child.pid!;
  };

  it("lists a worker under this checkout's .local/tmp and not one under another checkout's", async () => {
    const ours = fakeWorker(TMP);
    const theirs = fakeWorker('/tmp/another-checkout/.local/tmp');
    // /proc/<pid>/cmdline is filled in once the child has exec'd node.
    const deadline = Date.now() + 5000;
    while (!orphanWorkers().includes(ours) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const found = orphanWorkers();
    expect(found).toContain(ours);
    expect(found).not.toContain(theirs);
  });
});
