import { ArnFormat, CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic, TracingConfig } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import { pascal } from '../names';
import { serviceOutputs, STACK_OUTPUTS } from '../outputs';
import type { StageConfig } from '../stages';
import { ServiceQueue } from './service-queue';

export interface MessagingProps {
  readonly stage: StageConfig;
}

/**
 * The construct id that keeps the stacks' logical ids: CDK leaves a `Default` path component out of every logical id
 * below it, so the topic, key and queues are named as they were when the stacks built them inline (a deployed stack
 * updates in place instead of replacing its queues).
 */
export const MESSAGING_ID = 'Default';

/**
 * The messaging layer, built the same way by the pipeline stack and the messaging-only stack: the event topic (with
 * its customer-managed key and key policy in the `kms: 'customer-managed'` option), and for every registry service
 * its `ServiceQueue` (queue, DLQ, filtered raw subscription, subscription DLQ) plus, for a service with
 * `afterDeadline` events, the delayed deadline queue. Every queue's URL and the topic's ARN are stack outputs
 * (docs/contract.md). What consumes the queues (workers, alarms) is the stack's business.
 */
export class Messaging extends Construct {
  public readonly topic: Topic;
  /** The customer-managed key of the topic and every queue (`kms: 'customer-managed'`), else undefined. */
  public readonly key?: Key;
  public readonly serviceQueues: ReadonlyMap<ServiceName, ServiceQueue>;
  /** The order deadline: the same events again, held back by an SQS delivery delay (services with `afterDeadline`). */
  public readonly deadlineQueues: ReadonlyMap<ServiceName, ServiceQueue>;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const { stage } = props;
    const stack = Stack.of(this);
    const displayName = `Order pipeline events (${stage.name})`;
    // Active tracing on the topic passes the publisher's X-Ray trace header on to the queues (AWSTraceHeader).
    const tracingConfig = stage.tracing ? TracingConfig.ACTIVE : undefined;
    if (stage.kms === 'customer-managed') {
      // A known name, so the key policy can name the topic's ARN (a Ref would be a cycle: the topic refers to the key).
      const topicName = `${stack.stackName}-events`;
      this.key = new Key(this, 'MessagingKey', {
        description: `Order pipeline (${stage.name}): event topic and queues`,
        enableKeyRotation: true,
        removalPolicy: stage.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
      // SNS encrypts what it delivers to the (encrypted) queues and subscription DLQs, for our topic only.
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowSnsDeliveryFromTheEventTopic',
          principals: [new ServicePrincipal('sns.amazonaws.com')],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { ArnEquals: { 'aws:SourceArn': stack.formatArn({ service: 'sns', resource: topicName, arnFormat: ArnFormat.NO_RESOURCE_NAME }) } },
        }),
      );
      this.topic = new Topic(this, 'EventTopic', { topicName, displayName, masterKey: this.key, enforceSSL: true, tracingConfig });
    } else {
      this.topic = new Topic(this, 'EventTopic', { displayName, enforceSSL: true, tracingConfig });
    }

    const queues = new Map<ServiceName, ServiceQueue>();
    const deadlines = new Map<ServiceName, ServiceQueue>();
    for (const service of SERVICES) {
      const Svc = pascal(service.name);
      const common = { service, topic: this.topic, stage, encryptionKey: this.key };
      const inbox = new ServiceQueue(this, `${Svc}Queue`, common);
      queues.set(service.name, inbox);
      const keys = serviceOutputs(service.name);
      if (service.afterDeadline?.length) {
        // Works on AWS at any scale and on the emulator alike; no scan, no scheduler per order.
        const deadline = new ServiceQueue(this, `${Svc}DeadlineQueue`, {
          ...common,
          consumes: service.afterDeadline,
          deliveryDelaySeconds: stage.orderDeadlineSeconds,
        });
        deadlines.set(service.name, deadline);
        new CfnOutput(this, keys.deadlineQueueUrl, { value: deadline.queue.queueUrl });
        new CfnOutput(this, keys.deadlineDlqUrl, { value: deadline.dlq.queueUrl });
        new CfnOutput(this, keys.deadlineSubscriptionDlqUrl, { value: deadline.subscriptionDlq.queueUrl });
      }
      new CfnOutput(this, keys.queueUrl, { value: inbox.queue.queueUrl });
      new CfnOutput(this, keys.dlqUrl, { value: inbox.dlq.queueUrl });
      new CfnOutput(this, keys.subscriptionDlqUrl, { value: inbox.subscriptionDlq.queueUrl });
    }
    this.serviceQueues = queues;
    this.deadlineQueues = deadlines;
    new CfnOutput(this, STACK_OUTPUTS.topicArn, { value: this.topic.topicArn });
  }
}
