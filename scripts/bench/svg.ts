/**
 * Charts as plain SVG text (no chart library): a histogram and a multi-series line chart. Small on purpose.
 */
import type { Bin } from './stats';

const W = 720;
const H = 320;
const PAD = { left: 56, right: 150, top: 30, bottom: 40 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

function frame(title: string, xLabel: string, yLabel: string, xMax: number, yMax: number, body: string, legend: string): string {
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const axes = ticks
    .map((t) => {
      const y = PAD.top + ph - t * ph;
      const x = PAD.left + t * pw;
      return (
        `<line x1="${PAD.left}" y1="${y}" x2="${PAD.left + pw}" y2="${y}" stroke="#eee"/>` +
        `<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${fmt(t * yMax)}</text>` +
        `<text x="${x}" y="${PAD.top + ph + 16}" text-anchor="middle">${fmt(t * xMax)}</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">` +
    `<rect width="${W}" height="${H}" fill="white"/>` +
    `<text x="${W / 2 - PAD.right / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>` +
    axes +
    `<line x1="${PAD.left}" y1="${PAD.top + ph}" x2="${PAD.left + pw}" y2="${PAD.top + ph}" stroke="#333"/>` +
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + ph}" stroke="#333"/>` +
    `<text x="${PAD.left + pw / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text transform="translate(14 ${PAD.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>` +
    body +
    legend +
    `</svg>\n`
  );
}

function legendOf(names: readonly string[]): string {
  return names
    .map((n, i) => {
      const y = PAD.top + 8 + i * 16;
      const x = W - PAD.right + 12;
      return `<rect x="${x}" y="${y - 8}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 14}" y="${y + 1}">${esc(n)}</text>`;
    })
    .join('');
}

/** Overlaid histograms (same bins) of several latency series, as outlined bars. */
export function histogramSvg(title: string, series: { name: string; bins: Bin[] }[], xLabel = 'latency (ms)'): string {
  const xMax = Math.max(0, ...series.flatMap((s) => s.bins.map((b) => b.to)));
  const yMax = Math.max(1, ...series.flatMap((s) => s.bins.map((b) => b.count)));
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const body = series
    .map((s, i) =>
      s.bins
        .map((b) => {
          const x = PAD.left + (b.from / xMax) * pw;
          const w = ((b.to - b.from) / xMax) * pw;
          const h = (b.count / yMax) * ph;
          return `<rect x="${x.toFixed(1)}" y="${(PAD.top + ph - h).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[i % COLORS.length]}" fill-opacity="0.35" stroke="${COLORS[i % COLORS.length]}"/>`;
        })
        .join(''),
    )
    .join('');
  return frame(title, xLabel, 'requests', xMax || 1, yMax, body, legendOf(series.map((s) => s.name)));
}

/** Lines over x (seconds): each series is a list of [x, y] points. */
export function lineSvg(title: string, series: { name: string; points: [number, number][] }[], xLabel: string, yLabel: string): string {
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const yMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const body = series
    .map((s, i) => {
      const d = s.points
        .map(([x, y], j) => `${j ? 'L' : 'M'}${(PAD.left + (x / xMax) * pw).toFixed(1)},${(PAD.top + ph - (y / yMax) * ph).toFixed(1)}`)
        .join('');
      return d ? `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5"/>` : '';
    })
    .join('');
  return frame(title, xLabel, yLabel, xMax, yMax, body, legendOf(series.map((s) => s.name)));
}
