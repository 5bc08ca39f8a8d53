/**
 * Counters as CloudWatch Embedded Metric Format: one JSON line on stdout that CloudWatch Logs turns into a metric,
 * with no API call and no extra dependency. Written whatever the log level, because a metric is not a debug message.
 */
export const METRICS_NAMESPACE = 'OrderPipeline';

export function emitCount(name: string, value: number, dimensions: Record<string, string>, now = Date.now()): void {
  process.stdout.write(
    `${JSON.stringify({
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: name, Unit: 'Count' }] }],
      },
      ...dimensions,
      [name]: value,
    })}\n`,
  );
}
