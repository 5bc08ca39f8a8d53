import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/adapters/env';
import type { StageConfig } from '../stages';
import { PipelineFunction } from './pipeline-function';
import { deadLetterQueue } from './service-queue';

export interface OutboxRelayProps {
  readonly stage: StageConfig;
  /** The orders table, with a stream: its OUTBOX# items are the events to publish. */
  readonly ordersTable: ITable;
  readonly topic: ITopic;
}

/** Only new outbox items are events to publish (sk `OUTBOX#<eventId>`, see lambdas/adapters/keys.ts). */
export const OUTBOX_SK_PREFIX = 'OUTBOX#';

/**
 * The transactional outbox's second half: the orders-table stream -> relay -> SNS topic. An order and its event are
 * written in one transaction, so an accepted order's event cannot be lost between the API and the topic.
 */
export class OutboxRelay extends Construct {
  public readonly fn: PipelineFunction;
  /** Records the relay gave up on (retries or record age exhausted): metadata of the failed batch, to replay. */
  public readonly dlq: Queue;
  public readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);
    const { stage, ordersTable } = props;

    this.fn = new PipelineFunction(this, 'Function', {
      entry: 'lambdas/outbox/relay.ts',
      stage,
      serviceName: 'outbox-relay',
      description: 'Publishes OUTBOX# items of the orders table to the event topic',
      timeoutSeconds: stage.worker.timeoutSeconds,
      memoryMb: stage.worker.memoryMb,
      environment: { [ENV.ordersTable]: ordersTable.tableName, [ENV.topicArn]: props.topic.topicArn },
    });

    this.dlq = deadLetterQueue(this, 'OutboxDlq');
    this.eventSource = new DynamoEventSource(ordersTable, {
      // From the oldest record still in the stream: an event written before the mapping existed is not skipped.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: stage.outbox.batchSize,
      retryAttempts: stage.outbox.retryAttempts,
      maxRecordAge: Duration.seconds(stage.outbox.maxRecordAgeSeconds),
      // Split a failing batch to isolate the bad record; report exactly the failed ones.
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.dlq),
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('INSERT'),
          dynamodb: { Keys: { sk: { S: FilterRule.beginsWith(OUTBOX_SK_PREFIX) } } },
        }),
      ],
    });
    // Also grants reading the stream.
    this.fn.addEventSource(this.eventSource);

    props.topic.grantPublish(this.fn);
    // The FAULT#<eventId> marker of the local stage's publish-fail-once hook; nothing else is written.
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [ordersTable.tableArn] }));
  }
}
