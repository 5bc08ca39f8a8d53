import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { type Alarm, AlarmStatusWidget, Dashboard, GraphWidget, type IMetric, MathExpression, Metric, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PAYLOADS } from '../../lambdas/core/events';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import type { StageConfig } from '../stages';
import { METRIC, METRICS_NAMESPACE } from '../../lambdas/contract';

export interface ServiceParts {
  readonly queue: IQueue;
  readonly dlq: IQueue;
  readonly subscriptionDlq: IQueue;
  /** The order-deadline queue's DLQ, for a service that has one (orders). */
  readonly deadlineDlq?: IQueue;
  readonly fn: IFunction;
}

export interface PipelineDashboardProps {
  readonly stage: StageConfig;
  readonly dashboardName: string;
  readonly api: HttpApi;
  readonly apiServiceName: string;
  readonly relay: { readonly fn: IFunction; readonly dlq: IQueue; readonly sweeper?: IFunction };
  /** Per registry service: its queue, DLQs and worker. */
  readonly services: ReadonlyMap<ServiceName, ServiceParts>;
  readonly alarms: readonly Alarm[];
}

const PERIOD = Duration.minutes(1);
const WIDTH = 8;
const HEIGHT = 6;

/** Every reason an order can be cancelled for, from the event schema (a new reason gets its line by itself). */
export const CANCEL_REASONS: readonly string[] = PAYLOADS.OrderCancelled.shape.reason.options;

/** Widget title of a registry service's row (the template test finds one per service by it). */
export const serviceWidgetTitle = (name: string) => `service ${name}: messages, DLQ, age, concurrency`;

/**
 * The pipeline on one screen, built from the registry: a row per service. Reads the Powertools metrics the
 * functions emit (lambdas/adapters/metrics.ts: namespace OrderPipeline, dimensions service + stage) and the
 * AWS metrics of the API, queues and functions. On the emulator it deploys but stays empty: MiniStack emits no
 * metrics (use `npm run status` there).
 */
export class PipelineDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const stage = props.stage.name;
    const own = (metricName: string, service: string, extra: Record<string, string> = {}, label?: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service, stage, ...extra }, statistic: 'Sum', period: PERIOD, label });
    /** A metric of every service (or every value of a dimension) at once, for metrics whose dimension values are open. */
    const search = (metricName: string, dims: string[], label: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${dims.join(',')}} MetricName="${metricName}" stage="${stage}"', 'Sum', 60)`,
        usingMetrics: {},
        label,
        period: PERIOD,
      });

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName, defaultInterval: Duration.hours(3) });
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = WIDTH) => new GraphWidget({ title, left, right, width, height: HEIGHT });

    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Order pipeline (${stage})\nRunbook: RUNBOOK.md. Live view: \`npm run status -- --stage ${stage}\`; one order: \`npm run trace -- <orderId> --stage ${stage}\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'alarms', alarms: [...props.alarms], width: 24, height: 3 }));

    const api = props.api;
    this.dashboard.addWidgets(
      graph('API: requests, 4xx, 5xx', [
        api.metricCount({ period: PERIOD, label: 'requests' }),
        api.metricClientError({ period: PERIOD, label: '4xx' }),
        api.metricServerError({ period: PERIOD, label: '5xx' }),
      ]),
      graph('API: latency (ms)', [
        api.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
        api.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' }),
        api.metricIntegrationLatency({ period: PERIOD, statistic: 'p99', label: 'integration p99' }),
      ]),
      graph('orders accepted and decided per minute', [
        own(METRIC.ordersAccepted, props.apiServiceName, {}, 'accepted'),
        own(METRIC.ordersConfirmed, 'orders', {}, 'confirmed'),
        ...CANCEL_REASONS.map((reason) => own(METRIC.ordersCancelled, 'orders', { reason }, `cancelled ${reason}`)),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'outbox relay: iterator age (ms), errors, on-failure DLQ',
        [props.relay.fn.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum', label: 'iterator age max (ms)' })],
        [
          props.relay.fn.metricErrors({ period: PERIOD, label: 'relay errors' }),
          ...(props.relay.sweeper ? [props.relay.sweeper.metricErrors({ period: PERIOD, label: 'sweeper errors' })] : []),
          props.relay.dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'outbox DLQ' }),
        ],
      ),
      graph('charged (minor units) by currency', [search(METRIC.chargedAmount, ['currency', 'service', 'stage'], '')]),
      graph('conflicts retried (TransactionConflict) by service', [search(METRIC.conflictsRetried, ['service', 'stage'], '')]),
    );

    const rows = SERVICES.map((s) => {
      const parts = props.services.get(s.name);
      if (!parts) throw new Error(`dashboard: no queue/worker for registry service ${s.name}`);
      return graph(
        serviceWidgetTitle(s.name),
        [
          own(METRIC.messagesProcessed, s.name, {}, 'processed'),
          own(METRIC.duplicateDeliveries, s.name, {}, 'duplicates dropped'),
          own(METRIC.messagesFailed, s.name, {}, 'failed'),
          own(METRIC.recordsHandedBack, s.name, {}, 'handed back at the batch deadline'),
          parts.dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'DLQ depth' }),
          parts.subscriptionDlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'subscription DLQ depth' }),
          ...(parts.deadlineDlq
            ? [parts.deadlineDlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'deadline DLQ depth' })]
            : []),
          parts.fn.metric('ConcurrentExecutions', { period: PERIOD, statistic: 'Maximum', label: 'concurrency' }),
        ],
        [parts.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum', label: 'oldest message age (s)' })],
      );
    });
    for (let i = 0; i < rows.length; i += 3) this.dashboard.addWidgets(...rows.slice(i, i + 3));
  }
}
