/**
 * Every cdk-nag (AwsSolutions) finding this app accepts, each with the rule, where it applies and why, in one place.
 * test/lib/nag.test.ts runs the pack on every stage (and on the customer-managed-key and local-with-JWT variants)
 * and fails on any finding that is not acknowledged here. cdk-nag 3 matches ids exactly: a rule with findings
 * (`IAM4[Policy::...]`, `IAM5[Action::...]`) is acknowledged per finding, never for the whole rule.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { IConstruct } from 'constructs';
import type { PipelineStack } from './pipeline-stack';
import { PipelineFunction } from './constructs/pipeline-function';

export interface NagAcknowledgement {
  /** The rule (with its finding, if the rule reports several). */
  readonly id: string;
  readonly reason: string;
  /** What it applies to; the stack for rules that concern every function alike. */
  readonly scopes: (stack: PipelineStack) => readonly IConstruct[];
}

export const NAG_ACKNOWLEDGEMENTS: readonly NagAcknowledgement[] = [
  {
    id: 'AwsSolutions-L1',
    reason:
      'Node.js 22 is a supported LTS runtime on Lambda; the runtime is chosen once in lib/constructs/pipeline-function.ts and moves to the next LTS as a deliberate change (bundles target node20 for the local emulator).',
    scopes: (stack) => [stack],
  },
  {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      "Two actions that support no resource-level permission: dynamodb:ListStreams of the outbox relay's stream event source (its other stream actions name the orders table's stream), and xray:PutTraceSegments/PutTelemetryRecords of active tracing (AWS stages), on every function role.",
    scopes: (stack) => (stack.config.tracing ? functionRoles(stack) : [stack.relay.fn.role!]),
  },
  {
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason:
      'Publishing to the event topic encrypted with the customer-managed key needs GenerateDataKey (Topic.grantPublish grants the GenerateDataKey* family); the statement names that one key only.',
    scopes: (stack) => (stack.messagingKey ? [stack] : []),
  },
  {
    // The orders table's logical id comes from its construct path (Data/Orders), the same in every stage.
    id: 'AwsSolutions-IAM5[Resource::<DataOrders20A4E13F.Arn>/index/*]',
    reason:
      "Table.grantReadData/grantReadWriteData also name the table's indexes (<table>/index/*). The orders table has one index, outbox-pending (sparse: unpublished OUTBOX items, events without personal data); only the sweeper queries it, and its own grant names that index alone.",
    scopes: (stack) => [stack],
  },
  {
    id: 'AwsSolutions-SQS3',
    reason:
      "These queues are dead-letter queues themselves: of an SNS subscription (messages SNS could not deliver) and of the outbox relay's stream event source (failed batch records). A DLQ of a DLQ would only hide the problem; each is alarmed instead.",
    // Every ServiceQueue of the stack: the services' own and the orders aggregator's deadline queue.
    scopes: (stack) => [
      ...[...stack.messaging.serviceQueues.values(), ...stack.messaging.deadlineQueues.values()].map((q) => q.subscriptionDlq),
      stack.relay.dlq,
    ],
  },
  {
    id: 'AwsSolutions-DDB3',
    reason:
      'Point-in-time recovery is on where data is kept (prod, template-tested). Stages with destroyData (local, dev) hold throw-away data that is deleted with the stack, so continuous backups would only cost.',
    scopes: (stack) => (stack.config.destroyData ? tables(stack) : []),
  },
  {
    id: 'AwsSolutions-APIG4',
    reason:
      'Authentication is off only where the stage says so (the local demo, auth.mode off; SECURITY.md lists what that relaxes). Every AWS stage attaches the JWT authorizer to every route (template-tested); -c auth=off is refused outside the local stage.',
    scopes: (stack) => (stack.config.auth.mode === 'off' ? [stack.api.api] : []),
  },
  {
    id: 'AwsSolutions-COG2',
    reason:
      'Outside prod the quick-start user pool offers MFA (TOTP) but does not require it, so a token is one USER_PASSWORD_AUTH call away for a first try; prod requires MFA (template-tested), or brings its own issuer (-c jwtIssuer) that enforces its own.',
    scopes: (stack) => (stack.api.identity && !stack.config.auth.requireMfa ? [stack.api.identity.userPool] : []),
  },
  {
    id: 'AwsSolutions-COG8',
    reason:
      'Threat protection needs the Cognito Plus feature plan (billed per user); it is a cost decision for whoever runs the quick-start pool in production, not a default of this open-source stack.',
    scopes: (stack) => (stack.api.identity ? [stack.api.identity.userPool] : []),
  },
];

/** The role of every function of the stack (each PipelineFunction has its own, created beside it). */
function functionRoles(stack: PipelineStack): IConstruct[] {
  return stack.node
    .findAll()
    .filter((c): c is PipelineFunction => c instanceof PipelineFunction)
    .map((fn) => fn.role!);
}

function tables(stack: Stack): IConstruct[] {
  return stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && c instanceof CfnTable);
}

/** Records every acknowledgement on its constructs (cdk-nag reads them from the construct metadata). */
export function applyNagSuppressions(stack: PipelineStack): void {
  for (const { id, reason, scopes } of NAG_ACKNOWLEDGEMENTS) {
    for (const scope of scopes(stack)) Validations.of(scope).acknowledge({ id, reason });
  }
}
