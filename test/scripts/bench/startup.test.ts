import { describe, expect, it } from 'vitest';
import { renderStartup, STARTUP_TARGET } from '../../../scripts/bench/report';
import { interleaved, type BundleStartup } from '../../../scripts/bench/startup';

const bundle = (fn: string, kb: number, wall: number, cpu: number): BundleStartup => ({
  function: fn,
  service: fn.toLowerCase(),
  bytes: kb * 1024,
  kb,
  initMsMedian: wall,
  initMsRuns: [wall, wall, wall],
  initCpuMsMedian: cpu,
});
const machine = { cpus: 2, cpuModel: 'test', memoryGiB: 4, node: 'v20', kernel: 'k', loadAverage1m: 1 };

describe('renderStartup (npm run bench -- --only startup)', () => {
  it('puts the variants side by side per function and marks what is over the targets', () => {
    const md = renderStartup({
      startedAt: 'a',
      finishedAt: 'b',
      machine,
      loadAtStart: 1,
      variants: { before: [bundle('Api', 740, 170, 165), bundle('Worker', 300, 60, 59)], after: [bundle('Api', STARTUP_TARGET.kb, 61, 40)] },
    });
    const rows = md.split('\n').filter((l) => l.startsWith('| Api') || l.startsWith('| Worker'));
    expect(rows).toEqual(['| Api | api | 740 ✗ → 250 | 170 ✗ → 61 ✗ | 165 ✗ → 40 |', '| Worker | worker | 300 ✗ → – | 60 → – | 59 → – |']);
    expect(md).toContain('median of 3');
    expect(md).toContain('Variants: before → after');
  });
});

describe('interleaved (the order of the start-up measurements)', () => {
  it('measures run i of every bundle, and of each bundle every variant, before run i + 1 of any', () => {
    expect([...interleaved(2, ['a', 'b'], 2)]).toEqual([
      ['a', 0],
      ['a', 1],
      ['b', 0],
      ['b', 1],
      ['a', 0],
      ['a', 1],
      ['b', 0],
      ['b', 1],
    ]);
    expect([...interleaved(3, ['a', 'b'], 1)].map(([id]) => id).join('')).toBe('ababab');
  });
});
