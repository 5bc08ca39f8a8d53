import { projectPath } from './paths';

/**
 * How every Lambda bundle is built (lib/constructs/pipeline-function.ts passes these to NodejsFunction;
 * `npm run bundles` builds with the same, so its figures are the deployed bundles'):
 * - the ESM builds of the SDK and Powertools (`module` before `main`): they tree-shake, their CJS builds do not
 *   (shipping: 1,086 -> 858 KB);
 * - Lambda credentials are always in the environment: the SDK's full provider chain is ~120 KB of dead weight, so it
 *   is aliased to a fromEnv-only module;
 * - minified CommonJS for node20 (the emulator runs every nodejs runtime on the host's Node 20).
 */
export const BUNDLING = {
  minify: true,
  target: 'node20',
  mainFields: ['module', 'main'],
  alias: { '@aws-sdk/credential-provider-node': projectPath('lambdas/adapters/env-credentials.ts') } as Record<string, string>,
} as const;

/** The alias map as esbuild command-line arguments (NodejsFunction's `esbuildArgs`). */
export const aliasArgs = (): Record<string, string> => Object.fromEntries(Object.entries(BUNDLING.alias).map(([from, to]) => [`--alias:${from}`, to]));
