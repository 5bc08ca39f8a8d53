import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_GRANTS, grantItems } from '../access';
import type { StageConfig } from '../stages';
import { PipelineFunction } from './pipeline-function';
import { deadLetterQueue } from './service-queue';
import { ENV, KEY_PREFIX } from '../../lambdas/contract';

export interface OutboxRelayProps {
  readonly stage: StageConfig;
  /** The orders table, with a stream: its OUTBOX# items are the events to publish. */
  readonly ordersTable: ITable;
  readonly topic: ITopic;
}

/**
 * The transactional outbox's second half: the orders-table stream -> relay -> SNS topic. An order and its event are
 * written in one transaction, so an accepted order's event cannot be lost between the API and the topic. What the
 * relay gives up on stays pending and a scheduled sweeper republishes it: no human needed once publishing works.
 */
export class OutboxRelay extends Construct {
  public readonly fn: PipelineFunction;
  /** Records the relay gave up on (retries or record age exhausted): metadata of the failed batch, to replay. */
  public readonly dlq: Queue;
  public readonly eventSource: DynamoEventSource;
  /** Republishes OUTBOX items still pending `sweepAfterSeconds` after their insert, every `sweepEveryMinutes`. */
  public readonly sweeper: PipelineFunction;
  public readonly sweepSchedule: Rule;

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

    this.dlq = deadLetterQueue(this, 'OutboxDlq', stage);
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
          // Only new outbox items are events to publish (sk `OUTBOX#<eventId>`, lambdas/adapters/keys.ts).
          dynamodb: { Keys: { sk: { S: FilterRule.beginsWith(KEY_PREFIX.outbox) } } },
        }),
      ],
    });
    // Also grants reading the stream.
    this.fn.addEventSource(this.eventSource);

    props.topic.grantPublish(this.fn);
    // Marking OUTBOX items published (lib/access.ts); the FAULT#<eventId> marker of the publish-fail-once hook in the
    // local stage only. Nothing else is ever written by the relay.
    grantItems(this.fn, FUNCTION_GRANTS.relay, { orders: ordersTable });
    if (stage.faultsEnabled) grantItems(this.fn, FUNCTION_GRANTS.relayFaults, { orders: ordersTable });

    this.sweeper = new PipelineFunction(this, 'Sweeper', {
      entry: 'lambdas/outbox/sweeper.ts',
      stage,
      serviceName: 'outbox-sweeper',
      description: 'Republishes OUTBOX# items still pending after the relay (it gave up, or is slow)',
      timeoutSeconds: 60,
      memoryMb: stage.worker.memoryMb,
      environment: {
        [ENV.ordersTable]: ordersTable.tableName,
        [ENV.topicArn]: props.topic.topicArn,
        [ENV.outboxSweepAfterSeconds]: String(stage.outbox.sweepAfterSeconds),
      },
    });
    props.topic.grantPublish(this.sweeper);
    grantItems(this.sweeper, FUNCTION_GRANTS.sweeper, { orders: ordersTable });
    this.sweepSchedule = new Rule(this, 'SweepSchedule', {
      description: 'Outbox sweeper: republish events the relay did not',
      schedule: Schedule.rate(Duration.minutes(stage.outbox.sweepEveryMinutes)),
      targets: [new LambdaFunction(this.sweeper, { retryAttempts: 0 })],
    });
  }
}
