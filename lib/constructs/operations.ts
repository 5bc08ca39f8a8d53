import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../stages';

export interface OperationsProps {
  readonly stage: StageConfig;
}

const ONE_MINUTE = Duration.minutes(1);

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
    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: `Order pipeline alarms (${props.stage.name})` });
    this.action = new SnsAction(this.alarmTopic);
  }

  /**
   * Any message in a dead-letter queue is work that did not happen: alarm on the first one. `redrive` is the command
   * that moves it back once the cause is fixed (README: Recovering dead letters).
   */
  alarmOnDeadLetters(id: string, dlq: IQueue, what: string, redrive: string): Alarm {
    return this.above(
      id,
      `${what}: messages in a dead-letter queue. Inspect, fix the cause, then: ${redrive} (see the README, Recovering dead letters)`,
      dlq.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum' }),
      0,
    );
  }

  /** A queue whose oldest message keeps ageing is not being drained (worker failing, throttled or too slow). */
  alarmOnBacklogAge(id: string, queue: IQueue, what: string): Alarm {
    const limit = this.stage.alarms.oldestMessageAgeSeconds;
    return this.above(id, `${what}: oldest message older than ${limit} s`, queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: 'Maximum' }), limit);
  }

  /** A stream consumer falling behind: events reach the topic late, and records near maxRecordAge are dropped. */
  alarmOnIteratorAge(id: string, fn: IFunction, what: string): Alarm {
    const limit = this.stage.alarms.outboxIteratorAgeMs;
    return this.above(id, `${what}: stream iterator age above ${limit} ms`, fn.metric('IteratorAge', { period: ONE_MINUTE, statistic: 'Maximum' }), limit);
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
