/**
 * The SQS worker runtime shared by every service: parse each record into an envelope, run the service's handler,
 * publish what it emits, and report exactly the failed message ids (ReportBatchItemFailures) so only those are
 * retried. A record that cannot be parsed throws: it is retried and, after maxReceiveCount receives, dead-lettered.
 * Business outcomes (declined, out of stock) are results the handler returns, never thrown errors.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseEnvelope, type Envelope } from '../core/events';
import { grantsOf, SERVICES, type ServiceName } from '../services/registry';
import { serviceFault } from '../core/faults';
import { countingRequests } from './aws';
import { fireOnce, InjectedFault, loadBatchFaults, markFired, orderFaults } from './faults';
import { assertDeclared, contention, Inbox } from './inbox';
import { logger } from './logger';
import { count, countWith, flushMetrics, metricsFor, MetricUnit } from './metrics';
import { publish } from './publisher';
import { ENV, METRIC } from '../contract';

/**
 * What a worker reads from its environment (set by lib/constructs/worker.ts), read once per cold start by
 * `makeWorker` and handed to the handler in its context; tests build their own.
 */
export interface WorkerConfig {
  /** The service's own table: its inbox records and the records of its effects. */
  readonly serviceTable: string;
  /** The orders table: the order's status items, the lifecycle, the payment token, the fault hooks. */
  readonly ordersTable: string;
  /** Only for a service the registry grants the catalog to (payment, inventory). */
  readonly catalogTable: string | undefined;
  /** Only for a service that emits events. */
  readonly topicArn: string | undefined;
  /** How long an inbox record is kept. */
  readonly idempotencyTtlSeconds: number;
  /** Local stage only: the orders' fault hooks are honoured. */
  readonly faultsEnabled: boolean;
}

const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 30 * 86_400;

/**
 * The service's configuration from the environment. A variable its registry entry needs and the environment lacks
 * throws here, at cold start: the batch fails and is retried (then dead-lettered), nothing is acknowledged.
 */
export function workerConfig(service: ServiceName, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const definition = SERVICES.find((s) => s.name === service);
  if (!definition) throw new Error(`unknown service ${service}`);
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`missing environment variable ${name}`);
    return value;
  };
  const ttl = Number(env[ENV.idempotencyTtlSeconds]);
  return {
    serviceTable: need(ENV.serviceTable),
    ordersTable: need(ENV.ordersTable),
    catalogTable: grantsOf(definition).some((g) => g.table === 'catalog') ? need(ENV.catalogTable) : undefined,
    topicArn: definition.emits.length > 0 ? need(ENV.topicArn) : undefined,
    idempotencyTtlSeconds: Number.isInteger(ttl) && ttl > 0 ? ttl : DEFAULT_IDEMPOTENCY_TTL_SECONDS,
    faultsEnabled: env[ENV.faultsEnabled] === 'true',
  };
}

/** The catalog table of a service granted it (payment, inventory); any other service asking is a programming error. */
export function catalogTableOf(config: WorkerConfig): string {
  if (!config.catalogTable) throw new Error(`this service has no catalog table (${ENV.catalogTable})`);
  return config.catalogTable;
}

export interface WorkerContext {
  readonly service: ServiceName;
  readonly config: WorkerConfig;
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
  /**
   * Where the event's inbox marker lives when it is not the INBOX#<eventId> record: the effect item of a `putOnce`
   * (shipping's shipment). A duplicate is then not noted on a record (the effect item stays as the first delivery
   * wrote it, and no write is spent); the DuplicateDeliveries metric still counts it.
   */
  marker?: { readonly pk: string; readonly sk: string };
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

/**
 * Time kept in hand before the function's timeout. A batch still running then returns: the records done are
 * acknowledged, the rest are handed back as failures (retried after the visibility timeout). Without it the
 * runtime kills the whole batch at the timeout: every record, done or not, counts a receive towards the DLQ, and the
 * next invocation pays a cold start, which on a busy host (or a slow dependency) makes the next batch slower still.
 * A record handed back may still finish in the background (or, on AWS, when the sandbox thaws); that is one more
 * concurrent copy of a message, which the inbox and the effects' conditions already make harmless.
 */
export const DEADLINE_MARGIN_MS = 500;

type Parsed = { readonly envelope: Envelope } | { readonly error: unknown };

function parseRecord(record: SQSRecord): Parsed {
  try {
    return { envelope: envelopeOf(record) };
  } catch (error) {
    return { error };
  }
}

/** Resolves to 'deadline' `ms` from now; `cancel` stops the timer. */
function deadlineIn(ms: number): { readonly reached: Promise<'deadline'>; readonly cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), Math.max(0, ms));
  });
  return { reached, cancel: () => clearTimeout(timer) };
}

/** The Lambda handler of a service: called once at the entry file's module scope, so `config` is read per cold start. */
export function makeWorker(service: ServiceName, handle: ServiceHandler, config: WorkerConfig = workerConfig(service)) {
  const table = config.serviceTable;
  // The registry's `emits` is binding: the inbox records, and the worker publishes, no other event type.
  const declared = SERVICES.find((s) => s.name === service)?.emits;
  if (!declared) throw new Error(`unknown service ${service}`);
  const inbox = new Inbox(table, config.idempotencyTtlSeconds, declared);
  metricsFor(service);

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const ctx: WorkerContext = { service, config, inbox, remainingMs: () => context.getRemainingTimeInMillis() };
    // A processor per batch: one handed back at its deadline may still be running when the next batch starts.
    const processor = new BatchProcessor(EventType.SQS);
    const parsed = new Map(event.Records.map((r) => [r.messageId, parseRecord(r)] as const));
    // Local stage only (a no-op elsewhere): the orders' fault hooks, one read for the whole batch.
    await loadBatchFaults(
      [...parsed.values()].flatMap((p) => ('envelope' in p ? [p.envelope.orderId] : [])),
      config,
    );
    let duplicates = 0;
    let processed = 0;
    let failed = 0;
    const done = new Set<string>();
    const recordHandler = async (record: SQSRecord) => {
      const p = parsed.get(record.messageId) ?? parseRecord(record);
      if ('error' in p) {
        failed += 1;
        // Not err.message: JSON.parse quotes the body, which may hold an e-mail address or a payment token.
        logger.error('malformed message', {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          error: describeParseError(p.error),
        });
        throw p.error;
      }
      const { envelope } = p;
      const keys = { correlationId: envelope.correlationId, orderId: envelope.orderId, eventType: envelope.eventType, eventId: envelope.eventId };
      // Local stage only (empty elsewhere): the order's fault hooks, honoured here for every service alike.
      const faults = await orderFaults(envelope.orderId, config);
      // `drop:<service>` loses the order's OrderPlaced at that service (as if it sat in a DLQ); its compensation
      // (OrderCancelled) still arrives, which is what the deadline path needs. A marker says it fired.
      const drop = serviceFault('drop', service);
      if (envelope.eventType === 'OrderPlaced' && faults.includes(drop)) {
        logger.warn('injected fault: OrderPlaced dropped without effect', keys);
        await markFired(table, drop, `${envelope.eventId}#${drop}`);
        done.add(record.messageId);
        return;
      }
      try {
        if (faults.includes(serviceFault('fail', service))) throw new InjectedFault(serviceFault('fail', service), envelope.eventId);
        const { result, requests } = await countingRequests(async () => {
          const r = await handle(envelope, ctx);
          // Before anything else happens to them: an undeclared type is a programming error (UndeclaredEventError).
          assertDeclared(declared, r.emits);
          // The effect is committed; dying now, before the emit, is what a timeout or an out-of-memory would do.
          const crash = serviceFault('crash-after-effect', service);
          if (!r.duplicate && faults.includes(crash)) await fireOnce(table, crash, `${envelope.eventId}#${crash}`);
          if (r.emits?.length) await publish(r.emits, config.topicArn);
          return r;
        });
        processed += 1;
        if (!result.duplicate) countFirstEffects(result.emits);
        // The aggregate keeps no inbox record (its LIFECYCLE item counts receipts); every other service notes the copy.
        else if (service !== 'orders' && !result.marker) await inbox.countDuplicate(envelope);
        const line = {
          ...keys,
          outcome: result.outcome,
          duplicate: result.duplicate ?? false,
          emitted: result.emits?.map((e) => e.eventType),
          sdkRequests: requests.total,
          requests: requests.byCommand,
          rcu: requests.rcu,
          wcu: requests.wcu,
        };
        // A duplicate is the expected at-least-once path, not news: debug level.
        if (result.duplicate) {
          duplicates += 1;
          logger.debug('processed duplicate', line);
        } else logger.info('processed', line);
        done.add(record.messageId);
      } catch (err) {
        failed += 1;
        // An injected fault is the expected local test path: a warning, not an error.
        if (err instanceof InjectedFault) logger.warn('injected fault', { ...keys, fault: err.fault, receiveCount: record.attributes.ApproximateReceiveCount });
        else
          logger.error('processing failed', {
            ...keys,
            receiveCount: record.attributes.ApproximateReceiveCount,
            error: (err as Error).message,
            errorName: (err as Error).name,
          });
        throw err;
      }
    };
    const work = processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    const deadline = deadlineIn(context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS);
    const first = await Promise.race([work, deadline.reached]);
    deadline.cancel();
    let response: SQSBatchResponse;
    if (first !== 'deadline') response = first;
    else {
      // Whatever is still running goes on in the background; only its failure is worth a line.
      work.catch((err: unknown) => logger.error('batch handed back failed late', { error: (err as Error)?.message }));
      const left = event.Records.filter((r) => !done.has(r.messageId));
      logger.warn('batch deadline: records handed back for a retry', { records: event.Records.length, handedBack: left.length, marginMs: DEADLINE_MARGIN_MS });
      count(METRIC.recordsHandedBack, left.length);
      response = { batchItemFailures: left.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    // One EMF line per batch. Duplicates are expected under at-least-once delivery; their rate is worth a graph.
    if (processed > 0) count(METRIC.messagesProcessed, processed);
    if (duplicates > 0) count(METRIC.duplicateDeliveries, duplicates);
    if (failed > 0) count(METRIC.messagesFailed, failed);
    // Hot items: how often a commit lost to a concurrent transaction (or was throttled) and was retried in place.
    const retried = contention.retried;
    contention.retried = 0;
    if (retried > 0) {
      count(METRIC.conflictsRetried, retried);
      logger.info('contention retried', { retried, records: event.Records.length });
    }
    flushMetrics();
    return response;
  };
}

/**
 * Business metrics of a first delivery (the inbox commit made its effect happen once): money charged. Decisions
 * are counted by the orders aggregate where its conditional write succeeds (lambdas/services/orders/orders.ts).
 */
function countFirstEffects(emits: readonly Envelope[] | undefined): void {
  for (const e of emits ?? []) {
    if (e.eventType === 'PaymentCharged') countWith(METRIC.chargedAmount, 'currency', e.payload.currency, e.payload.amountCents, MetricUnit.NoUnit);
  }
}
