import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// Stryker (stryker.config.json) runs the unit and infra projects only: no emulator, so every mutant is judged in
// seconds. The projects are taken from vitest.config.ts so the two never drift.
const KEEP = new Set(['unit', 'infra']);
const projects = (base.test?.projects ?? []).filter(
  (p) => typeof p === 'object' && p !== null && 'test' in p && KEEP.has(String((p as { test?: { name?: unknown } }).test?.name)),
);
if (projects.length !== KEEP.size) throw new Error('vitest.mutation.config.ts: the unit and infra projects were not found in vitest.config.ts');

export default defineConfig({ test: { projects } });
