import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import base from './vitest.config';

// Stryker (stryker.config.json) runs the unit and infra projects only: no emulator, so every mutant is judged in
// seconds. The projects are taken from vitest.config.ts so the two never drift. Left out: the function template test
// file, whose bundling tests spawn esbuild with the test's stdio (Stryker's thread pool cannot hand it over); the
// stage numbers it reads are also checked by test/lib/stage-numbers.test.ts.
// Isolation stays on (as in npm run test:unit): a static mutant (module-level code) needs its modules re-imported.
// Running the unit project without isolation was tried and made no measurable difference per mutant here.
const KEEP = new Set(['unit', 'infra']);
const EXCLUDE = [...configDefaults.exclude, 'test/lib/constructs/pipeline-function.test.ts'];

const projects = (base.test?.projects ?? [])
  .filter((p): p is TestProjectInlineConfiguration => typeof p === 'object' && p !== null && 'test' in p && KEEP.has(String(p.test?.name)))
  // Niced on a busy machine, a hook (RSA key generation in the auth tests) can take longer than vitest's 10 s default.
  .map((p) => ({ ...p, test: { testTimeout: 60_000, hookTimeout: 60_000, ...p.test, exclude: EXCLUDE } }));
if (projects.length !== KEEP.size) throw new Error('vitest.mutation.config.ts: the unit and infra projects were not found in vitest.config.ts');

export default defineConfig({ test: { projects } });
