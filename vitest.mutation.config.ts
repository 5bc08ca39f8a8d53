import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import base from './vitest.config';

// Stryker (stryker.config.mjs) runs one vitest project per scope, taken from vitest.config.ts so the two never drift:
// `unit` for the lambdas/** scopes, `infra` (the template tests) for lib/stages.ts, chosen by MUTATION_PROJECT (set by
// stryker.config.mjs; Stryker's workers inherit it). No emulator, no deploy. Why one project per scope: a static
// mutant (module-level code: a constant, a zod schema) has no per-test coverage, so Stryker runs every test file that
// imports its module; the template tests import lambdas/services/registry.ts and through it most of lambdas/**, so
// a static mutant in lambdas/core re-ran every CDK synth. The template tests check the infrastructure, not the
// handlers' logic, and kill no lambdas/** mutant the unit tests leave alive (docs/mutation-testing.md).
// Left out of infra: the function template test file, whose bundling tests spawn esbuild with the test's stdio
// (Stryker's thread pool cannot hand it over); the stage numbers it reads are also checked by
// test/lib/stage-numbers.test.ts.
// Isolation stays on (as in npm run test:unit): a static mutant needs its modules re-imported.
const PROJECT = process.env.MUTATION_PROJECT ?? 'unit';
if (PROJECT !== 'unit' && PROJECT !== 'infra') throw new Error(`vitest.mutation.config.ts: MUTATION_PROJECT must be unit or infra, not ${PROJECT}`);
const EXCLUDE = [...configDefaults.exclude, 'test/lib/constructs/pipeline-function.test.ts'];

const projects = (base.test?.projects ?? [])
  .filter((p): p is TestProjectInlineConfiguration => typeof p === 'object' && p !== null && 'test' in p && p.test?.name === PROJECT)
  // Niced on a busy machine, a hook (RSA key generation in the auth tests) can take longer than vitest's 10 s default.
  .map((p) => ({ ...p, test: { testTimeout: 60_000, hookTimeout: 60_000, ...p.test, exclude: EXCLUDE } }));
if (projects.length !== 1) throw new Error(`vitest.mutation.config.ts: the ${PROJECT} project was not found in vitest.config.ts`);

export default defineConfig({ test: { projects } });
