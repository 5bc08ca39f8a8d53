import { defineConfig } from 'vitest/config';

// The pinned AWS SDK warns once per process that releases after January 2027 need Node 22; on this Node 20 toolchain
// the warning repeats in every test worker and buries the output. Workers inherit this.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Three projects, mirroring the tree: unit (lambdas), infra (lib: template tests), integration (the deployed
// stack on an emulator). Integration files share one emulator and one stack, so they run one file at a time.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/lambdas/**/*.test.ts', 'test/scripts/**/*.test.ts'], environment: 'node' } },
      { test: { name: 'infra', include: ['test/lib/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 120_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        // The fault-injection suite (npm run test:faults) against the same deployed local stack as integration: one
        // file whose cases run concurrently (it.concurrent; maxConcurrency covers them all), then the summary.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/faults/global-setup.ts'],
          fileParallelism: false,
          maxConcurrency: 16,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        // The messaging layer on MiniStack (default) or on a deployed emulator given by CONFORMANCE_OUTPUTS
        // (npm run test:localstack). Files share one stack's queues: one at a time.
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/conformance/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
