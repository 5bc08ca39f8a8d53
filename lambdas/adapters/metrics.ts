/**
 * Business and processing metrics with Powertools Metrics (CloudWatch Embedded Metric Format: one JSON line on
 * stdout that CloudWatch Logs turns into metrics, no API call). Namespace `OrderPipeline`; every metric carries the
 * dimensions `service` (POWERTOOLS_SERVICE_NAME) and `stage`, so two stages in one account never mix. Written
 * whatever the log level: a metric is not a debug message. The dashboard (lib/constructs/dashboard.ts) reads these
 * names and dimensions from here.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV } from './env';

export const METRICS_NAMESPACE = 'OrderPipeline';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export const METRIC = {
  /** POST /orders accepted a new order (an Idempotency-Key replay is not counted). */
  ordersAccepted: 'OrdersAccepted',
  /** The aggregate's decision, counted where its conditional write succeeds: once per order. */
  ordersConfirmed: 'OrdersConfirmed',
  /** Dimension `reason` (the OrderCancelled reason). */
  ordersCancelled: 'OrdersCancelled',
  /** Minor units (cents) charged, dimension `currency`; counted once per charge (the inbox commit). */
  chargedAmount: 'ChargedAmount',
  /** Deliveries of an event the service had processed already (dropped: at-least-once at work). */
  duplicateDeliveries: 'DuplicateDeliveries',
  /** Messages a worker processed (first deliveries and duplicates). */
  messagesProcessed: 'MessagesProcessed',
  /** Messages a worker failed (left for redelivery, eventually dead-lettered). */
  messagesFailed: 'MessagesFailed',
  /** DynamoDB transactions retried after a TransactionConflict (emitted by the inbox commit's retry). */
  conflictsRetried: 'ConflictsRetried',
  /** Records a worker handed back unfinished at its batch deadline (DEADLINE_MARGIN_MS before the timeout). */
  recordsHandedBack: 'RecordsHandedBack',
} as const;

/** `service` and `stage` as the functions set them (lib/constructs/pipeline-function.ts). */
export const metricsService = (): string => process.env[ENV.service] ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'orders-api';

const stageDimension = process.env[ENV.stage] ?? 'unknown';
let serviceDimension = metricsService();

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: serviceDimension, defaultDimensions: { stage: stageDimension } });

/**
 * Makes `service` the dimension of what this process counts. On Lambda SERVICE_NAME already says so and nothing
 * changes; a process that builds several workers (tests) switches. Cleared first: overwriting a default dimension
 * makes Powertools print a warning line.
 */
export function metricsFor(service: string): void {
  if (serviceDimension === service) return;
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ service, stage: stageDimension });
  serviceDimension = service;
}

export function count(name: string, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/** A metric with one extra dimension (reason, currency) goes out as its own EMF line at once. */
export function countWith(name: string, dimension: string, dimensionValue: string, value = 1, unit: Unit = MetricUnit.Count): void {
  const single = metrics.singleMetric();
  single.addDimension(dimension, dimensionValue);
  single.addMetric(name, unit, value);
}

/** Writes what the invocation stored (one EMF line); nothing when nothing was counted (no empty-metrics warning). */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

export { MetricUnit };
