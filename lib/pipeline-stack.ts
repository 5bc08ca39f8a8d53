import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { SERVICES, type ServiceName } from '../lambdas/services/registry';
import { PipelineData } from './constructs/data';
import { Operations } from './constructs/operations';
import { OrderApi } from './constructs/order-api';
import { OutboxRelay } from './constructs/outbox-relay';
import { ServiceQueue } from './constructs/service-queue';
import { ServiceWorker } from './constructs/worker';
import { pascal } from './names';
import { serviceOutputs, STACK_OUTPUTS } from './outputs';
import type { StageConfig } from './stages';

export interface PipelineStackProps extends StackProps {
  readonly stage: StageConfig;
}

/** `OrderPipeline-<stage>` (docs/contract.md). */
export const stackName = (stage: StageConfig): string => `OrderPipeline-${stage.name}`;

/**
 * API -> orders table (order + outbox event) -> stream -> relay -> topic -> one filtered queue (+DLQs) per registry
 * service -> worker. Everything per service comes from the registry: a sixth service is one registry entry.
 */
export class PipelineStack extends Stack {
  public readonly data: PipelineData;
  /** The event topic. No KMS key for now: with a customer key, every subscriber queue would need kms grants. */
  public readonly topic: Topic;
  public readonly api: OrderApi;
  public readonly relay: OutboxRelay;
  public readonly serviceQueues: ReadonlyMap<ServiceName, ServiceQueue>;
  public readonly workers: ReadonlyMap<ServiceName, ServiceWorker>;
  public readonly operations: Operations;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { stage } = props;

    this.data = new PipelineData(this, 'Data', { stage });
    this.topic = new Topic(this, 'EventTopic', { displayName: `Order pipeline events (${stage.name})` });
    this.api = new OrderApi(this, 'Api', { stage, ordersTable: this.data.orders });
    this.relay = new OutboxRelay(this, 'Outbox', { stage, ordersTable: this.data.orders, topic: this.topic });
    this.operations = new Operations(this, 'Operations', { stage });

    const queues = new Map<ServiceName, ServiceQueue>();
    const workers = new Map<ServiceName, ServiceWorker>();
    for (const service of SERVICES) {
      const Svc = pascal(service.name);
      const inbox = new ServiceQueue(this, `${Svc}Queue`, { service, topic: this.topic, stage });
      const worker = new ServiceWorker(this, `${Svc}Worker`, {
        service,
        stage,
        queue: inbox.queue,
        serviceTable: this.data.serviceTable(service.name),
        ordersTable: this.data.orders,
        catalogTable: this.data.catalog,
        topic: this.topic,
      });
      queues.set(service.name, inbox);
      workers.set(service.name, worker);

      this.operations.alarmOnDeadLetters(`${Svc}DlqAlarm`, inbox.dlq, `${service.name} DLQ`);
      this.operations.alarmOnDeadLetters(`${Svc}SubscriptionDlqAlarm`, inbox.subscriptionDlq, `${service.name} subscription DLQ`);
      this.operations.alarmOnBacklogAge(`${Svc}QueueAgeAlarm`, inbox.queue, `${service.name} queue`);

      const keys = serviceOutputs(service.name);
      new CfnOutput(this, keys.queueUrl, { value: inbox.queue.queueUrl });
      new CfnOutput(this, keys.dlqUrl, { value: inbox.dlq.queueUrl });
      new CfnOutput(this, keys.tableName, { value: this.data.serviceTable(service.name).tableName });
    }
    this.serviceQueues = queues;
    this.workers = workers;

    this.operations.alarmOnDeadLetters('OutboxDlqAlarm', this.relay.dlq, 'outbox relay DLQ');
    this.operations.alarmOnIteratorAge('OutboxIteratorAgeAlarm', this.relay.fn, 'outbox relay');

    new CfnOutput(this, STACK_OUTPUTS.apiUrl, { value: this.api.url });
    new CfnOutput(this, STACK_OUTPUTS.apiId, { value: this.api.api.apiId });
    new CfnOutput(this, STACK_OUTPUTS.topicArn, { value: this.topic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.alarmTopicArn, { value: this.operations.alarmTopic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.ordersTableName, { value: this.data.orders.tableName });
    new CfnOutput(this, STACK_OUTPUTS.catalogTableName, { value: this.data.catalog.tableName });
    new CfnOutput(this, STACK_OUTPUTS.outboxDlqUrl, { value: this.relay.dlq.queueUrl });
  }
}
