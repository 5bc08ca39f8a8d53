/** TTL: MiniStack ignores TimeToLiveSpecification from CloudFormation; UpdateTimeToLive works. */
import { DescribeTimeToLiveCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientConfig } from '../aws-env';
import type { StackOutputs } from '../cdk';
import { ROOT, STACK_NAME } from '../paths';
import type { Workaround } from './workaround';
import { TTL_ATTRIBUTE } from '../../../lambdas/contract';

/** Tables whose template declares a TTL, by physical name (CloudFormation names them <stack>-<logicalId>-<suffix>). */
export function tablesWithTtl(outputs: StackOutputs, templatePath = join(ROOT, 'cdk.local.out', `${STACK_NAME}.template.json`)): string[] {
  if (!existsSync(templatePath)) return [];
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string; Properties?: any }> };
  const ttlLogicalIds = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table' && r.Properties?.TimeToLiveSpecification?.Enabled)
    .map(([id]) => id);
  const tableNames = Object.entries(outputs)
    .filter(([k]) => k.endsWith('TableName'))
    .map(([, v]) => v);
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
