/**
 * The SQS worker runtime shared by every service: parse each record into an envelope, run the service's handler,
 * publish what it emits, and report exactly the failed message ids (ReportBatchItemFailures) so only those are
 * retried. A record that cannot be parsed throws: it is retried and, after maxReceiveCount receives, dead-lettered.
 * Business outcomes (declined, out of stock) are results the handler returns, never thrown errors.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseEnvelope, type Envelope } from '../core/events';
import type { ServiceName } from '../services/registry';
import { ENV, required } from './env';
import { serviceFault } from '../core/faults';
import { countingRequests } from './aws';
import { fireOnce, InjectedFault, markFired, orderFaults } from './faults';
import { contention, Inbox } from './inbox';
import { logger } from './logger';
import { emitCount } from './metrics';
import { publish } from './publisher';

export interface WorkerContext {
  readonly service: ServiceName;
  readonly inbox: Inbox;
  /** Milliseconds left in this invocation (lets a handler stop before the Lambda timeout). */
  readonly remainingMs: () => number;
}

export interface HandlerResult {
  /** Events to publish after the effect (re-emitted on a duplicate: consumers drop copies by eventId). */
  emits?: Envelope[];
  /** True when the event had been processed before (the effect was not applied again). */
  duplicate?: boolean;
  /** A short word for the log line: CHARGED, SKIPPED, ... */
  outcome?: string;
}

export type ServiceHandler = (event: Envelope, ctx: WorkerContext) => Promise<HandlerResult>;

/** Raw delivery gives the envelope as the body; a non-raw SNS notification wraps it. Accept both. */
export function envelopeOf(record: Pick<SQSRecord, 'body'>): Envelope {
  const body = JSON.parse(record.body) as { Type?: string; Message?: string };
  return parseEnvelope(body?.Type === 'Notification' && typeof body.Message === 'string' ? body.Message : record.body);
}

/** Why a body did not parse, without quoting it: the JSON error's kind, or the schema issues' paths and codes. */
export function describeParseError(err: unknown): string {
  if (err instanceof SyntaxError) return 'body is not valid JSON';
  const issues = (err as { issues?: { path?: PropertyKey[]; code?: string }[] })?.issues;
  if (Array.isArray(issues)) return `schema: ${issues.map((i) => `${(i.path ?? []).map(String).join('.') || '(root)'} ${i.code ?? 'invalid'}`).join('; ')}`;
  return (err as Error)?.name ?? 'unparseable';
}

export function makeWorker(service: ServiceName, handle: ServiceHandler) {
  const table = required(ENV.serviceTable);
  const inbox = new Inbox(table, Number(process.env[ENV.idempotencyTtlSeconds] ?? 30 * 86_400));
  const processor = new BatchProcessor(EventType.SQS);

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const ctx: WorkerContext = { service, inbox, remainingMs: () => context.getRemainingTimeInMillis() };
    let duplicates = 0;
    const recordHandler = async (record: SQSRecord) => {
      let envelope: Envelope;
      try {
        envelope = envelopeOf(record);
      } catch (err) {
        // Not err.message: JSON.parse quotes the body, which may hold an e-mail address or a payment token.
        logger.error('malformed message', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error: describeParseError(err) });
        throw err;
      }
      const keys = { correlationId: envelope.correlationId, orderId: envelope.orderId, eventType: envelope.eventType, eventId: envelope.eventId };
      // Local stage only (empty elsewhere): the order's fault hooks, honoured here for every service alike.
      const faults = await orderFaults(envelope.orderId);
      // `drop:<service>` loses the order's OrderPlaced at that service (as if it sat in a DLQ); its compensation
      // (OrderCancelled) still arrives, which is what the deadline path needs. A marker says it fired.
      const drop = serviceFault('drop', service);
      if (envelope.eventType === 'OrderPlaced' && faults.includes(drop)) {
        logger.warn('injected fault: OrderPlaced dropped without effect', keys);
        await markFired(table, drop, `${envelope.eventId}#${drop}`);
        return;
      }
      try {
        if (faults.includes(serviceFault('fail', service))) throw new InjectedFault(serviceFault('fail', service), envelope.eventId);
        const { result, requests } = await countingRequests(async () => {
          const r = await handle(envelope, ctx);
          // The effect is committed; dying now, before the emit, is what a timeout or an out-of-memory would do.
          const crash = serviceFault('crash-after-effect', service);
          if (!r.duplicate && faults.includes(crash)) await fireOnce(table, crash, `${envelope.eventId}#${crash}`);
          if (r.emits?.length) await publish(r.emits);
          return r;
        });
        const line = { ...keys, outcome: result.outcome, duplicate: result.duplicate ?? false, emitted: result.emits?.map((e) => e.eventType), sdkRequests: requests.total, requests: requests.byCommand, rcu: requests.rcu, wcu: requests.wcu };
        // A duplicate is the expected at-least-once path, not news: debug level.
        if (result.duplicate) {
          duplicates += 1;
          logger.debug('processed duplicate', line);
        }
        else logger.info('processed', line);
      } catch (err) {
        // An injected fault is the expected local test path: a warning, not an error.
        if (err instanceof InjectedFault) logger.warn('injected fault', { ...keys, fault: err.fault, receiveCount: record.attributes.ApproximateReceiveCount });
        else logger.error('processing failed', { ...keys, receiveCount: record.attributes.ApproximateReceiveCount, error: (err as Error).message, errorName: (err as Error).name });
        throw err;
      }
    };
    const response = await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    // Duplicates are expected under at-least-once delivery; their rate is worth a graph, one metric line per batch.
    if (duplicates > 0) emitCount('DuplicateDeliveries', duplicates, { service });
    // Hot items: how often a commit lost to a concurrent transaction (or was throttled) and was retried in place.
    const retried = contention.retried;
    contention.retried = 0;
    if (retried > 0) {
      emitCount('ConflictsRetried', retried, { service });
      logger.info('contention retried', { retried, records: event.Records.length });
    }
    return response;
  };
}
