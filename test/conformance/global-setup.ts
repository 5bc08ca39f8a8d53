/**
 * Conformance project setup. Two ways in:
 * - `CONFORMANCE_OUTPUTS` (+ `AWS_ENDPOINT_URL`, `EMULATOR`): the stack is already deployed — this is how
 *   `npm run test:localstack` runs it on LocalStack. Nothing is started or stopped here.
 * - otherwise MiniStack: start (or reuse) the emulator this checkout owns through the local harness
 *   (scripts/local/emulator.ts), or use the user's `AWS_ENDPOINT_URL`; bootstrap if the emulator has no CDKToolkit
 *   stack; deploy `OrderMessaging-local` (it can sit next to `OrderPipeline-local` on the same emulator); stop the
 *   emulator afterwards if this run started it and no other run of the checkout still uses it.
 */
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../lib/paths';
import { stackIsUsable } from '../../scripts/local/cloudformation';
import { readState, startOrReuse, stop } from '../../scripts/local/emulator';
import { releaseLease, takeLease, withDeployLock } from '../../scripts/local/lease';
import { bootstrap, deployMessaging, readMessagingOutputs } from '../../scripts/localstack/messaging-deploy';

const MINISTACK_DIR = join(PROJECT_ROOT, '.local', 'conformance');

export interface ConformanceContext {
  endpoint: string;
  /** `ministack`, `localstack`, or what EMULATOR says for a user-given endpoint (`external` if unset). */
  emulator: string;
  outputs: Record<string, string>;
}

export default async function setup(project: TestProject) {
  const started = performance.now();
  const given = process.env.CONFORMANCE_OUTPUTS;
  if (given) {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    if (!endpoint) throw new Error('CONFORMANCE_OUTPUTS is set but AWS_ENDPOINT_URL is not: the suite needs both');
    const ctx: ConformanceContext = { endpoint, emulator: process.env.EMULATOR ?? 'external', outputs: readMessagingOutputs(given) };
    console.log(`conformance: ${ctx.emulator} at ${endpoint}, outputs from ${given}`);
    project.provide('conformance', ctx);
    return;
  }

  takeLease();
  const teardown = async () => {
    const lastUser = releaseLease();
    if (lastUser && readState()?.owner === 'tests' && process.env.KEEP_EMULATOR !== '1') await stop();
  };
  let emulator: Awaited<ReturnType<typeof startOrReuse>>;
  let outputs: Record<string, string>;
  try {
    emulator = await startOrReuse(process.env, 'tests');
    const endpoint = emulator.endpoint;
    outputs = await withDeployLock(async () => {
      if (!(await stackIsUsable(endpoint, 'CDKToolkit').catch(() => false))) {
        await bootstrap(endpoint, 'cdk.messaging-ministack.out', join(MINISTACK_DIR, 'bootstrap.log'));
      }
      return deployMessaging(endpoint, 'cdk.messaging-ministack.out', join(MINISTACK_DIR, 'outputs.json'), join(MINISTACK_DIR, 'deploy.log'));
    });
  } catch (err) {
    await teardown(); // vitest does not call a teardown whose setup threw: leave no emulator of ours behind
    throw err;
  }
  const name = emulator.kind === 'ministack' ? 'ministack' : (process.env.EMULATOR ?? 'external');
  console.log(`conformance: OrderMessaging-local deployed on ${emulator.endpoint} (${name}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  project.provide('conformance', { endpoint: emulator.endpoint, emulator: name, outputs } satisfies ConformanceContext);
  return teardown;
}

declare module 'vitest' {
  export interface ProvidedContext {
    conformance: ConformanceContext;
  }
}
