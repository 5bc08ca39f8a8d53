/**
 * `npm run trace -- <orderId>`: one order's timeline across the services, from what the stack stores:
 *  - the orders table's items of the order (lambdas/adapters/keys.ts): ORDER (placed, correlation id), LIFECYCLE (each
 *    upstream outcome, its event id and how many copies arrived, the decision), each service's STATUS (its last
 *    status) and the OUTBOX#<orderId> partition (published or still pending); never its personal data or token;
 *  - each consumer's inbox record `(service, eventId)` for every event the order can have (event ids are a pure
 *    function of order, service and event type, so no index is needed): when it was processed, what it emitted, how
 *    many copies were dropped as duplicates.
 * On AWS (`--stage dev|prod`) it also runs a CloudWatch Logs Insights query over the stack's log groups for the
 * order's correlation id and prints every log line (retries and errors included): `--no-logs` skips it.
 *
 *   npm run trace -- <orderId>                    the emulator `npm run local` brought up in this checkout
 *   npm run trace -- <orderId> --stage dev        AWS
 *   npm run trace -- <orderId> --json             machine-readable
 *
 * Exit codes: 0 traced, 1 no such order, 2 usage or access error.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { pathToFileURL } from 'node:url';
import { batchGetAll } from '../lambdas/adapters/batch-get';
import { inboxKey, lifecycleKey, orderKey, outboxKey, outboxPartition, STATUS_SK, statusKey } from '../lambdas/adapters/keys';
import type { EventType } from '../lambdas/core/events';
import { deterministicEventId } from '../lambdas/core/ids';
import { COMPENSATING_SERVICES, SERVICES, type ServiceName, VISIBLE_SERVICES } from '../lambdas/services/registry';
import { shipmentKey } from '../lambdas/services/shipping/shipping';
import { serviceOutputs, STACK_OUTPUTS } from '../lib/outputs';
import { API_SERVICE_NAME } from '../lambdas/contract';
import { resolveTarget, targetArgs, type Target } from './ops/target';

export interface Consumption {
  service: ServiceName;
  at?: string;
  /** Copies dropped as duplicates after the first. */
  duplicates: number;
  /** What it emitted in response (event types), or the outcome it recorded (orders). */
  result?: string;
}

export interface TracedEvent {
  eventId: string;
  eventType: EventType;
  emitter: string;
  emittedAt?: string;
  /** OrderPlaced only: the outbox item's state. */
  outbox?: 'pending' | 'published' | 'expired';
  consumers: Consumption[];
  /** Services the registry routes this event to that have no record of it (yet). */
  notConsumedBy: ServiceName[];
}

export interface OrderTrace {
  orderId: string;
  correlationId?: string;
  placedAt?: string;
  status: string;
  reason?: string;
  decidedAt?: string;
  decidedBy?: string;
  statuses: Record<string, { status: string; updatedAt?: string; detail?: unknown }>;
  events: TracedEvent[];
  compensation: string[];
  logs?: { at: string; service: string; level: string; message: string; detail: string }[];
  logsNote?: string;
  /** X-Ray trace ids on the order's log lines (AWS, active tracing): the relay's publish and each worker are linked. */
  xrayTraceIds?: string[];
}

type Item = Record<string, unknown>;

/** Services whose queue gets this event type (the subscription filter), and the deadline consumers. */
const consumersOf = (type: EventType): ServiceName[] => SERVICES.filter((s) => s.consumes.includes(type) || s.afterDeadline?.includes(type)).map((s) => s.name);

/** Every event an order can have: OrderPlaced (the API, as `orders`), and each service's outcomes (registry). */
export function candidateEvents(orderId: string): { eventId: string; eventType: EventType; emitter: string }[] {
  return [
    { eventId: deterministicEventId(orderId, 'orders', 'OrderPlaced'), eventType: 'OrderPlaced', emitter: API_SERVICE_NAME },
    ...SERVICES.flatMap((s) => s.emits.map((t) => ({ eventId: deterministicEventId(orderId, s.name, t), eventType: t, emitter: s.name }))),
  ];
}

const parseList = (v: unknown): { eventType?: string; occurredAt?: string; eventId?: string }[] => {
  try {
    const list = typeof v === 'string' ? JSON.parse(v) : v;
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
};

/**
 * Builds the trace from the order's orders-table items (ORDER, LIFECYCLE, STATUS, OUTBOX#) and the inbox records
 * found (keyed `${service}/${eventId}`). Pure, so the unit tests can feed it items.
 */
export function buildTrace(orderId: string, orderItems: readonly Item[], inbox: ReadonlyMap<string, Item>): OrderTrace | undefined {
  // STATUS items share their sort key (each service's has its own partition, STATUS#<service>#<orderId>).
  const bySk = new Map(orderItems.filter((i) => i.sk !== STATUS_SK).map((i) => [String(i.sk), i]));
  const order = bySk.get(orderKey(orderId).sk);
  if (!order) return undefined;
  const lifecycle = bySk.get(lifecycleKey(orderId).sk);
  const statuses: OrderTrace['statuses'] = {};
  for (const item of orderItems) {
    if (item.sk === STATUS_SK && typeof item.service === 'string') {
      statuses[item.service] = { status: String(item.status), updatedAt: item.updatedAt as string | undefined, detail: item.detail };
    }
  }
  const decision =
    typeof lifecycle?.decision === 'string' ? (JSON.parse(lifecycle.decision) as { eventId: string; eventType: EventType; occurredAt: string }) : undefined;

  // What each emitter says it emitted (inbox `emits`, the stored decision), with the time.
  const emitted = new Map<string, string | undefined>();
  for (const record of inbox.values()) for (const e of parseList(record.emits)) if (e.eventId) emitted.set(e.eventId, e.occurredAt);
  if (decision) emitted.set(decision.eventId, decision.occurredAt);

  const events: TracedEvent[] = [];
  for (const c of candidateEvents(orderId)) {
    const consumers: Consumption[] = [];
    for (const service of consumersOf(c.eventType)) {
      if (service === 'orders' && c.eventType !== 'OrderPlaced') {
        // The aggregate keeps no inbox: the LIFECYCLE slot says which event filled it and how many copies arrived.
        const slot = ['PaymentCharged', 'PaymentDeclined', 'OrderRejected'].includes(c.eventType) ? 'payment' : 'inventory';
        if (lifecycle?.[`${slot}EventId`] === c.eventId) {
          consumers.push({
            service,
            at: lifecycle.updatedAt as string | undefined,
            duplicates: Math.max(0, Number(lifecycle[`${slot}Receipts`] ?? 1) - 1),
            result: `recorded ${String(lifecycle[slot])}`,
          });
        }
        continue;
      }
      const record = inbox.get(`${service}/${c.eventId}`);
      if (!record) continue;
      const out = parseList(record.emits).map((e) => e.eventType);
      consumers.push({
        service,
        at: record.processedAt as string | undefined,
        duplicates: Number(record.duplicates ?? 0),
        result: out.length ? `-> ${out.join(', ')}` : undefined,
      });
    }
    consumers.sort((a, b) => String(a.at ?? '~').localeCompare(String(b.at ?? '~')));
    const isPlaced = c.eventType === 'OrderPlaced';
    const exists = isPlaced || emitted.has(c.eventId) || consumers.length > 0;
    if (!exists) continue;
    const outboxItem = isPlaced ? bySk.get(outboxKey(orderId, c.eventId).sk) : undefined;
    const routed = consumersOf(c.eventType).filter((s) => !(s === 'orders' && isPlaced && typeof lifecycle?.decision === 'string'));
    events.push({
      ...c,
      emitter: isPlaced ? `${API_SERVICE_NAME} (POST /orders, via the outbox)` : c.emitter,
      emittedAt: isPlaced ? (order.createdAt as string | undefined) : emitted.get(c.eventId),
      ...(isPlaced ? { outbox: !outboxItem ? 'expired' : outboxItem.pendingShard ? 'pending' : 'published' } : {}),
      consumers,
      notConsumedBy: routed.filter((s) => !consumers.some((x) => x.service === s)),
    } as TracedEvent);
  }
  events.sort((a, b) => String(a.emittedAt ?? '~').localeCompare(String(b.emittedAt ?? '~')));

  const compensation = COMPENSATING_SERVICES.filter((s) => ['REFUNDED', 'VOIDED', 'RELEASED'].includes(statuses[s]?.status ?? '')).map(
    (s) => `${s} ${statuses[s]!.status}${(statuses[s]!.detail as { late?: boolean } | undefined)?.late ? ' (a late outcome, after the decision)' : ''}`,
  );

  return {
    orderId,
    correlationId: order.correlationId as string | undefined,
    placedAt: order.createdAt as string | undefined,
    status: typeof lifecycle?.status === 'string' ? lifecycle.status : 'ACCEPTED',
    reason: lifecycle?.reason as string | undefined,
    decidedAt: lifecycle?.decidedAt as string | undefined,
    decidedBy: decision?.eventType,
    statuses,
    events,
    compensation,
  };
}

/** Services whose inbox marker is on their effect item (lambdas/adapters/inbox.ts putOnce), not an INBOX# record. */
const MARKERS: Partial<Record<ServiceName, (orderId: string) => { pk: string; sk: string }>> = { shipping: shipmentKey };

export async function collect(target: Target, orderId: string): Promise<OrderTrace | undefined> {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(target.clientConfig));
  const ordersTable = target.outputs[STACK_OUTPUTS.ordersTableName];
  if (!ordersTable) throw new Error(`the stack outputs have no ${STACK_OUTPUTS.ordersTableName}`);
  // The order, its lifecycle and each visible status (one BatchGetItem), then its OUTBOX# partition.
  const keys = [orderKey(orderId), lifecycleKey(orderId), ...VISIBLE_SERVICES.map((name) => statusKey(orderId, name))];
  const orderItems: Item[] = await batchGetAll(ddb, ordersTable, keys, { consistentRead: true, rounds: 5 });
  if (!orderItems.some((i) => i.sk === 'ORDER')) return undefined;
  const outbox = paginateQuery(
    { client: ddb },
    { TableName: ordersTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': outboxPartition(orderId) }, ConsistentRead: true },
  );
  for await (const page of outbox) orderItems.push(...(page.Items ?? []));

  const inbox = new Map<string, Item>();
  await Promise.all(
    candidateEvents(orderId).flatMap((c) =>
      consumersOf(c.eventType)
        .filter((service) => service !== 'orders')
        .map(async (service) => {
          const table = target.outputs[serviceOutputs(service).tableName];
          if (!table) return;
          const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: inboxKey(c.eventId), ConsistentRead: true }));
          if (Item) inbox.set(`${service}/${c.eventId}`, Item);
          const marker = MARKERS[service]?.(orderId);
          if (Item || !marker) return;
          // A putOnce effect item carries the marker itself (inboxEventId, emits); its time is the effect's.
          const { Item: effect } = await ddb.send(new GetCommand({ TableName: table, Key: marker, ConsistentRead: true }));
          if (effect?.inboxEventId === c.eventId) inbox.set(`${service}/${c.eventId}`, { ...effect, processedAt: effect.processedAt ?? effect.requestedAt });
        }),
    ),
  );
  return buildTrace(orderId, orderItems, inbox);
}

/** The Logs Insights query of one order: every line with its correlation id or order id, oldest first. */
export function insightsQuery(correlationId: string, orderId: string): string {
  const q = (s: string) => s.replace(/["\\]/g, '');
  return [
    'fields @timestamp, service, level, message, eventType, eventId, outcome, duplicate, receiveCount, error, xray_trace_id',
    `| filter correlationId = "${q(correlationId)}" or orderId = "${q(orderId)}"`,
    '| sort @timestamp asc',
    '| limit 500',
  ].join(' ');
}

async function logsOnAws(target: Target, trace: OrderTrace, deadlineMs = 60_000): Promise<void> {
  const logs = new CloudWatchLogsClient(target.clientConfig);
  const groups: string[] = [];
  let nextToken: string | undefined;
  do {
    // CloudFormation names the stack's log groups `<stack>-<logical id>-<suffix>`.
    const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `${target.stackName}-`, nextToken }));
    groups.push(...(page.logGroups ?? []).map((g) => g.logGroupName!).filter(Boolean));
    nextToken = page.nextToken;
  } while (nextToken);
  if (groups.length === 0) {
    trace.logsNote = `no log groups named ${target.stackName}-*`;
    return;
  }
  const placed = Date.parse(trace.placedAt ?? '') || Date.now() - 86_400_000;
  const { queryId } = await logs.send(
    new StartQueryCommand({
      logGroupNames: groups.slice(0, 50),
      startTime: Math.floor(placed / 1000) - 60,
      endTime: Math.floor(Date.now() / 1000) + 60,
      queryString: insightsQuery(trace.correlationId ?? trace.orderId, trace.orderId),
    }),
  );
  const until = Date.now() + deadlineMs;
  for (;;) {
    const r = await logs.send(new GetQueryResultsCommand({ queryId }));
    if (r.status === 'Complete') {
      const rows = (r.results ?? []).map((row) => Object.fromEntries(row.map((c) => [c.field!, c.value ?? ''])) as Record<string, string>);
      trace.xrayTraceIds = [...new Set(rows.map((f) => f.xray_trace_id).filter((id): id is string => !!id))];
      trace.logs = rows.map((f) => {
        const detail = ['eventType', 'eventId', 'outcome', 'duplicate', 'receiveCount', 'error']
          .filter((k) => f[k])
          .map((k) => `${k}=${f[k]}`)
          .join(' ');
        return { at: f['@timestamp'] ?? '', service: f.service ?? '', level: f.level ?? '', message: f.message ?? '', detail };
      });
      return;
    }
    if (['Failed', 'Cancelled', 'Timeout'].includes(String(r.status))) throw new Error(`Logs Insights query ${r.status}`);
    if (Date.now() > until) throw new Error('Logs Insights query did not complete within 60 s');
    await new Promise((res) => setTimeout(res, 1000));
  }
}

export function render(t: OrderTrace): string {
  const t0 = Date.parse(t.placedAt ?? '');
  const rel = (at?: string) => {
    const ms = Date.parse(at ?? '') - t0;
    return Number.isFinite(ms) ? `+${ms} ms`.padStart(11) : '         ?';
  };
  const out: string[] = [];
  out.push(`order ${t.orderId}: ${t.status}${t.reason ? ` (${t.reason})` : ''}`);
  out.push(`placed ${t.placedAt ?? '?'}, correlation id ${t.correlationId ?? '?'}`);
  out.push(
    `services: ${
      Object.entries(t.statuses)
        .map(([s, v]) => `${s} ${v.status}`)
        .join(', ') || 'none yet'
    }`,
  );
  out.push('');
  out.push('TIMELINE (from placing the order)');
  for (const e of t.events) {
    out.push(`${rel(e.emittedAt)}  ${e.eventType} ${e.eventId}  emitted by ${e.emitter}${e.outbox ? `; outbox item ${e.outbox}` : ''}`);
    for (const c of e.consumers) {
      out.push(`${rel(c.at)}      consumed by ${c.service}${c.result ? ` ${c.result}` : ''}${c.duplicates ? `; ${c.duplicates} duplicate(s) dropped` : ''}`);
    }
    if (e.notConsumedBy.length) out.push(`                not (yet) consumed by: ${e.notConsumedBy.join(', ')}`);
  }
  out.push('');
  out.push(
    t.decidedAt
      ? `DECISION ${t.status}${t.reason ? ` ${t.reason}` : ''} at ${t.decidedAt} (${rel(t.decidedAt).trim()})${t.decidedBy ? `, event ${t.decidedBy}` : ''}`
      : 'DECISION none yet (the order is ACCEPTED: waiting for payment and inventory, or for its deadline)',
  );
  out.push(`COMPENSATION ${t.compensation.length ? t.compensation.join(', ') : 'none'}`);
  const dropped = t.events.reduce((n, e) => n + e.consumers.reduce((m, c) => m + c.duplicates, 0), 0);
  out.push(`DUPLICATES dropped: ${dropped}`);
  if (t.logs) {
    out.push('');
    out.push(`LOGS (CloudWatch Logs Insights, ${t.logs.length} line(s))`);
    for (const l of t.logs) out.push(`  ${l.at}  ${l.service.padEnd(12)} ${l.level.padEnd(5)} ${l.message}${l.detail ? `  ${l.detail}` : ''}`);
  } else if (t.logsNote) {
    out.push('');
    out.push(`LOGS ${t.logsNote}`);
  }
  if (t.xrayTraceIds?.length) out.push(`X-RAY traces (open in the X-Ray console): ${t.xrayTraceIds.join(', ')}`);
  return out.join('\n');
}

async function main(args: string[]): Promise<number> {
  const orderId = args.find((a, i) => !a.startsWith('--') && !(i > 0 && ['--stage', '--endpoint', '--outputs'].includes(args[i - 1]!)));
  if (!orderId || args.includes('--help')) {
    console.error('usage: npm run trace -- <orderId> [--stage local|dev|prod] [--endpoint <url>] [--json] [--no-logs]');
    return 2;
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(orderId)) {
    console.error(`trace: "${orderId}" is not an order id (1 to 64 of A-Z, a-z, 0-9, -)`);
    return 2;
  }
  const target = await resolveTarget(targetArgs(args));
  const trace = await collect(target, orderId);
  if (!trace) {
    console.error(`trace: no order ${orderId} in ${target.where}`);
    return 1;
  }
  if (!target.endpoint && !args.includes('--no-logs')) {
    await logsOnAws(target, trace).catch((err: Error) => (trace.logsNote = `Logs Insights failed: ${err.message}`));
  } else if (target.endpoint) {
    trace.logsNote = 'not queried on the emulator (no Logs Insights there): the worker logs are in .local/ministack.log';
  }
  console.log(args.includes('--json') ? JSON.stringify(trace, null, 2) : render(trace));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`trace: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
