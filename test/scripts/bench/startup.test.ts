import { describe, expect, it } from 'vitest';
import { renderStartup, STARTUP_TARGET } from '../../../scripts/bench/report';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, FLOORS, floorOf, interleaved, withFloor, type BundleStartup } from '../../../scripts/bench/startup';

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

  it('lists the dependency floors under the functions and says what each function adds above its floor', () => {
    const floors = [
      { ...bundle('FloorApi', 220, 40, 38), service: 'floor: api' },
      { ...bundle('FloorWorker', 264, 45, 44), service: 'floor: worker' },
    ];
    const md = renderStartup({
      startedAt: 'a',
      finishedAt: 'b',
      machine,
      loadAtStart: 1,
      variants: { after: withFloor([{ ...bundle('Api', 283, 50, 49), service: 'orders-api' }, bundle('Worker', 320, 60, 59)], floors) },
      floors,
    });
    const rows = md.split('\n').filter((l) => /^\| (Api|Worker|Floor)/.test(l));
    expect(rows).toEqual([
      '| Api | orders-api | 283 ✗ | 50 | 49 | +63 / +11 |',
      '| Worker | worker | 320 ✗ | 60 | 59 | +56 / +15 |',
      '| FloorApi | floor: api | 220 | 40 | 38 | – |',
      '| FloorWorker | floor: worker | 264 ✗ | 45 | 44 | – |',
    ]);
    expect(md).toContain('Floor rows: a bundle of only the SDK clients');
  });
});

describe('withFloor (what a bundle adds above its dependencies)', () => {
  const floors = [bundle('FloorApi', 200, 30, 30), bundle('FloorWorker', 250, 40, 40)];
  it('compares the API functions with the API floor and every other function with the worker floor', () => {
    expect(floorOf('orders-api')).toBe('api');
    expect(floorOf('payment')).toBe('worker');
    expect(floorOf('outbox-relay')).toBe('worker');
    const [api, worker] = withFloor([{ ...bundle('Api', 260.5, 50, 45.25), service: 'orders-api' }, bundle('Worker', 240, 50, 38)], floors);
    expect(api!.aboveFloor).toEqual({ kb: 60.5, initCpuMs: 15.3 });
    // Below the floor is said as it is (a smaller bundle than the floor, or a noisy init), not clamped to zero.
    expect(worker!.aboveFloor).toEqual({ kb: -10, initCpuMs: -2 });
  });
  it('leaves a bundle without a measured floor as it was', () => {
    const b = bundle('Worker', 240, 50, 38);
    expect(withFloor([b], [])).toEqual([b]);
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

describe('the dependency floors (lambdas/bench/floor-*.ts)', () => {
  it('are built like the functions and carry the SDK and Powertools but none of our code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'floor-test-'));
    try {
      const code = (kind: keyof typeof FLOORS) => readFileSync(buildBundle(FLOORS[kind], join(dir, kind, 'index.js')), 'utf8');
      const api = code('api');
      const worker = code('worker');
      for (const c of [api, worker]) {
        expect(c).toContain('DynamoDB_20120810'); // the DynamoDB client
        expect(c).toContain('POWERTOOLS_LOG_LEVEL'); // the Logger
        expect(c).not.toMatch(/ORDER#|OUTBOX#|OrderPlaced/); // nothing of lambdas/contract.ts or the event contract
      }
      expect(api).not.toContain('com.amazonaws.sns');
      expect(worker).toContain('com.amazonaws.sns');
      expect(worker).toContain('BatchProcessingError');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
