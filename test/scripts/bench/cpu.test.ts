import { describe, expect, it } from 'vitest';
import { cpuByFunction, cpuMeter, emulatorBudget, lambdaOf, machineBusyMs, measureRequestCost, processCpuMs, processes } from '../../../scripts/bench/cpu';

describe('bench CPU accounting from /proc', () => {
  it("reads this process's CPU time and sees it grow with work", () => {
    const before = processCpuMs(process.pid)!;
    const until = Date.now() + 120;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    const after = processCpuMs(process.pid)!;
    expect(x).toBeGreaterThan(0);
    expect(after - before).toBeGreaterThanOrEqual(50);
  });

  it('gives undefined for a process that does not exist, and a machine total that only grows', () => {
    expect(processCpuMs(2 ** 22 + 12345)).toBeUndefined();
    expect(processCpuMs(undefined)).toBeUndefined();
    const a = machineBusyMs()!;
    const b = machineBusyMs()!;
    expect(b).toBeGreaterThanOrEqual(a);
  });

  it('divides by the requests served, and says the emulator share', () => {
    const meter = cpuMeter(process.pid);
    const until = Date.now() + 120;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    const use = meter.stop(10);
    expect(use.emulatorMsPerRequest).toBeGreaterThanOrEqual(5);
    // The two counters tick separately (10 ms jiffies, read a moment apart): the share is approximate on a busy host.
    expect(use.machineMsPerRequest).toBeGreaterThanOrEqual(use.emulatorMsPerRequest! * 0.5);
    expect(use.emulatorShare).toBeGreaterThan(0);
    expect(cpuMeter(process.pid).stop(0)).toMatchObject({ emulatorMsPerRequest: undefined, machineMsPerRequest: undefined });
  });
});

describe("the emulator's budget per order", () => {
  it('saturates its one process (1,000 CPU ms a second) at 1000 / ms per order; our requests explain requests x ms each', () => {
    expect(emulatorBudget(50, 20, 1)).toEqual({ saturatesAt: 20, ourRequestsMs: 20, ourShare: 0.4 });
    expect(emulatorBudget(47.3, 21.41, 0.93)).toEqual({ saturatesAt: 21.1, ourRequestsMs: 19.9, ourShare: 0.42 });
  });

  it('caps the share at 1 and leaves out what it cannot know', () => {
    expect(emulatorBudget(10, 30, 1)).toEqual({ saturatesAt: 100, ourRequestsMs: 30, ourShare: 1 });
    expect(emulatorBudget(40, undefined, 1)).toEqual({ saturatesAt: 25 });
    expect(emulatorBudget(40, 20, Number.NaN)).toEqual({ saturatesAt: 25 });
    expect(emulatorBudget(undefined, 20, 1)).toEqual({});
    expect(emulatorBudget(0, 20, 1)).toEqual({});
  });
});

describe('measureRequestCost', () => {
  it('sends exactly n requests, at most `concurrency` at a time, and gives CPU per request', async () => {
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const send = async () => {
      calls += 1;
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight -= 1;
    };
    const r = await measureRequestCost(send, process.pid, 40, 3);
    expect(calls).toBe(40);
    expect(most).toBe(3);
    expect(r.requests).toBe(40);
    expect(r.emulatorMsPerRequest).toBeGreaterThanOrEqual(0);
  });
});

describe("the functions' CPU from MiniStack's worker processes", () => {
  const worker = (dir: string) => `node /work/x/.local/tmp/ministack-lambda-OrderPipeline-local-${dir}/_worker.js `;
  it('names the function by its logical id without the hash suffixes, for this stack only', () => {
    expect(lambdaOf(worker('AnalyticsWorkerFunction03E93B30B83153B864FF2-6thl6g4y'), 'OrderPipeline-local')).toBe('AnalyticsWorkerFunction');
    expect(lambdaOf(worker('ApiPostOrder77BFCBD1-F09E1BAED2C41-hm8p9t4y'), 'OrderPipeline-local')).toBe('ApiPostOrder');
    expect(lambdaOf(worker('OutboxFunctionAB2D95BD-D04F4D87A7D86-2bk4m514'), 'OrderPipeline-local')).toBe('OutboxFunction');
    expect(lambdaOf(worker('ApiPostOrder77BFCBD1-F09E1BAED2C41-hm8p9t4y'), 'OrderPipeline-dev')).toBeUndefined();
    expect(lambdaOf('/usr/bin/node scripts/bench/run.ts', 'OrderPipeline-local')).toBeUndefined();
  });

  it('sums CPU between snapshots per function: a new process from zero, an ended one left out, others ignored', () => {
    const before = [
      { pid: 1, cmdline: worker('PaymentWorkerFunction4E210E59-81DD9145A360C-aaaa'), cpuMs: 100 },
      { pid: 2, cmdline: worker('PaymentWorkerFunction4E210E59-81DD9145A360C-bbbb'), cpuMs: 50 },
      { pid: 3, cmdline: worker('ShippingWorkerFunctionA1053C47-B7C242CD804AC-cccc'), cpuMs: 10 },
      { pid: 9, cmdline: 'python -m ministack', cpuMs: 5000 },
    ];
    const after = [
      { pid: 1, cmdline: before[0]!.cmdline, cpuMs: 130 },
      { pid: 2, cmdline: before[1]!.cmdline, cpuMs: 70 },
      { pid: 4, cmdline: worker('ShippingWorkerFunctionA1053C47-B7C242CD804AC-dddd'), cpuMs: 15 },
      { pid: 9, cmdline: 'python -m ministack', cpuMs: 9000 },
    ];
    expect(cpuByFunction(before, after, 'OrderPipeline-local')).toEqual({ PaymentWorkerFunction: 50, ShippingWorkerFunction: 15 });
  });

  it('reads this machine: this process is listed with its command line and a CPU time', () => {
    const me = processes().find((p) => p.pid === process.pid);
    expect(me?.cmdline).toContain('node');
    expect(me?.cpuMs).toBeGreaterThan(0);
  });
});
