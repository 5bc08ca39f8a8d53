/**
 * Canaries for the emulator-only workarounds in scripts/local/workarounds.ts.
 *
 * `runCanaries` deploys a throw-away probe stack through the emulator's CloudFormation and asks each workaround
 * whether the emulator still lacks its feature, on the probe, before any workaround touched it. A test that asserts
 * a gap FAILS once the emulator closes it: then delete the workaround and its test. They are MiniStack-specific and
 * skipped, with the reason, on any other endpoint (e.g. LocalStack through AWS_ENDPOINT_URL).
 */
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TTL_ATTRIBUTE } from '../../lambdas/adapters/keys';
import { clientConfig } from '../../scripts/local/aws-env';
import { ROOT, STACK_NAME } from '../../scripts/local/paths';
import { redriveFromTemplate, runCanaries, ttlFromTemplate } from '../../scripts/local/workarounds';
import { identifyEmulator } from './support/canary';
import { endpoint, outputs } from './support/stack';

const identity = await identifyEmulator(endpoint);
const onMiniStack = identity.product === 'ministack';
const SKIP_REASON = `the canaries assert gaps of MiniStack; ${endpoint} is not MiniStack`;

const ddb = new DynamoDBClient(clientConfig(endpoint));

describe(`MiniStack ${identity.version ?? ''} gaps behind scripts/local/workarounds.ts`, () => {
  let lacking: Record<string, boolean> = {};
  beforeAll(async () => {
    if (onMiniStack) lacking = await runCanaries(endpoint);
  });

  it(`still lacks ${ttlFromTemplate.lacks} (keep ${ttlFromTemplate.name})`, (ctx) => {
    ctx.skip(!onMiniStack, SKIP_REASON);
    // Fails once MiniStack applies the template's TTL itself: delete ttlFromTemplate and this test.
    expect(lacking[ttlFromTemplate.name], `MiniStack now does it: delete ${ttlFromTemplate.name}`).toBe(true);
  });

  it(`applies ${redriveFromTemplate.lacks} itself (${redriveFromTemplate.name} stays a no-op check)`, (ctx) => {
    ctx.skip(!onMiniStack, SKIP_REASON);
    // Fails if an upgrade drops it: the workaround then does real work, and its report says so on every deploy.
    expect(lacking[redriveFromTemplate.name], 'MiniStack no longer applies RedrivePolicy from CloudFormation').toBe(false);
  });
});

describe('after the workarounds, the deployed stack behaves as its template says', () => {
  const templatePath = join(ROOT, 'cdk.local.out', `${STACK_NAME}.template.json`);

  it('every table whose template declares a TTL has TTL enabled on expiresAt', async (ctx) => {
    ctx.skip(!existsSync(templatePath), `no synthesized template at ${templatePath}`);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string; Properties?: any }> };
    const ttlIds = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table' && r.Properties?.TimeToLiveSpecification?.Enabled)
      .map(([id]) => id);
    expect(ttlIds.length).toBeGreaterThan(0);
    // CloudFormation names a table <stack>-<logicalId>-<suffix>; the outputs carry the physical names.
    const tables = Object.entries(outputs)
      .filter(([key]) => key.endsWith('TableName'))
      .map(([, name]) => name)
      .filter((name) => ttlIds.some((id) => name.startsWith(`${STACK_NAME}-${id}-`)));
    expect(tables).toHaveLength(ttlIds.length);
    for (const table of tables) {
      const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: table }));
      expect({ table, status: TimeToLiveDescription?.TimeToLiveStatus, attr: TimeToLiveDescription?.AttributeName }).toEqual({
        table,
        status: 'ENABLED',
        attr: TTL_ATTRIBUTE,
      });
    }
  });
});
