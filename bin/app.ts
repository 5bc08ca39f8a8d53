#!/usr/bin/env node
import { App, Tags } from 'aws-cdk-lib';
import { PipelineStack, stackName } from '../lib/pipeline-stack';
import { stageConfig } from '../lib/stages';
import { assertLocalStageTargetsEmulator } from '../lib/target-guard';

// `-c stage=local|dev|prod` (cdk.json defaults it to dev).
const app = new App();
const stage = stageConfig(app.node.tryGetContext('stage') as string | undefined);
// The local stage (auth off, fault hooks) only ever goes to an emulator on this machine.
assertLocalStageTargetsEmulator(stage.name);

// Environment-agnostic: account and region come from the deploying credentials (or the emulator).
const stack = new PipelineStack(app, stackName(stage), {
  stage,
  description: `Serverless order pipeline (${stage.name}): API -> outbox -> SNS -> SQS -> workers`,
});
Tags.of(stack).add('project', 'order-pipeline');
Tags.of(stack).add('stage', stage.name);
