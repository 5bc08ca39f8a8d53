/**
 * Canaries for the emulator-only workarounds in scripts/local/workarounds.ts.
 *
 * Each canary deploys a throw-away probe stack through CloudFormation and looks at what MiniStack made of the
 * template on its own, before any workaround touched it. A canary that asserts a gap FAILS once the emulator closes
 * the gap: then delete the workaround and its canary. They are MiniStack-specific and skipped, with the reason, on
 * any other endpoint (e.g. LocalStack through AWS_ENDPOINT_URL).
 */
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TTL_ATTRIBUTE } from '../../lambdas/adapters/keys';
import { clientConfig } from '../../scripts/local/aws-env';
import { ROOT, STACK_NAME } from '../../scripts/local/paths';
import { deployProbeStack, identifyEmulator, type ProbeStack } from './support/canary';
import { endpoint, outputs } from './support/stack';

const identity = await identifyEmulator(endpoint);
const onMiniStack = identity.product === 'ministack';
const SKIP_REASON = `the canaries assert gaps of MiniStack; ${endpoint} is not MiniStack`;

const ddb = new DynamoDBClient(clientConfig(endpoint));
const sqs = new SQSClient(clientConfig(endpoint));

describe(`MiniStack ${identity.version ?? ''} gaps behind scripts/local/workarounds.ts`, () => {
  let probe: ProbeStack | undefined;

  beforeAll(async () => {
    if (onMiniStack) probe = await deployProbeStack(endpoint);
  });
  afterAll(async () => {
    await probe?.remove();
  });

  it('still ignores TimeToLiveSpecification from CloudFormation (workaround: ttlFromTemplate)', async (ctx) => {
    ctx.skip(!onMiniStack, SKIP_REASON);
    const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: probe!.outputs.TableName }));
    // Fails once MiniStack applies the template's TTL itself: delete the TTL workaround and this canary.
    expect(TimeToLiveDescription?.TimeToLiveStatus, 'MiniStack now enables TTL from CloudFormation: drop the TTL workaround').toBe('DISABLED');
  });

  it('applies RedrivePolicy from CloudFormation (the redrive workaround stays a no-op check)', async (ctx) => {
    ctx.skip(!onMiniStack, SKIP_REASON);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: probe!.outputs.QueueUrl, AttributeNames: ['RedrivePolicy'] }));
    // Fails if a MiniStack upgrade drops it: then the redrive workaround is doing real work and says so in its report.
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}'), 'MiniStack no longer applies RedrivePolicy from CloudFormation').toEqual({
      deadLetterTargetArn: probe!.outputs.DlqArn,
      maxReceiveCount: 3,
    });
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
