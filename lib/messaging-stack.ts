import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { ServiceName } from '../lambdas/services/registry';
import { Messaging, MESSAGING_ID } from './constructs/messaging';
import type { ServiceQueue } from './constructs/service-queue';
import { type StageConfig, withContext } from './stages';

export interface MessagingStackProps extends StackProps {
  readonly stage: StageConfig;
}

/** `OrderMessaging-<stage>`: a name of its own, so it can share an emulator with `OrderPipeline-<stage>`. */
export const messagingStackName = (stage: StageConfig): string => `OrderMessaging-${stage.name}`;

/**
 * The messaging layer of the pipeline on its own: the very `Messaging` construct the pipeline stack uses (topic, its
 * key in the `kms: 'customer-managed'` option, and per registry service the queue, DLQ, filtered raw subscription,
 * subscription DLQ and deadline queue). No Lambda, no API, no table, no custom resource: it deploys on emulators that
 * run neither (LocalStack Community without Docker) and its conformance suite (test/conformance/) checks the queues
 * that production gets. Output keys are the pipeline stack's (`TopicArn`, `<Svc>QueueUrl`, `<Svc>DlqUrl`, ...).
 */
export class MessagingStack extends Stack {
  public readonly messaging: Messaging;
  public readonly topic: Topic;
  public readonly messagingKey?: Key;
  public readonly serviceQueues: ReadonlyMap<ServiceName, ServiceQueue>;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    // The same context overrides as the pipeline stack (`-c kms=...`).
    const stage = withContext(props.stage, (key) => this.node.tryGetContext(key));
    this.messaging = new Messaging(this, MESSAGING_ID, { stage });
    this.topic = this.messaging.topic;
    this.messagingKey = this.messaging.key;
    this.serviceQueues = this.messaging.serviceQueues;
  }
}
