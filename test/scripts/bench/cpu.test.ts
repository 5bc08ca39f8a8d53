import { describe, expect, it } from 'vitest';
import { cpuMeter, machineBusyMs, processCpuMs } from '../../../scripts/bench/cpu';

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
