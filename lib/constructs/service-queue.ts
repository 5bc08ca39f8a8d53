import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITopic, Subscription } from 'aws-cdk-lib/aws-sns';
import { SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type CfnQueue, Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventType } from '../../lambdas/core/events';
import type { ServiceDefinition } from '../../lambdas/services/registry';
import { DAY_SECONDS, visibilityTimeoutSeconds, type StageConfig } from '../stages';

export interface ServiceQueueProps {
  readonly service: ServiceDefinition;
  readonly topic: ITopic;
  readonly stage: StageConfig;
  /**
   * The customer-managed key of the stage's `kms: 'customer-managed'` option, for the queue and both DLQs; its policy
   * must let SNS use it (lib/pipeline-stack.ts). Without it: SSE-SQS.
   */
  readonly encryptionKey?: IKey;
  /** The event types routed here; default: what the service consumes. */
  readonly consumes?: readonly EventType[];
  /** Every message waits this long before it can be received (a delay queue: the order deadline). */
  readonly deliveryDelaySeconds?: number;
}

/** How long any dead-letter queue keeps a message: the SQS maximum, to leave time for a redrive. */
const DLQ_RETENTION = Duration.days(14);

/**
 * Encrypted with SSE-SQS (works with SNS; the AWS-managed `alias/aws/sqs` KMS key does not, SNS cannot use it)
 * and reachable over TLS only.
 */
const SECURE_QUEUE: Pick<QueueProps, 'encryption' | 'enforceSSL'> = {
  encryption: QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
};

/**
 * SSE-KMS with a customer-managed key instead of SSE-SQS. Set on the CloudFormation resource, not through the L2
 * `encryptionMasterKey`: with that, `SqsSubscription` would add a key-policy statement letting `sns.amazonaws.com`
 * use the key for any topic at all; the stack adds one conditioned on our topic's ARN instead
 * (lib/pipeline-stack.ts), and grants the consumers `kms:Decrypt` itself.
 */
export function encryptWithKey(queue: Queue, key: IKey): void {
  const cfn = queue.node.defaultChild as CfnQueue;
  cfn.kmsMasterKeyId = key.keyArn;
  cfn.sqsManagedSseEnabled = undefined;
}

/**
 * A dead-letter queue as every DLQ of this app is built (with a key: SSE-KMS, see `encryptWithKey`). Where the stage
 * keeps its data (prod), a DLQ survives the stack's deletion: its messages are work that has not happened yet.
 */
export function deadLetterQueue(scope: Construct, id: string, stage: Pick<StageConfig, 'destroyData'>, key?: IKey): Queue {
  const dlq = new Queue(scope, id, {
    ...SECURE_QUEUE,
    retentionPeriod: DLQ_RETENTION,
    removalPolicy: stage.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  if (key) encryptWithKey(dlq, key);
  return dlq;
}

/**
 * One registry service's inbox: topic -> subscription (raw delivery, filtered on `eventType` = what the service
 * consumes) -> queue -> worker, with a DLQ for poison messages and one for messages SNS cannot deliver.
 * After aws-solutions-constructs' `aws-sns-sqs`: dead-letter queues are always on and every part is exposed.
 */
export class ServiceQueue extends Construct {
  public readonly queue: Queue;
  /** Poison messages: received `maxReceiveCount` times without success. */
  public readonly dlq: Queue;
  public readonly subscription: Subscription;
  /** Messages SNS could not deliver to `queue` (a broken queue policy, a deleted queue). */
  public readonly subscriptionDlq: Queue;
  public readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: ServiceQueueProps) {
    super(scope, id);
    const { service, stage } = props;
    const consumes = props.consumes ?? service.consumes;
    if (consumes.length === 0) throw new Error(`service ${service.name} consumes nothing: it needs no queue`);

    this.maxReceiveCount = stage.worker.maxReceiveCount;
    this.dlq = deadLetterQueue(this, 'Dlq', stage, props.encryptionKey);
    this.queue = new Queue(this, 'Queue', {
      ...SECURE_QUEUE,
      // >= 6x the function timeout, so a slow batch is not redelivered while it is still being processed.
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(stage)),
      retentionPeriod: Duration.seconds(stage.queue.retentionDays * DAY_SECONDS),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: this.maxReceiveCount },
      ...(props.deliveryDelaySeconds ? { deliveryDelay: Duration.seconds(props.deliveryDelaySeconds) } : {}),
    });
    if (props.encryptionKey) encryptWithKey(this.queue, props.encryptionKey);

    this.subscriptionDlq = deadLetterQueue(this, 'SubscriptionDlq', stage, props.encryptionKey);
    this.subscription = props.topic.addSubscription(
      new SqsSubscription(this.queue, {
        // The body is the envelope JSON itself; `eventType` routes it (topic-exchange routing).
        rawMessageDelivery: true,
        filterPolicy: { eventType: SubscriptionFilter.stringFilter({ allowlist: [...consumes] }) },
        deadLetterQueue: this.subscriptionDlq,
      }),
    );
  }
}
