import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../stages';

export interface OperationsProps {
  readonly stage: StageConfig;
  /** Encrypts the alarm topic (the stage's customer-managed key; its policy must let CloudWatch use it). */
  readonly encryptionKey?: IKey;
}

const ONE_MINUTE = Duration.minutes(1);

/**
 * What each alarm's description tells the person paged: the RUNBOOK.md section and the commands to run, in order
 * (diagnose with status/trace, recover with redrive, confirm with reconcile). Kept short: a description is at most
 * 1024 characters and is shown in the alarm e-mail.
 */
export function runbookSteps(stage: string) {
  const on = `--stage ${stage}`;
  const status = `npm run status -- ${on} --once`;
  const trace = `npm run trace -- <orderId> ${on}`;
  const reconcile = `npm run reconcile -- ${on}`;
  return {
    deadLetters: (service: string) =>
      `Runbook RUNBOOK.md#a-dlq-has-messages: 1) ${status} (which DLQ, how many); 2) ${trace} for an order of a dead letter (the error is in the worker's log); 3) fix the cause, then npm run redrive -- --service ${service} ${on}; 4) ${reconcile}.`,
    subscriptionDeadLetters: (service: string) =>
      `Runbook RUNBOOK.md#a-subscription-dlq-has-messages: SNS could not deliver to the ${service} queue (queue policy or KMS key). 1) ${status}; 2) fix the policy/key; 3) npm run redrive -- --service ${service} ${on}; 4) ${reconcile}.`,
    backlog: (service: string) =>
      `Runbook RUNBOOK.md#a-queue-is-not-draining: 1) ${status} (depth, in flight, oldest age of ${service}); 2) the ${service} worker's errors and throttles (dashboard row 'service ${service}'); 3) ${trace} for a waiting order.`,
    deadlineDeadLetters: (service: string) =>
      `Runbook RUNBOOK.md#a-deadline-dlq-has-messages: the ${service} worker failed an order's deadline check, so that order may stay undecided. 1) ${status} (undecided past deadline); 2) ${trace}; 3) fix the cause, then redrive the deadline DLQ (npm run redrive -- --service ${service} ${on}); 4) ${reconcile}.`,
    outboxDeadLetters: () =>
      `Runbook RUNBOOK.md#the-outbox-relay-gave-up: the relay could not publish after its retries. 1) ${status} (pending outbox events); 2) ${trace} for an order still ACCEPTED; 3) fix publishing (topic, policy, key): the outbox sweeper republishes pending events; then npm run redrive -- --outbox ${on} clears the on-failure records; 4) ${reconcile}.`,
    outboxLag: () =>
      `Runbook RUNBOOK.md#the-outbox-relay-is-behind: events reach the topic late. 1) ${status} (pending outbox events, decision rate); 2) the relay's errors and throttles (dashboard row 'outbox relay').`,
  };
}

/**
 * What an operator is told about: every alarm notifies one topic (subscribe a pager or an e-mail to it).
 * Missing data is not breaching: an idle queue emits no datapoints and is healthy.
 */
export class Operations extends Construct {
  public readonly alarmTopic: Topic;
  public readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;
  private readonly stage: StageConfig;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.stage = props.stage;
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `Order pipeline alarms (${props.stage.name})`,
      ...(props.encryptionKey ? { masterKey: props.encryptionKey } : {}),
    });
    this.action = new SnsAction(this.alarmTopic);
  }

  /** Any message in a dead-letter queue is work that did not happen: alarm on the first one. */
  alarmOnDeadLetters(id: string, dlq: IQueue, what: string, runbook: string): Alarm {
    return this.above(
      id,
      `${what}: messages in a dead-letter queue. ${runbook}`,
      dlq.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum' }),
      0,
    );
  }

  /** A queue whose oldest message keeps ageing is not being drained (worker failing, throttled or too slow). */
  alarmOnBacklogAge(id: string, queue: IQueue, what: string, runbook: string): Alarm {
    const limit = this.stage.alarms.oldestMessageAgeSeconds;
    return this.above(
      id,
      `${what}: oldest message older than ${limit} s. ${runbook}`,
      queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: 'Maximum' }),
      limit,
    );
  }

  /** A stream consumer falling behind: events reach the topic late, and records near maxRecordAge are dropped. */
  alarmOnIteratorAge(id: string, fn: IFunction, what: string, runbook: string): Alarm {
    const limit = this.stage.alarms.outboxIteratorAgeMs;
    return this.above(
      id,
      `${what}: stream iterator age above ${limit} ms. ${runbook}`,
      fn.metric('IteratorAge', { period: ONE_MINUTE, statistic: 'Maximum' }),
      limit,
    );
  }

  /** Every alarm here has one shape: the minute's maximum above a threshold, notifying the alarm topic. */
  private above(id: string, alarmDescription: string, metric: IMetric, threshold: number): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription,
      metric,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
