/**
 * The steps that bring the local stack up, shared by `npm run local` and the integration suite's global setup.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { seedCatalog } from '../seed-catalog';
import { clientConfig } from './aws-env';
import { bootstrap, deploy, localApiUrl } from './deploy';
import { stackIsUsable } from './cloudformation';
import { ensureInstalled, startOrReuse } from './emulator';
import { withDeployLock } from './lease';
import { step } from './progress';
import { applyWorkarounds, summarize } from './workarounds/record';

export const DEMO_ORDER = {
  customerId: 'demo-customer',
  email: 'ada@example.com',
  currency: 'USD',
  items: [
    { sku: 'SKU-1', quantity: 2 },
    { sku: 'SKU-3', quantity: 1 },
  ],
};

export async function bringUp(log = true, owner: 'tests' | 'local' = 'local', context: Record<string, string> = {}) {
  if (!process.env.AWS_ENDPOINT_URL) await step('install MiniStack into .local/venv (pinned)', async () => ensureInstalled(), !log);
  const emulator = await step('start or reuse the emulator', () => startOrReuse(process.env, owner), !log);
  const { outputs, record } = await withDeployLock(async () => {
    // Bootstrap only an environment that lacks it: ask the emulator itself (a reused emulator, or the user's
    // LocalStack, may have it already), so a second run saves the 13-22 s that `cdk bootstrap` takes there.
    if (await stackIsUsable(emulator.endpoint, 'CDKToolkit').catch(() => false)) {
      if (log) console.log('✓ cdk bootstrap (skipped: the CDKToolkit stack exists on this emulator)');
    } else {
      await step('cdk bootstrap', () => bootstrap(emulator.endpoint), !log);
    }
    const outputs = await step('cdk deploy OrderPipeline-local (stage local)', () => deploy(emulator.endpoint, context), !log);
    const record = await step('emulator workarounds', () => applyWorkarounds(outputs, emulator.endpoint), !log);
    if (log) for (const line of summarize(record)) console.log(`  ${line}`);
    await step('seed the demo catalog', () => seedCatalog(outputs.CatalogTableName!, new DynamoDBClient(clientConfig(emulator.endpoint))), !log);
    return { outputs, record };
  });
  return { emulator, outputs, apiUrl: localApiUrl(outputs, emulator.endpoint), workarounds: record };
}
