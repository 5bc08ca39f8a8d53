import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantsOf, handlerEntry, type ServiceDefinition } from '../../lambdas/services/registry';
import { grantItems } from '../access';
import { idempotencyTtlSeconds, type StageConfig } from '../stages';
import { PipelineFunction } from './pipeline-function';
import { ENV } from '../../lambdas/contract';

export interface ServiceWorkerProps {
  readonly service: ServiceDefinition;
  readonly stage: StageConfig;
  /** The service's own queue. */
  readonly queue: IQueue;
  /** Its deadline queue, for a service with `afterDeadline` events (the same worker drains both). */
  readonly deadlineQueue?: IQueue;
  /** The service's own table: inbox records and effect records. */
  readonly serviceTable: ITable;
  readonly ordersTable: ITable;
  readonly catalogTable: ITable;
  readonly topic: ITopic;
  /** The worker's entry: the service's handler by default; only the benchmark's hollow stack replaces it. */
  readonly entry?: string;
}

/**
 * A registry service's worker: its function, fed by its queue in batches with partial batch responses, with the
 * grants its registry entry asks for and nothing more (item-level, lib/access.ts).
 */
export class ServiceWorker extends Construct {
  public readonly fn: PipelineFunction;
  public readonly eventSource: SqsEventSource;
  public readonly deadlineEventSource?: SqsEventSource;

  constructor(scope: Construct, id: string, props: ServiceWorkerProps) {
    super(scope, id);
    const { service, stage } = props;
    const emits = service.emits.length > 0;
    const grants = grantsOf(service, { faultsEnabled: stage.faultsEnabled });
    const catalog = grants.some((g) => g.table === 'catalog');

    const environment: Record<string, string> = {
      [ENV.service]: service.name,
      [ENV.serviceTable]: props.serviceTable.tableName,
      [ENV.ordersTable]: props.ordersTable.tableName,
      [ENV.idempotencyTtlSeconds]: String(idempotencyTtlSeconds(stage)),
    };
    if (catalog) environment[ENV.catalogTable] = props.catalogTable.tableName;
    if (emits) environment[ENV.topicArn] = props.topic.topicArn;

    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry ?? handlerEntry(service.name),
      stage,
      serviceName: service.name,
      description: `${service.name} worker: ${service.summary}`.slice(0, 256),
      timeoutSeconds: stage.worker.timeoutSeconds,
      memoryMb: stage.worker.memoryMb,
      environment,
    });

    const source = (queue: IQueue) =>
      new SqsEventSource(queue, {
        batchSize: service.limits?.batchSize ?? stage.worker.batchSize,
        maxBatchingWindow: Duration.seconds(stage.worker.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        // Backpressure: at most this many concurrent batches, to spare DynamoDB and the (simulated) providers.
        maxConcurrency: service.limits?.maxConcurrency ?? stage.worker.maxConcurrency,
      });
    this.eventSource = source(props.queue);
    // Also grants consuming this queue, and only this queue (and the deadline queue below, if any).
    this.fn.addEventSource(this.eventSource);
    if (props.deadlineQueue) {
      this.deadlineEventSource = source(props.deadlineQueue);
      this.fn.addEventSource(this.deadlineEventSource);
    }

    // Exactly the registry's item grants (lib/access.ts): no Scan, no BatchWrite, no other service's items.
    grantItems(this.fn, grants, { orders: props.ordersTable, catalog: props.catalogTable, own: props.serviceTable });
    // SNS has no IAM condition on message attributes: what a worker may emit is enforced by the consumers' filter
    // policies and the registry test, not by IAM (SECURITY.md, least privilege).
    if (emits) props.topic.grantPublish(this.fn);
  }
}
