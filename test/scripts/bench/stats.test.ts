import { describe, expect, it } from 'vitest';
import { histogram, interleave, percentile, perSecond, ratio, summarize } from '../../../scripts/bench/stats';
import { histogramSvg, lineSvg } from '../../../scripts/bench/svg';

describe('percentile', () => {
  it('interpolates between closest ranks (numpy default)', () => {
    const v = [15, 20, 35, 40, 50];
    expect(percentile(v, 0)).toBe(15);
    expect(percentile(v, 50)).toBe(35);
    expect(percentile(v, 100)).toBe(50);
    expect(percentile(v, 40)).toBeCloseTo(29, 10); // rank 1.6: 20 + 0.6 x 15
    expect(percentile(v, 90)).toBeCloseTo(46, 10); // rank 3.6: 40 + 0.6 x 10
  });
  it('does not depend on input order and leaves the input alone', () => {
    const v = [50, 15, 40, 20, 35];
    expect(percentile(v, 50)).toBe(35);
    expect(v).toEqual([50, 15, 40, 20, 35]);
  });
  it('is NaN for no values and refuses p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
  it('p99 of 1..100 is 99.01', () => {
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBeCloseTo(99.01, 10);
  });
});

describe('summarize and ratio', () => {
  it('summarizes n, p50, p90, p99, max, mean rounded to 0.1 ms', () => {
    expect(summarize([1, 2, 3, 4])).toEqual({ n: 4, p50: 2.5, p90: 3.7, p99: 4, max: 4, mean: 2.5 });
  });
  it('ratio to the floor has two decimals and NaN for a non-positive floor', () => {
    expect(ratio(36, 30)).toBe(1.2);
    expect(ratio(10, 0)).toBeNaN();
  });
});

describe('histogram', () => {
  it('puts values in equal bins up to the bound and overflow into the last', () => {
    const bins = histogram([1, 2, 9, 50], 2, 10);
    expect(bins).toEqual([
      { from: 0, to: 5, count: 2 },
      { from: 5, to: 10, count: 2 },
    ]);
  });
  it('is empty without values', () => expect(histogram([], 5)).toEqual([]));
});

describe('interleave', () => {
  it('rotates the order each round so every variant takes every position', () => {
    expect(interleave(['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
  });
});

describe('perSecond', () => {
  it('counts timestamps per second since the start and drops those outside', () => {
    expect(perSecond([1000, 1500, 2100, 900, 5000], 1000, 3)).toEqual([2, 1, 0]);
  });
});

describe('svg charts', () => {
  it('renders a histogram with one rect per bin and a legend entry per series', () => {
    const svg = histogramSvg('t', [{ name: 'a<b', bins: histogram([1, 2, 3], 3, 3) }]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/fill-opacity/g)).toHaveLength(3);
    expect(svg).toContain('a&lt;b');
  });
  it('renders one path per series', () => {
    const svg = lineSvg(
      't',
      [
        {
          name: 'x',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
        {
          name: 'y',
          points: [
            [0, 0],
            [1, 3],
          ],
        },
      ],
      's',
      'n',
    );
    expect(svg.match(/<path /g)).toHaveLength(2);
  });
});
