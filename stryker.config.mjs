// @ts-check
// npm run test:mutation (scripts/mutation.ts; docs/mutation-testing.md) runs Stryker once per scope, one after another:
// MUTATION_SCOPE picks the files to mutate and the one vitest project whose tests judge them (vitest.mutation.config.ts):
// the unit tests for lambdas/**, the template tests for lib/stages.ts. Each scope keeps its own incremental file and
// report under .local/stryker/<scope>/ (git-ignored), so a re-run of one scope does not forget the others.
// The TypeScript checker type-checks each mutant against the smallest program that holds its file
// (tsconfig.mutation*.json): lambdas/ alone needs a third of the whole tree's type-checking time (no aws-cdk-lib types).
/** @type {Record<string, { mutate: string[]; project: 'unit' | 'infra'; tsconfig: string }>} */
const SCOPES = {
  core: { mutate: ['lambdas/core/**/*.ts'], project: 'unit', tsconfig: 'tsconfig.mutation.json' },
  adapters: { mutate: ['lambdas/adapters/**/*.ts'], project: 'unit', tsconfig: 'tsconfig.mutation.json' },
  services: { mutate: ['lambdas/services/**/*.ts'], project: 'unit', tsconfig: 'tsconfig.mutation.json' },
  api: { mutate: ['lambdas/api/**/*.ts'], project: 'unit', tsconfig: 'tsconfig.mutation.json' },
  stages: { mutate: ['lib/stages.ts'], project: 'infra', tsconfig: 'tsconfig.mutation.lib.json' },
};

const scope = process.env.MUTATION_SCOPE ?? '';
const chosen = SCOPES[scope];
if (!chosen)
  throw new Error(
    `stryker.config.mjs: set MUTATION_SCOPE to one of ${Object.keys(SCOPES).join(', ')} (npm run test:mutation does; scripts/mutation.ts lists them in order)`,
  );
// Read by vitest.mutation.config.ts in Stryker's test-runner processes, which inherit this process's environment.
process.env.MUTATION_PROJECT = chosen.project;
const dir = `.local/stryker/${scope}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  checkers: ['typescript'],
  tsconfigFile: chosen.tsconfig,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: chosen.mutate,
  ignorePatterns: ['.local', 'cdk.out', 'cdk.*.out', 'coverage', 'reports'],
  // At most 2: the machine it was written on has 2 cores shared by several sessions (and the run is niced).
  concurrency: 2,
  timeoutMS: 60000,
  incremental: true,
  incrementalFile: `${dir}/incremental.json`,
  tempDirName: `.local/stryker/tmp-${scope}`,
  cleanTempDir: true,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${dir}/mutation.html` },
  jsonReporter: { fileName: `${dir}/mutation.json` },
  thresholds: { high: 85, low: 75, break: null },
};
