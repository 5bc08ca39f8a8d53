import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { SERVICES, type ServiceName } from '../lambdas/services/registry';
import { ServiceQueue } from './constructs/service-queue';
import { pascal } from './names';
import { serviceOutputs, STACK_OUTPUTS } from './outputs';
import { CONTEXT_KEYS, type StageConfig } from './stages';

export interface MessagingStackProps extends StackProps {
  readonly stage: StageConfig;
}

/** `OrderMessaging-<stage>`: a name of its own, so it can share an emulator with `OrderPipeline-<stage>`. */
export const messagingStackName = (stage: StageConfig): string => `OrderMessaging-${stage.name}`;

/**
 * The messaging layer of the pipeline on its own: the event topic and, for every registry service, the very
 * `ServiceQueue` construct the pipeline stack uses (queue, DLQ, filtered raw subscription, subscription DLQ).
 * No Lambda, no API, no table, no custom resource: it deploys on emulators that run neither (LocalStack Community
 * without Docker) and its conformance suite (test/conformance/) checks the queues that production gets.
 * Output keys are the pipeline stack's (`TopicArn`, `<Svc>QueueUrl`, `<Svc>DlqUrl`).
 */
export class MessagingStack extends Stack {
  public readonly topic: Topic;
  public readonly serviceQueues: ReadonlyMap<ServiceName, ServiceQueue>;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const { stage } = props;
    // The pipeline stack's customer-managed-key variant (topic + key + key policy) is built inline there; until it is
    // a construct both stacks can use, this stack mirrors only the default SSE-SQS variant and refuses the other.
    const kms = (this.node.tryGetContext(CONTEXT_KEYS.kms) as string | undefined) || stage.kms;
    if (kms !== 'sqs-managed') throw new Error(`${id}: kms=${kms} is not mirrored by the messaging stack (SSE-SQS only)`);
    // Same props as the pipeline stack's EventTopic in that variant (lib/pipeline-stack.ts).
    this.topic = new Topic(this, 'EventTopic', { displayName: `Order pipeline events (${stage.name})`, enforceSSL: true });

    const queues = new Map<ServiceName, ServiceQueue>();
    for (const service of SERVICES) {
      const inbox = new ServiceQueue(this, `${pascal(service.name)}Queue`, { service, topic: this.topic, stage });
      queues.set(service.name, inbox);
      const keys = serviceOutputs(service.name);
      new CfnOutput(this, keys.queueUrl, { value: inbox.queue.queueUrl });
      new CfnOutput(this, keys.dlqUrl, { value: inbox.dlq.queueUrl });
    }
    this.serviceQueues = queues;
    new CfnOutput(this, STACK_OUTPUTS.topicArn, { value: this.topic.topicArn });
  }
}
