/**
 * X-Ray tracing with Powertools Tracer. The functions run with active tracing in AWS stages (lib/stages.ts
 * `tracing`); the SDK clients are captured (lambdas/adapters/aws.ts), so each DynamoDB and SNS call is a subsegment
 * and the trace header travels with the SNS publish to the subscribed queues and on to the next worker: one trace
 * follows an order through SNS and SQS. Each processed record gets its own subsegment annotated with orderId,
 * correlationId and eventType, which X-Ray can search (`annotation.orderId = "..."`).
 * Off (POWERTOOLS_TRACE_ENABLED=false) where there is no X-Ray, e.g. on the local emulator.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { metricsService } from './metrics';

export const tracer = new Tracer({ serviceName: metricsService() });

export interface TraceKeys {
  orderId: string;
  correlationId: string;
  eventType?: string;
}

/** Runs `fn` in a subsegment `## <name>` annotated with the order's keys; just runs it when tracing is off. */
export async function traced<T>(name: string, keys: TraceKeys, fn: () => Promise<T>): Promise<T> {
  if (!tracer.isTracingEnabled()) return fn();
  return tracer.provider.captureAsyncFunc(`## ${name}`, async (subsegment) => {
    subsegment?.addAnnotation('orderId', keys.orderId);
    subsegment?.addAnnotation('correlationId', keys.correlationId);
    if (keys.eventType) subsegment?.addAnnotation('eventType', keys.eventType);
    try {
      return await fn();
    } catch (err) {
      subsegment?.addError(err as Error);
      throw err;
    } finally {
      subsegment?.close();
    }
  }) as Promise<T>;
}
