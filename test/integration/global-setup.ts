/**
 * Integration project setup: start (or reuse) the emulator this checkout owns — or use the user's
 * AWS_ENDPOINT_URL, e.g. LocalStack — deploy the real stack once, apply the emulator workarounds, seed the catalog,
 * and hand the endpoint and stack outputs to the tests. Stops the emulator afterwards if it started it
 * (KEEP_EMULATOR=1 keeps it for the next run).
 */
import type { TestProject } from 'vitest/node';
import { readState, stop } from '../../scripts/local/emulator';
import { releaseLease, takeLease } from '../../scripts/local/lease';
import { bringUp } from '../../scripts/local/up-steps';

export default async function setup(project: TestProject) {
  const started = performance.now();
  takeLease();
  const { emulator, outputs, apiUrl } = await bringUp(false, 'tests');
  console.log(`integration: stack deployed on ${emulator.endpoint} (${emulator.kind}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  project.provide('endpoint', emulator.endpoint);
  project.provide('emulator', emulator.kind);
  project.provide('outputs', outputs);
  project.provide('apiUrl', apiUrl);
  return async () => {
    const lastUser = releaseLease();
    // Stop what a test run started once the last run sharing it is done; leave a `npm run local` emulator up.
    if (lastUser && readState()?.owner === 'tests' && process.env.KEEP_EMULATOR !== '1') await stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    endpoint: string;
    emulator: 'ministack' | 'external';
    outputs: Record<string, string>;
    apiUrl: string;
  }
}
