import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { API_SERVICE_NAME } from '../lambdas/contract';
import { SERVICES, type ServiceName } from '../lambdas/services/registry';
import { PipelineDashboard } from './constructs/dashboard';
import { PipelineData } from './constructs/data';
import { BENCH_CONTEXT_KEY, BenchFixtures, benchMode, HOLLOW_ENTRIES } from './constructs/bench';
import { Operations, runbookSteps } from './constructs/operations';
import { OrderApi } from './constructs/order-api';
import { OutboxRelay } from './constructs/outbox-relay';
import { Messaging, MESSAGING_ID } from './constructs/messaging';
import { encryptWithKey, type ServiceQueue } from './constructs/service-queue';
import { ServiceWorker } from './constructs/worker';
import { pascal } from './names';
import { serviceOutputs, STACK_OUTPUTS } from './outputs';
import { applyNagSuppressions } from './nag-suppressions';
import { MAX_DELIVERY_DELAY_SECONDS, type StageConfig, withContext } from './stages';

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
  /** The stage as deployed: the stage config with the context's overrides (`-c auth=...`, `-c kms=...`). */
  public readonly config: StageConfig;
  public readonly data: PipelineData;
  /** Topic, key and every service's queues: the same construct as the messaging-only stack's. */
  public readonly messaging: Messaging;
  /** The event topic; encrypted with `messagingKey` in the `kms: 'customer-managed'` option. */
  public readonly topic: Topic;
  /** The customer-managed key of the topic and every queue (`kms: 'customer-managed'`), else undefined. */
  public readonly messagingKey?: Key;
  public readonly api: OrderApi;
  public readonly relay: OutboxRelay;
  public readonly serviceQueues: ReadonlyMap<ServiceName, ServiceQueue>;
  public readonly workers: ReadonlyMap<ServiceName, ServiceWorker>;
  public readonly operations: Operations;
  public readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const stage = withContext(props.stage, (key) => this.node.tryGetContext(key));
    if (stage.orderDeadlineSeconds > MAX_DELIVERY_DELAY_SECONDS) {
      throw new Error(`orderDeadlineSeconds ${stage.orderDeadlineSeconds} exceeds SQS's ${MAX_DELIVERY_DELAY_SECONDS} s delivery delay`);
    }
    this.config = stage;
    // `npm run bench` only (local stage; lib/constructs/bench.ts): its fixtures, and with `hollow` the hollow stack.
    const bench = benchMode(this.node.tryGetContext(BENCH_CONTEXT_KEY));
    const hollow = bench === 'hollow';

    this.data = new PipelineData(this, 'Data', { stage });
    this.messaging = new Messaging(this, MESSAGING_ID, { stage });
    this.topic = this.messaging.topic;
    this.messagingKey = this.messaging.key;
    this.serviceQueues = this.messaging.serviceQueues;
    // CloudWatch publishes alarms to the alarm topic (Operations), encrypted with the same key.
    this.messagingKey?.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToTheAlarmTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.api = new OrderApi(this, 'Api', { stage, ordersTable: this.data.orders, postOrderEntry: hollow ? HOLLOW_ENTRIES.postOrder : undefined });
    this.relay = new OutboxRelay(this, 'Outbox', { stage, ordersTable: this.data.orders, topic: this.topic });
    this.operations = new Operations(this, 'Operations', { stage, encryptionKey: this.messagingKey });
    // The alarm topic is built by Operations without a policy: publishers must use TLS there too (as `enforceSSL`).
    this.operations.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowPublishThroughSSLOnly',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.operations.alarmTopic.topicArn],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );

    const runbook = runbookSteps(stage.name);
    const workers = new Map<ServiceName, ServiceWorker>();
    for (const service of SERVICES) {
      const Svc = pascal(service.name);
      const inbox = this.serviceQueues.get(service.name)!;
      const deadline = this.messaging.deadlineQueues.get(service.name);
      const worker = new ServiceWorker(this, `${Svc}Worker`, {
        service,
        stage,
        queue: inbox.queue,
        deadlineQueue: deadline?.queue,
        serviceTable: this.data.serviceTable(service.name),
        ordersTable: this.data.orders,
        catalogTable: this.data.catalog,
        topic: this.topic,
        entry: hollow ? HOLLOW_ENTRIES.worker : undefined,
      });
      // The queue's key is set below the L2 (see encryptWithKey), so the consumer's decrypt grant is ours to add.
      if (this.messagingKey) this.messagingKey.grantDecrypt(worker.fn);
      workers.set(service.name, worker);

      this.operations.alarmOnDeadLetters(`${Svc}DlqAlarm`, inbox.dlq, `${service.name} DLQ`, runbook.deadLetters(service.name));
      this.operations.alarmOnDeadLetters(
        `${Svc}SubscriptionDlqAlarm`,
        inbox.subscriptionDlq,
        `${service.name} subscription DLQ`,
        runbook.subscriptionDeadLetters(service.name),
      );
      this.operations.alarmOnBacklogAge(`${Svc}QueueAgeAlarm`, inbox.queue, `${service.name} queue`, runbook.backlog(service.name));

      if (deadline) {
        this.operations.alarmOnDeadLetters(`${Svc}DeadlineDlqAlarm`, deadline.dlq, `${service.name} deadline DLQ`, runbook.deadlineDeadLetters(service.name));
        this.operations.alarmOnDeadLetters(
          `${Svc}DeadlineSubscriptionDlqAlarm`,
          deadline.subscriptionDlq,
          `${service.name} deadline subscription DLQ`,
          runbook.subscriptionDeadLetters(service.name),
        );
      }
      new CfnOutput(this, serviceOutputs(service.name).tableName, { value: this.data.serviceTable(service.name).tableName });
    }
    this.workers = workers;

    if (this.messagingKey) {
      // The outbox DLQ too (the relay construct builds it with SSE-SQS). The relay's role sends to it on failure,
      // with the kms:GenerateDataKey* and kms:Decrypt on this key that publishing to the topic already grants it.
      encryptWithKey(this.relay.dlq, this.messagingKey);
    }

    this.operations.alarmOnDeadLetters('OutboxDlqAlarm', this.relay.dlq, 'outbox relay DLQ', runbook.outboxDeadLetters());
    this.operations.alarmOnIteratorAge('OutboxIteratorAgeAlarm', this.relay.fn, 'outbox relay', runbook.outboxLag());

    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      stage,
      dashboardName: this.stackName,
      api: this.api.api,
      apiServiceName: API_SERVICE_NAME,
      relay: this.relay,
      services: new Map(
        SERVICES.map((s) => {
          const q = this.serviceQueues.get(s.name)!;
          const deadlineDlq = this.messaging.deadlineQueues.get(s.name)?.dlq;
          return [s.name, { queue: q.queue, dlq: q.dlq, subscriptionDlq: q.subscriptionDlq, deadlineDlq, fn: workers.get(s.name)!.fn }];
        }),
      ),
      alarms: this.operations.alarms,
    });

    new CfnOutput(this, STACK_OUTPUTS.apiUrl, { value: this.api.url });
    new CfnOutput(this, STACK_OUTPUTS.apiId, { value: this.api.api.apiId });
    new CfnOutput(this, STACK_OUTPUTS.alarmTopicArn, { value: this.operations.alarmTopic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.ordersTableName, { value: this.data.orders.tableName });
    new CfnOutput(this, STACK_OUTPUTS.catalogTableName, { value: this.data.catalog.tableName });
    new CfnOutput(this, STACK_OUTPUTS.outboxDlqUrl, { value: this.relay.dlq.queueUrl });
    new CfnOutput(this, STACK_OUTPUTS.dashboardName, { value: this.dashboard.dashboard.dashboardName });
    new CfnOutput(this, STACK_OUTPUTS.stage, { value: stage.name });

    // The floor route and the Powertools reference worker (refused outside the local stage).
    if (bench !== 'off') new BenchFixtures(this, 'Bench', { stage, api: this.api.api, topic: this.topic, mode: bench });

    // cdk-nag findings that are accepted, each with its reason, in one place.
    applyNagSuppressions(this);
  }
}
