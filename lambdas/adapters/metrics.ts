/**
 * Business and processing metrics as CloudWatch Embedded Metric Format: one JSON line on stdout that CloudWatch Logs
 * turns into metrics, no API call. Namespace `OrderPipeline`; every metric carries the dimensions `service` and
 * `stage`, so two stages in one account never mix. Written whatever the log level: a metric is not a debug message.
 * The names and the namespace are in lambdas/contract.ts, which the dashboard (lib/constructs/dashboard.ts) reads too.
 *
 * A small writer instead of @aws-lambda-powertools/metrics, which would add ~13 KB to every bundle that counts
 * (measured with `npm run bundles -- --compare`, docs/architecture.md) for what these few functions do: the lines are
 * the ones Powertools writes (same `_aws` block, dimension set, units), so switching later changes no metric.
 */
import { API_SERVICE_NAME, ENV, METRICS_NAMESPACE } from '../contract';

/** The CloudWatch units used here. */
export const MetricUnit = { Count: 'Count', NoUnit: 'None' } as const;
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** `service` and `stage` as the functions set them (lib/constructs/pipeline-function.ts). */
const stageDimension = process.env[ENV.stage] ?? 'unknown';
let serviceDimension = process.env[ENV.service] ?? process.env.POWERTOOLS_SERVICE_NAME ?? API_SERVICE_NAME;

/** Counted in this invocation and not yet written: name -> value (all Count, dimensions service + stage). */
const stored = new Map<string, number>();

/**
 * Makes `service` the dimension of what this process counts. On Lambda SERVICE_NAME already says so and nothing
 * changes; a process that builds several workers (tests) switches.
 */
export function metricsFor(service: string): void {
  serviceDimension = service;
}

function write(metrics: { name: string; unit: Unit; value: number }[], extra: Record<string, string> = {}, now = Date.now()): void {
  const dimensions = { service: serviceDimension, stage: stageDimension, ...extra };
  process.stdout.write(
    `${JSON.stringify({
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [
          { Namespace: METRICS_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })) },
        ],
      },
      ...dimensions,
      ...Object.fromEntries(metrics.map((m) => [m.name, m.value])),
    })}\n`,
  );
}

/** Adds to a count of this invocation; `flushMetrics` writes them all as one line. */
export function count(name: string, value = 1): void {
  stored.set(name, (stored.get(name) ?? 0) + value);
}

/** A metric with one extra dimension (reason, currency) goes out as its own EMF line at once. */
export function countWith(name: string, dimension: string, dimensionValue: string, value = 1, unit: Unit = MetricUnit.Count): void {
  write([{ name, unit, value }], { [dimension]: dimensionValue });
}

/** Writes what the invocation counted (one EMF line); nothing when nothing was counted. */
export function flushMetrics(): void {
  if (stored.size === 0) return;
  write([...stored].map(([name, value]) => ({ name, unit: MetricUnit.Count, value })));
  stored.clear();
}

/** Forgets what was counted and not written (tests). */
export function clearMetrics(): void {
  stored.clear();
}
