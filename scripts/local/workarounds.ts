/**
 * Emulator-only fixes, in one place. The production template stays correct for AWS; each fix here is applied after
 * a local deploy, only where the emulator still lacks the feature (checked first), and records what it observed in
 * .local/workarounds.json. The canary tests (test/integration/workarounds.test.ts) read that record and fail once the
 * emulator does the thing itself, so the fix can be deleted.
 *
 * Known, MiniStack 1.5.33:
 * - ttlFromTemplate: `TimeToLiveSpecification` from CloudFormation is ignored (DescribeTimeToLive says DISABLED);
 *   UpdateTimeToLive works. Without it idempotency records and outbox items would never expire locally.
 * - redriveFromTemplate: the RedrivePolicy from CloudFormation IS applied by MiniStack 1.5.33; the check stays
 *   because other emulators have dropped it, and it sets the policy only if missing.
 */
import { DescribeTimeToLiveCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES } from '../../lambdas/services/registry';
import { TTL_ATTRIBUTE } from '../../lambdas/adapters/keys';
import { serviceOutputs, STACK_OUTPUTS } from '../../lib/outputs';
import { stageConfig } from '../../lib/stages';
import { clientConfig } from './aws-env';
import type { StackOutputs } from './deploy';
import { LOCAL, ROOT, STACK_NAME, WORKAROUNDS_FILE } from './paths';

export interface WorkaroundRecord {
  /** The emulator ignored the template's TTL on these tables (so we enabled it). */
  ttlIgnoredOn: string[];
  /** Queues whose RedrivePolicy the emulator did not apply from the template (so we set it). */
  redriveMissingOn: string[];
  appliedAt: string;
}

/** Tables whose template declares a TTL attribute, read from the synthesized template (the source of truth). */
export function tablesWithTtl(outputs: StackOutputs, templatePath = join(ROOT, 'cdk.local.out', `${STACK_NAME}.template.json`)): string[] {
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string; Properties?: any }> };
  const ttlLogicalIds = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table' && r.Properties?.TimeToLiveSpecification?.Enabled)
    .map(([id]) => id);
  // Physical names come from the outputs; match them by logical-id prefix (CloudFormation names tables <stack>-<logicalId>-<suffix>).
  const tableNames = Object.entries(outputs).filter(([k]) => k.endsWith('TableName')).map(([, v]) => v);
  return tableNames.filter((name) => ttlLogicalIds.some((id) => name.startsWith(`${STACK_NAME}-${id}-`)));
}

export async function ttlFromTemplate(outputs: StackOutputs, endpoint: string): Promise<string[]> {
  const ddb = new DynamoDBClient(clientConfig(endpoint));
  const fixed: string[] = [];
  for (const table of tablesWithTtl(outputs)) {
    const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: table }));
    if (TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED' || TimeToLiveDescription?.TimeToLiveStatus === 'ENABLING') continue;
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
    fixed.push(table);
  }
  return fixed;
}

export async function redriveFromTemplate(outputs: StackOutputs, endpoint: string): Promise<string[]> {
  const sqs = new SQSClient(clientConfig(endpoint));
  const maxReceiveCount = stageConfig('local').worker.maxReceiveCount;
  const fixed: string[] = [];
  for (const svc of SERVICES) {
    const keys = serviceOutputs(svc.name);
    const queueUrl = outputs[keys.queueUrl]!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
    if (Attributes?.RedrivePolicy) continue;
    const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: outputs[keys.dlqUrl]!, AttributeNames: ['QueueArn'] }));
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.Attributes!.QueueArn, maxReceiveCount }) },
      }),
    );
    fixed.push(queueUrl);
  }
  return fixed;
}

export async function applyWorkarounds(outputs: StackOutputs, endpoint: string): Promise<WorkaroundRecord> {
  const record: WorkaroundRecord = {
    ttlIgnoredOn: await ttlFromTemplate(outputs, endpoint),
    redriveMissingOn: await redriveFromTemplate(outputs, endpoint),
    appliedAt: new Date().toISOString(),
  };
  mkdirSync(LOCAL, { recursive: true });
  writeFileSync(WORKAROUNDS_FILE, JSON.stringify(record, null, 2));
  return record;
}

export function readWorkaroundRecord(): WorkaroundRecord | undefined {
  try {
    return JSON.parse(readFileSync(WORKAROUNDS_FILE, 'utf8')) as WorkaroundRecord;
  } catch {
    return undefined;
  }
}

export { STACK_OUTPUTS };
