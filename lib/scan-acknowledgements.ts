/**
 * Every cfn-lint (with the cfn-lint-serverless rules) and Checkov finding this app accepts, each rule once, with why,
 * in one place (as lib/nag-suppressions.ts is for cdk-nag). `npm run scan` (scripts/scan.ts) runs both scanners over
 * every stage's synthesized template and fails on any finding not acknowledged here; test/scripts/scan.test.ts checks
 * the matching. `stages` limits an acknowledgement to the stages it is true for.
 */
import type { StageName } from './stages';

export interface ScanFinding {
  readonly tool: 'cfn-lint' | 'checkov';
  readonly rule: string;
  readonly resource: string;
  readonly stage: StageName;
}

export interface ScanAcknowledgement {
  readonly tool: ScanFinding['tool'];
  readonly rule: string;
  readonly reason: string;
  /** Only in these stages (default: every stage). */
  readonly stages?: readonly StageName[];
}

const TEMPORARY_DATA: readonly StageName[] = ['local', 'dev'];

export const SCAN_ACKNOWLEDGEMENTS: readonly ScanAcknowledgement[] = [
  {
    tool: 'cfn-lint',
    rule: 'W3005',
    reason:
      'The CDK adds DependsOn from each function to its role policy on purpose (the policy must exist before the function is invoked); the same dependency through GetAtt does not cover the policy, so the redundancy is harmless.',
  },
  {
    tool: 'cfn-lint',
    rule: 'ES1001',
    reason:
      'SQS event source mappings cannot have an on-failure destination (Lambda supports it for streams and Kafka only): every worker queue dead-letters through its RedrivePolicy (maxReceiveCount, template-tested), and its DLQ is alarmed.',
  },
  {
    tool: 'cfn-lint',
    rule: 'ES6000',
    reason:
      'Reported on the dead-letter queues themselves (of each worker queue, each SNS subscription and the outbox relay): a DLQ of a DLQ would only hide the problem; each DLQ keeps messages 14 days and is alarmed on its first message.',
  },
  {
    tool: 'cfn-lint',
    rule: 'WS1004',
    reason:
      'A false positive: every function has its own explicit log group with the stage retention (LoggingConfig.LogGroup, template-tested); the rule only looks for a group named /aws/lambda/<function name>.',
  },
  {
    tool: 'cfn-lint',
    rule: 'WS1000',
    reason:
      'X-Ray tracing is active on every function in the AWS stages (template-tested); the local stage turns it off because the emulator has no X-Ray to send traces to.',
    stages: ['local'],
  },
  {
    tool: 'cfn-lint',
    rule: 'ES4000',
    reason:
      'Reported on the outbox sweeper\'s schedule, the only EventBridge rule: a tick that fails is not worth keeping (it carries no data, only "sweep now"); the next tick a few minutes later sweeps again, sweeps are idempotent, and an OUTBOX item left pending is counted by npm run status and reconcile.',
  },
  {
    tool: 'cfn-lint',
    rule: 'ES1007',
    reason:
      'Reported on the permission that lets the sweeper\'s schedule invoke it, its only asynchronous invocation: the schedule target retries 0 times on purpose, and an on-failure destination would collect empty "sweep now" events with nothing to replay; the next tick is the retry. Every other function is invoked synchronously (API, SQS and stream event source mappings).',
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_27',
    reason:
      'A false positive: these queues are encrypted with SSE-SQS (SqsManagedSseEnabled, template-tested), which the check does not recognise; SNS can deliver to it, unlike alias/aws/sqs. Prod uses the customer-managed key.',
    stages: TEMPORARY_DATA,
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_115',
    reason:
      'Concurrency is bounded where it matters, per event source mapping (ScalingConfig.MaximumConcurrency from lib/stages.ts) and by the API throttle; reserved concurrency per function would carve the account pool into fixed slices and throttle bursts that the queues already absorb.',
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_116',
    reason:
      'No function is invoked asynchronously: workers are fed by SQS (their queues have DLQs), the relay by a stream (its on-failure destination is the outbox DLQ), the API synchronously. A function DLQ applies only to asynchronous invocations and would stay empty.',
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_117',
    reason:
      'The functions reach only AWS APIs (DynamoDB, SNS, SQS, the issuer JWKS over https) and hold no network-reachable resource; a VPC would add NAT or endpoints and cold-start cost without a boundary to protect. IAM (item-scoped, lib/access.ts) is the boundary.',
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_119',
    reason:
      'Tables use DynamoDB encryption at rest with the AWS-managed key (never unencrypted); access is controlled by item-scoped IAM. A customer-managed key per table adds per-request KMS cost and a key to operate; the events at rest in prod use the customer-managed key.',
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_158',
    reason:
      'Log groups are encrypted by CloudWatch Logs by default; they hold no personal data, no token and no payment data (tested: test/lambdas/api/no-personal-data-in-logs.test.ts), so a customer-managed key would protect nothing more.',
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_173',
    reason:
      'Environment variables hold resource names, ARNs, the stage and the issuer URL, never a secret (a real provider key would come from Secrets Manager at cold start, SECURITY.md); Lambda encrypts them at rest with its service key.',
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_26',
    reason:
      'Outside prod the topics are not encrypted with a customer key: messages are held only in flight, the queues behind them use SSE-SQS, and -c kms=customer-managed turns the key on. Prod encrypts both topics by default (template-tested).',
    stages: TEMPORARY_DATA,
  },
  {
    tool: 'checkov',
    rule: 'CKV_AWS_28',
    reason: 'Point-in-time recovery is on where data is kept (prod, template-tested); local and dev hold throw-away data destroyed with the stack.',
    stages: TEMPORARY_DATA,
  },
];

export interface ScanVerdict {
  readonly unacknowledged: readonly ScanFinding[];
  readonly acknowledged: number;
  /** Acknowledgements that matched nothing: stale, to be removed. */
  readonly unused: readonly ScanAcknowledgement[];
}

/** Splits findings into acknowledged and not; an acknowledgement covers its rule in its stages. */
export function judge(findings: readonly ScanFinding[], acknowledgements: readonly ScanAcknowledgement[] = SCAN_ACKNOWLEDGEMENTS): ScanVerdict {
  const used = new Set<ScanAcknowledgement>();
  const unacknowledged: ScanFinding[] = [];
  for (const f of findings) {
    const ack = acknowledgements.find((a) => a.tool === f.tool && a.rule === f.rule && (!a.stages || a.stages.includes(f.stage)));
    if (ack) used.add(ack);
    else unacknowledged.push(f);
  }
  return { unacknowledged, acknowledged: findings.length - unacknowledged.length, unused: acknowledgements.filter((a) => !used.has(a)) };
}
