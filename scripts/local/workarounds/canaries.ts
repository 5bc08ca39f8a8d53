/**
 * The canaries' probe: a throw-away stack with one of each template property a workaround is about, deployed through
 * the emulator's CloudFormation; each workaround's `canary` judges it (never our stack) before anything touched it.
 */
import { randomUUID } from 'node:crypto';
import { createStack, deleteStack, describeStack, type StackSummary } from '../cloudformation';
import { WORKAROUNDS } from './index';
import type { ProbeOutputs } from './workaround';
import { TTL_ATTRIBUTE } from '../../../lambdas/contract';

const PROBE_TEMPLATE = {
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
