#!/usr/bin/env node
/**
 * CDK app with the messaging layer only (`OrderMessaging-<stage>`): no Lambda, so nothing is bundled.
 *   npx cdk -a "npx tsx bin/messaging.ts" --output cdk.messaging.out deploy OrderMessaging-local -c stage=local
 */
import { App, Tags } from 'aws-cdk-lib';
import { MessagingStack, messagingStackName } from '../lib/messaging-stack';
import { stageConfig } from '../lib/stages';
import { assertLocalStageTargetsEmulator } from '../lib/target-guard';

const app = new App();
const stage = stageConfig(app.node.tryGetContext('stage') as string | undefined);
// The local stage (auth off, fault hooks) only ever goes to an emulator on this machine.
assertLocalStageTargetsEmulator(stage.name);
const stack = new MessagingStack(app, messagingStackName(stage), {
  stage,
  description: `Order pipeline messaging layer (${stage.name}): SNS topic -> filtered SQS queues + DLQs, no compute`,
});
Tags.of(stack).add('project', 'order-pipeline');
Tags.of(stack).add('stage', stage.name);
