/**
 * Canaries for the emulator-only workarounds in scripts/local/workarounds/.
 *
 * `runCanaries` deploys a throw-away probe stack through the emulator's CloudFormation and asks each workaround
 * whether the emulator still lacks its feature, on the probe, before any workaround touched it. A test that asserts
 * a gap FAILS once the emulator closes it: then delete the workaround and its test. They are MiniStack-specific and
 * skipped, with the reason, on any other endpoint (e.g. LocalStack through AWS_ENDPOINT_URL).
 */
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../scripts/local/aws-env';
import { ROOT, STACK_NAME } from '../../scripts/local/paths';
import { SERVICES } from '../../lambdas/services/registry';
import { stageConfig, visibilityTimeoutSeconds } from '../../lib/stages';
import { runCanaries } from '../../scripts/local/workarounds/canaries';
import { WORKAROUNDS } from '../../scripts/local/workarounds/index';
import { readWorkaroundRecord } from '../../scripts/local/workarounds/record';
import { redriveFromTemplate } from '../../scripts/local/workarounds/redrive';
import { tablesWithTtl, ttlFromTemplate } from '../../scripts/local/workarounds/ttl';
import { identifyEmulator } from './support/canary';
import { dlqUrl, endpoint, outputs, queueUrl, sqs } from './support/stack';
import { TTL_ATTRIBUTE } from '../../lambdas/contract';

const identity = await identifyEmulator(endpoint);
const onMiniStack = identity.product === 'ministack';
const SKIP_REASON = `the canaries assert gaps of MiniStack; ${endpoint} is not MiniStack`;

const ddb = new DynamoDBClient(clientConfig(endpoint));

describe(`MiniStack ${identity.version ?? ''} gaps behind scripts/local/workarounds/`, () => {
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

describe(`what the last deploy's workarounds did (.local/workarounds.json)`, () => {
  const record = readWorkaroundRecord();

  it('names every workaround, and redriveFromTemplate changed nothing: MiniStack applied RedrivePolicy on every queue', (ctx) => {
    // The record is what MiniStack made of OUR template; other emulators differ, and their record says nothing here.
    ctx.skip(!onMiniStack, SKIP_REASON);
    expect(record, 'no .local/workarounds.json: the global setup writes it after the deploy').toBeDefined();
    expect(Object.keys(record!.applied).sort()).toEqual(WORKAROUNDS.map((w) => w.name).sort());
    // Fails if MiniStack stops applying RedrivePolicy from CloudFormation (the workaround then did real work).
    expect(record!.applied[redriveFromTemplate.name]).toEqual([]);
  });

  it('ttlFromTemplate enabled TTL on all TTL tables of the stack or on none (MiniStack ignores TTL in a template on every table)', (ctx) => {
    ctx.skip(!onMiniStack, SKIP_REASON);
    const ttlTables = tablesWithTtl(outputs);
    expect(ttlTables.length).toBeGreaterThan(0);
    const fixed = record!.applied[ttlFromTemplate.name] ?? [];
    // All of them when this deploy created the tables; none when it reused tables that an earlier run had fixed
    // (KEEP_EMULATOR=1, or a second run on a shared emulator): the record alone cannot tell the two apart, so
    // "MiniStack still ignores TTL" is judged by the canary above on a fresh probe stack. A partial list would mean
    // MiniStack applied the template's TTL to some tables and not to others.
    if (fixed.length > 0) expect(fixed.map((line) => ttlTables.find((t) => line.endsWith(t))).sort()).toEqual([...ttlTables].sort());
  });
});

describe('after the workarounds, the deployed stack behaves as its template says', () => {
  it('every service queue dead-letters into its own DLQ after the stage maxReceiveCount, with the stage visibility timeout', async () => {
    const local = stageConfig('local');
    for (const svc of SERVICES) {
      const [queue, dlq] = await Promise.all([
        sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl(svc.name), AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] })),
        sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl(svc.name), AttributeNames: ['QueueArn'] })),
      ]);
      const policy = JSON.parse(queue.Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
      expect({
        svc: svc.name,
        dlq: policy.deadLetterTargetArn,
        maxReceiveCount: Number(policy.maxReceiveCount),
        visibility: Number(queue.Attributes?.VisibilityTimeout),
      }).toEqual({
        svc: svc.name,
        dlq: dlq.Attributes?.QueueArn,
        maxReceiveCount: local.worker.maxReceiveCount,
        visibility: visibilityTimeoutSeconds(local),
      });
    }
  });

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
