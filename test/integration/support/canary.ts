/**
 * Support for the workaround canaries: which emulator answers, and a throw-away probe stack deployed through
 * CloudFormation to see what the emulator does with a template on its own (before any workaround touches it).
 */
import { randomUUID } from 'node:crypto';
import { createStack, deleteStack, describeStack, type StackSummary } from '../../../scripts/local/cfn-query';

export interface EmulatorIdentity {
  product: 'ministack' | 'other';
  version?: string;
}

/** MiniStack answers `/_ministack/health` with its version; LocalStack and others do not. */
export async function identifyEmulator(endpoint: string): Promise<EmulatorIdentity> {
  try {
    const res = await fetch(`${endpoint.replace(/\/$/, '')}/_ministack/health`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return { product: 'other' };
    const body = (await res.json()) as { version?: string; services?: unknown };
    return body.services && body.version ? { product: 'ministack', version: body.version } : { product: 'other' };
  } catch {
    return { product: 'other' };
  }
}

/** What the probe stack contains: one of each resource whose template property a workaround is about. */
export const PROBE_TEMPLATE = {
  Resources: {
    TtlTable: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    },
    Dlq: { Type: 'AWS::SQS::Queue' },
    Queue: {
      Type: 'AWS::SQS::Queue',
      Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 } },
    },
  },
  Outputs: {
    TableName: { Value: { Ref: 'TtlTable' } },
    QueueUrl: { Value: { Ref: 'Queue' } },
    DlqArn: { Value: { 'Fn::GetAtt': ['Dlq', 'Arn'] } },
  },
} as const;

export interface ProbeStack {
  name: string;
  outputs: Record<string, string>;
  remove(): Promise<void>;
}

/** Deploys the probe stack under a unique name and waits (with a deadline) until it is complete. */
export async function deployProbeStack(endpoint: string, timeoutMs = 60_000): Promise<ProbeStack> {
  const name = `WorkaroundCanary-${randomUUID().slice(0, 8)}`;
  await createStack(endpoint, name, PROBE_TEMPLATE);
  // A deadline, not a sleep (kept local so this module needs no vitest context and can run from a script).
  const deadline = Date.now() + timeoutMs;
  let stack: StackSummary | undefined;
  for (;;) {
    stack = await describeStack(endpoint, name);
    if (stack && !stack.status.endsWith('_IN_PROGRESS')) break;
    if (Date.now() > deadline) throw new Error(`probe stack ${name} did not finish creating within ${timeoutMs} ms (last: ${stack?.status})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const remove = () => deleteStack(endpoint, name);
  if (stack?.status !== 'CREATE_COMPLETE') {
    await remove().catch(() => undefined);
    throw new Error(`probe stack ${name} ended ${stack?.status}: ${stack?.reason}`);
  }
  return { name, outputs: stack.outputs, remove };
}
