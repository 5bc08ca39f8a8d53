/**
 * Emulator-only fixes, in ONE place. The production template stays correct for AWS; each workaround here is applied
 * after a local deploy, only where the emulator still lacks the feature (it checks first), and reports what it did.
 *
 * Each workaround also has a `canary`: it deploys nothing of ours, but looks at a throw-away probe stack (the same
 * template properties, deployed through the emulator's CloudFormation) and answers "does the emulator still lack
 * this?". test/integration/workarounds.test.ts asserts the known answers for MiniStack, so it fails the day an
 * upgrade closes a gap: then delete the workaround and its canary.
 *
 * Known, MiniStack 1.5.33 (checked in its source and on the probe stack):
 * - ttlFromTemplate: `TimeToLiveSpecification` from CloudFormation is ignored (DescribeTimeToLive says DISABLED);
 *   UpdateTimeToLive works. Without it idempotency records and outbox items would never expire locally.
 * - redriveFromTemplate: the queue `RedrivePolicy` from CloudFormation IS applied by MiniStack 1.5.33 (its canary
 *   says "not lacking"); the check stays because the DLQ tests depend on it and other emulators have dropped it.
 *   It sets the policy only if it is missing, and says so.
 * Fixed before start rather than after deploy (scripts/local/emulator.ts): a package.json marking .local/tmp as
 * CommonJS, where MiniStack unpacks Lambda code (the project's own says "type": "module"); MINISTACK_HOST=127.0.0.1.
 * Gaps with no workaround (test them in template tests): SSE is not reported by DescribeTable; queue policies and
 * IAM are not enforced; CloudWatch alarms never leave INSUFFICIENT_DATA; HTTP API throttling is not enforced.
 */
import { DescribeTimeToLiveCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TTL_ATTRIBUTE } from '../../lambdas/adapters/keys';
import { SERVICES } from '../../lambdas/services/registry';
import { serviceOutputs } from '../../lib/outputs';
import { stageConfig } from '../../lib/stages';
import { FunctionConfiguration, LambdaClient, ListFunctionsCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { RELAY_FAILURE_MODE_ENV } from '../../lambdas/outbox/failure-mode';
import { clientConfig } from './aws-env';
import { createStack, deleteStack, describeStack, type StackSummary } from './cloudformation';
import type { StackOutputs } from './deploy';
import { LOCAL, ROOT, STACK_NAME, WORKAROUNDS_FILE } from './paths';

/** Outputs of the probe stack (see PROBE_TEMPLATE). */
export type ProbeOutputs = { TableName: string; QueueUrl: string; DlqArn: string };

export interface Workaround {
  readonly name: string;
  /** What the emulator lacks, i.e. what AWS does that the emulator does not. */
  readonly lacks: string;
  /**
   * True while the emulator still lacks the feature, judged on the probe stack (never on our stack). Absent where the
   * probe cannot show it; that workaround's canary is an integration test (named in its comment).
   */
  canary?(endpoint: string, probe: ProbeOutputs): Promise<boolean>;
  /** Checks the deployed stack and fixes what is missing; returns one line per thing it changed (none: no-op). */
  apply(outputs: StackOutputs, endpoint: string): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// (a) TTL: MiniStack ignores TimeToLiveSpecification from CloudFormation; UpdateTimeToLive works.

/** Tables whose template declares a TTL, by physical name (CloudFormation names them <stack>-<logicalId>-<suffix>). */
export function tablesWithTtl(outputs: StackOutputs, templatePath = join(ROOT, 'cdk.local.out', `${STACK_NAME}.template.json`)): string[] {
  if (!existsSync(templatePath)) return [];
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string; Properties?: any }> };
  const ttlLogicalIds = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table' && r.Properties?.TimeToLiveSpecification?.Enabled)
    .map(([id]) => id);
  const tableNames = Object.entries(outputs).filter(([k]) => k.endsWith('TableName')).map(([, v]) => v);
  return tableNames.filter((name) => ttlLogicalIds.some((id) => name.startsWith(`${STACK_NAME}-${id}-`)));
}

const ttlEnabled = async (ddb: DynamoDBClient, table: string) => {
  const { TimeToLiveDescription: d } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: table }));
  return (d?.TimeToLiveStatus === 'ENABLED' || d?.TimeToLiveStatus === 'ENABLING') && d.AttributeName === TTL_ATTRIBUTE;
};

export const ttlFromTemplate: Workaround = {
  name: 'ttlFromTemplate',
  lacks: 'TimeToLiveSpecification from CloudFormation (DescribeTimeToLive says DISABLED after deploy)',
  async canary(endpoint, probe) {
    return !(await ttlEnabled(new DynamoDBClient(clientConfig(endpoint)), probe.TableName));
  },
  async apply(outputs, endpoint) {
    const ddb = new DynamoDBClient(clientConfig(endpoint));
    const done: string[] = [];
    for (const table of tablesWithTtl(outputs)) {
      if (await ttlEnabled(ddb, table)) continue;
      await ddb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
      done.push(`TTL on ${TTL_ATTRIBUTE} enabled: ${table}`);
    }
    return done;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// (b) RedrivePolicy: applied by MiniStack 1.5.33 from CloudFormation; verified on every deploy, set only if missing.

export const redriveFromTemplate: Workaround = {
  name: 'redriveFromTemplate',
  lacks: 'RedrivePolicy from CloudFormation on SQS queues (main queue -> DLQ after maxReceiveCount receives)',
  async canary(endpoint, probe) {
    const sqs = new SQSClient(clientConfig(endpoint));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: probe.QueueUrl, AttributeNames: ['RedrivePolicy'] }));
    const policy = Attributes?.RedrivePolicy ? (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string }) : undefined;
    return !(policy?.deadLetterTargetArn === probe.DlqArn && Number(policy.maxReceiveCount) === 3);
  },
  async apply(outputs, endpoint) {
    const sqs = new SQSClient(clientConfig(endpoint));
    const maxReceiveCount = stageConfig('local').worker.maxReceiveCount;
    const done: string[] = [];
    for (const svc of SERVICES) {
      const keys = serviceOutputs(svc.name);
      const queueUrl = outputs[keys.queueUrl];
      const dlqUrl = outputs[keys.dlqUrl];
      if (!queueUrl || !dlqUrl) continue;
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
      if (Attributes?.RedrivePolicy) continue;
      const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.Attributes!.QueueArn, maxReceiveCount }) },
        }),
      );
      done.push(`RedrivePolicy was missing, set (maxReceiveCount ${maxReceiveCount}): ${queueUrl}`);
    }
    return done;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// (c) Stream batch item failures: MiniStack's DynamoDB-stream poller ignores `batchItemFailures` (it reads them only
// for SQS) and moves past a batch whenever the function returns, so a failed publish would be lost. The relay is
// switched to fail the whole batch instead (lambdas/outbox/failure-mode.ts), which MiniStack does retry.
// Its canary needs a Lambda and a stream, so it is judged in test/integration/publish-failure.test.ts, not on the probe.

export const streamBatchItemFailures: Workaround = {
  name: 'streamBatchItemFailures',
  lacks: 'ReportBatchItemFailures on DynamoDB stream event source mappings (failed records are skipped, not retried)',
  async apply(_outputs, endpoint) {
    const lambda = new LambdaClient(clientConfig(endpoint));
    const relay = await findFunction(lambda, `${STACK_NAME}-OutboxFunction`);
    if (!relay) return [];
    const variables = relay.Environment?.Variables ?? {};
    if (variables[RELAY_FAILURE_MODE_ENV] === 'throw') return [];
    await lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: relay.FunctionName, Environment: { Variables: { ...variables, [RELAY_FAILURE_MODE_ENV]: 'throw' } } }),
    );
    return [`${RELAY_FAILURE_MODE_ENV}=throw on ${relay.FunctionName}`];
  },
};

export async function findFunction(lambda: LambdaClient, prefix: string): Promise<FunctionConfiguration | undefined> {
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ Marker: marker }));
    const found = page.Functions?.find((f) => f.FunctionName?.startsWith(prefix));
    if (found) return found;
    marker = page.NextMarker;
  } while (marker);
  return undefined;
}

export const WORKAROUNDS: readonly Workaround[] = [ttlFromTemplate, redriveFromTemplate, streamBatchItemFailures];

// ---------------------------------------------------------------------------------------------------------------
// Applying them, and the record of what was done (.local/workarounds.json).

export interface WorkaroundRecord {
  /** Per workaround: what it changed on this deploy (empty: the emulator had it right). */
  applied: Record<string, string[]>;
  appliedAt: string;
}

export async function applyWorkarounds(outputs: StackOutputs, endpoint: string): Promise<WorkaroundRecord> {
  const applied: Record<string, string[]> = {};
  for (const w of WORKAROUNDS) applied[w.name] = await w.apply(outputs, endpoint);
  const record = { applied, appliedAt: new Date().toISOString() };
  mkdirSync(LOCAL, { recursive: true });
  writeFileSync(WORKAROUNDS_FILE, JSON.stringify(record, null, 2));
  return record;
}

/** One line per workaround for the progress output: what it did, or that nothing was needed. */
export function summarize(record: WorkaroundRecord): string[] {
  return Object.entries(record.applied).map(([name, done]) => `${name}: ${done.length ? `${done.length} fixed` : 'nothing needed'}`);
}

export function readWorkaroundRecord(): WorkaroundRecord | undefined {
  try {
    return JSON.parse(readFileSync(WORKAROUNDS_FILE, 'utf8')) as WorkaroundRecord;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Canaries: a throw-away probe stack with one of each property a workaround is about.

export const PROBE_TEMPLATE = {
  Resources: {
    TtlTable: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      },
    },
    Dlq: { Type: 'AWS::SQS::Queue' },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 } } },
  },
  Outputs: {
    TableName: { Value: { Ref: 'TtlTable' } },
    QueueUrl: { Value: { Ref: 'Queue' } },
    DlqArn: { Value: { 'Fn::GetAtt': ['Dlq', 'Arn'] } },
  },
} as const;

/**
 * Deploys the probe stack (unique name, deadline), asks every canary, deletes the stack.
 * Returns, per workaround name, true while the emulator still lacks the feature.
 */
export async function runCanaries(endpoint: string, timeoutMs = 60_000): Promise<Record<string, boolean>> {
  const name = `WorkaroundCanary-${randomUUID().slice(0, 8)}`;
  await createStack(endpoint, name, PROBE_TEMPLATE);
  try {
    const deadline = Date.now() + timeoutMs;
    let stack: StackSummary | undefined;
    for (;;) {
      stack = await describeStack(endpoint, name);
      if (stack && !stack.status.endsWith('_IN_PROGRESS')) break;
      if (Date.now() > deadline) throw new Error(`probe stack ${name} did not finish creating within ${timeoutMs} ms (last: ${stack?.status})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    if (stack.status !== 'CREATE_COMPLETE') throw new Error(`probe stack ${name} ended ${stack.status}: ${stack.reason}`);
    const probe = stack.outputs as ProbeOutputs;
    const lacking: Record<string, boolean> = {};
    for (const w of WORKAROUNDS) if (w.canary) lacking[w.name] = await w.canary(endpoint, probe);
    return lacking;
  } finally {
    await deleteStack(endpoint, name).catch(() => undefined);
  }
}
