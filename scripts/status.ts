/**
 * `npm run status`: is the pipeline keeping up, and what needs a human. A live view (refreshes every --interval
 * seconds; `--once` prints once) of:
 *  - every queue and DLQ of the stack: depth, in flight, delayed, oldest message age;
 *  - the outbox: events still pending (the sparse pending index), the oldest, and how many are past the sweep age;
 *  - orders placed in the last --minutes by lifecycle state, decisions per minute, undecided orders past deadline.
 * DLQs with messages and undecided orders past their deadline are listed under ATTENTION (red/yellow on a TTY;
 * plain text, no colour, when the output is not a terminal, e.g. in CI logs).
 *
 *   npm run status                         the emulator `npm run local` brought up in this checkout
 *   npm run status -- --once               one print (exit 0; 3 if something needs attention)
 *   npm run status -- --stage dev          AWS (default credentials; cdk-outputs.json or CloudFormation)
 *   npm run status -- --endpoint http://127.0.0.1:4566 --minutes 60 --interval 5
 *
 * Oldest message age: SQS has no such queue attribute (it is a CloudWatch metric, which the emulator does not emit).
 * For a main queue the command reads the metric on AWS (1-minute maximum, up to a few minutes late) and shows "-"
 * on the emulator; it never receives from a main queue (that would count as a receive and push messages toward the
 * DLQ). For a non-empty DLQ it peeks at up to 10 messages (visibility timeout 0: they stay visible, nothing is
 * deleted) and shows now minus the oldest SentTimestamp it saw (a lower bound when the DLQ holds more than 10),
 * plus the order ids of those dead letters, ready for `npm run trace`.
 * Orders by state: a Scan of the orders table's ORDER and LIFECYCLE items (projected, at most --max-items), fine for
 * the emulator and small stages; on a large production table use the dashboard (the scan is reported).
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import { pathToFileURL } from 'node:url';
import { SERVICES } from '../lambdas/services/registry';
import { serviceOutputs, STACK_OUTPUTS } from '../lib/outputs';
import { visibilityTimeoutSeconds } from '../lib/stages';
import { argValue, resolveTarget, targetArgs, type Target } from './ops/target';
import { KEY_PREFIX, OUTBOX_PENDING, OUTBOX_PENDING_INDEX } from '../lambdas/contract';

export interface QueueRow {
  name: string;
  kind: 'queue' | 'dlq';
  url: string;
  depth: number;
  inFlight: number;
  delayed: number;
  /** Seconds; undefined when unknown (main queue on the emulator). */
  oldestAgeSeconds?: number;
  /** How the age was obtained: `cloudwatch`, `peek` (a lower bound if more than 10), or none. */
  ageSource?: 'cloudwatch' | 'peek';
  /** Order ids of the dead letters peeked at (DLQs only). */
  sampleOrders?: string[];
}

export interface OrdersSummary {
  windowMinutes: number;
  placed: number;
  byState: Record<string, number>;
  decidedInWindow: number;
  decidedLastMinute: number;
  /** Undecided orders whose deadline (+ one visibility timeout of grace) has passed, oldest first. */
  stuck: { orderId: string; ageSeconds: number; waitingFor: string[] }[];
  scannedItems: number;
  truncated: boolean;
}

export interface OutboxSummary {
  pending: number;
  oldestPendingSeconds?: number;
  /** Pending longer than the sweeper's threshold: the relay did not publish them. */
  pastSweepAge: number;
  /** Order ids of the oldest pending events (up to 5). */
  oldestOrders: string[];
}

export interface StatusSnapshot {
  where: string;
  at: Date;
  queues: QueueRow[];
  outbox: OutboxSummary;
  orders: OrdersSummary;
  deadlineSeconds: number;
}

/** Every queue the stack outputs, in registry order: queue, DLQ, and the deadline pair where a service has one. */
export function queuesOf(outputs: Record<string, string>): Omit<QueueRow, 'depth' | 'inFlight' | 'delayed'>[] {
  const rows: Omit<QueueRow, 'depth' | 'inFlight' | 'delayed'>[] = [];
  for (const s of SERVICES) {
    const keys = serviceOutputs(s.name);
    const add = (name: string, kind: 'queue' | 'dlq', key: string) => outputs[key] && rows.push({ name, kind, url: outputs[key]! });
    add(s.name, 'queue', keys.queueUrl);
    add(`${s.name} DLQ`, 'dlq', keys.dlqUrl);
    if ('deadlineQueueUrl' in keys) {
      add(`${s.name} deadline`, 'queue', (keys as { deadlineQueueUrl: string }).deadlineQueueUrl);
      add(`${s.name} deadline DLQ`, 'dlq', (keys as { deadlineDlqUrl: string }).deadlineDlqUrl);
    }
  }
  if (outputs[STACK_OUTPUTS.outboxDlqUrl]) rows.push({ name: 'outbox relay DLQ', kind: 'dlq', url: outputs[STACK_OUTPUTS.outboxDlqUrl]! });
  return rows;
}

const queueName = (url: string) => url.split('/').pop() ?? url;

async function readQueue(
  sqs: SQSClient,
  cw: CloudWatchClient | undefined,
  row: Omit<QueueRow, 'depth' | 'inFlight' | 'delayed'>,
  now: number,
): Promise<QueueRow> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: row.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const out: QueueRow = {
    ...row,
    depth: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
  if (row.kind === 'dlq' && out.depth > 0) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: row.url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    const sent = Messages.map((m) => Number(m.Attributes?.SentTimestamp)).filter((t) => t > 0);
    if (sent.length) Object.assign(out, { oldestAgeSeconds: Math.max(0, Math.round((now - Math.min(...sent)) / 1000)), ageSource: 'peek' });
    out.sampleOrders = [...new Set(Messages.map((m) => orderIdOf(m.Body)).filter((id): id is string => !!id))];
  } else if (cw && out.depth + out.inFlight > 0) {
    const { MetricDataResults = [] } = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 10 * 60_000),
        EndTime: new Date(now),
        MetricDataQueries: [
          {
            Id: 'age',
            MetricStat: {
              Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: queueName(row.url) }] },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
        ScanBy: 'TimestampDescending',
      }),
    );
    const latest = MetricDataResults[0]?.Values?.[0];
    if (latest !== undefined) Object.assign(out, { oldestAgeSeconds: Math.round(latest), ageSource: 'cloudwatch' });
  }
  return out;
}

/** The order id of a dead letter: the envelope's, raw or wrapped in an SNS notification; undefined if unparseable. */
export function orderIdOf(body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { orderId?: unknown; Type?: string; Message?: string };
    const envelope = parsed?.Type === 'Notification' && typeof parsed.Message === 'string' ? (JSON.parse(parsed.Message) as { orderId?: unknown }) : parsed;
    return typeof envelope?.orderId === 'string' ? envelope.orderId : undefined;
  } catch {
    return undefined;
  }
}

async function readOutbox(ddb: DynamoDBDocumentClient, table: string, sweepAfterSeconds: number, now: number): Promise<OutboxSummary> {
  let pending = 0;
  let pastSweepAge = 0;
  let oldest: number | undefined;
  const oldestOrders: string[] = [];
  const pages = paginateQuery(
    { client: ddb },
    {
      TableName: table,
      IndexName: OUTBOX_PENDING_INDEX,
      KeyConditionExpression: '#shard = :pending',
      ExpressionAttributeNames: { '#shard': OUTBOX_PENDING.partition, '#since': OUTBOX_PENDING.since },
      ExpressionAttributeValues: { ':pending': OUTBOX_PENDING.value },
      ProjectionExpression: 'pk, #since',
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const since = Number(item[OUTBOX_PENDING.since]);
      pending += 1;
      // The index is sorted by pendingSince: the first ones are the oldest.
      if (oldestOrders.length < 5) oldestOrders.push(String(item.pk).slice(KEY_PREFIX.outbox.length));
      if (now - since >= sweepAfterSeconds * 1000) pastSweepAge += 1;
      oldest = oldest === undefined ? since : Math.min(oldest, since);
    }
  }
  return { pending, pastSweepAge, oldestOrders, oldestPendingSeconds: oldest === undefined ? undefined : Math.max(0, Math.round((now - oldest) / 1000)) };
}

/** Lifecycle state of one order from its ORDER and LIFECYCLE items (no LIFECYCLE yet: no outcome arrived). */
export function stateOf(lifecycle: Record<string, unknown> | undefined): string {
  const status = typeof lifecycle?.status === 'string' ? lifecycle.status : 'ACCEPTED';
  return status === 'CANCELLED' && typeof lifecycle?.reason === 'string' ? `CANCELLED ${lifecycle.reason}` : status;
}

export function summarizeOrders(
  items: readonly Record<string, unknown>[],
  {
    now,
    windowMinutes,
    deadlineSeconds,
    graceSeconds,
    truncated = false,
  }: { now: number; windowMinutes: number; deadlineSeconds: number; graceSeconds: number; truncated?: boolean },
): OrdersSummary {
  const orders = new Map<string, { createdAt?: number; lifecycle?: Record<string, unknown> }>();
  // ORDER#<id> / ORDER and LIFECYCLE#<id> / LIFECYCLE (lambdas/adapters/keys.ts).
  const prefixes = { ORDER: KEY_PREFIX.order, LIFECYCLE: KEY_PREFIX.lifecycle } as Record<string, string>;
  for (const item of items) {
    const prefix = prefixes[String(item.sk)];
    if (!prefix || !String(item.pk).startsWith(prefix)) continue;
    const id = String(item.pk).slice(prefix.length);
    const o = orders.get(id) ?? {};
    if (item.sk === 'ORDER') o.createdAt = Date.parse(String(item.createdAt));
    else o.lifecycle = item;
    orders.set(id, o);
  }
  const since = now - windowMinutes * 60_000;
  const byState: Record<string, number> = {};
  const stuck: OrdersSummary['stuck'] = [];
  let placed = 0;
  let decidedInWindow = 0;
  let decidedLastMinute = 0;
  for (const [orderId, o] of orders) {
    const state = stateOf(o.lifecycle);
    if (o.createdAt !== undefined && o.createdAt >= since) {
      placed += 1;
      byState[state] = (byState[state] ?? 0) + 1;
    }
    const decidedAt = Date.parse(String(o.lifecycle?.decidedAt ?? ''));
    if (decidedAt >= since) decidedInWindow += 1;
    if (decidedAt >= now - 60_000) decidedLastMinute += 1;
    if (state === 'ACCEPTED' && o.createdAt !== undefined && now - o.createdAt > (deadlineSeconds + graceSeconds) * 1000) {
      const waitingFor = ['payment', 'inventory'].filter((slot) => typeof o.lifecycle?.[slot] !== 'string');
      stuck.push({ orderId, ageSeconds: Math.round((now - o.createdAt) / 1000), waitingFor });
    }
  }
  stuck.sort((a, b) => b.ageSeconds - a.ageSeconds);
  return { windowMinutes, placed, byState, decidedInWindow, decidedLastMinute, stuck, scannedItems: items.length, truncated };
}

async function scanOrders(ddb: DynamoDBDocumentClient, table: string, maxItems: number): Promise<{ items: Record<string, unknown>[]; truncated: boolean }> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateScan(
    { client: ddb },
    {
      TableName: table,
      FilterExpression: 'sk IN (:order, :lifecycle)',
      ProjectionExpression: 'pk, sk, createdAt, #status, reason, decidedAt, payment, inventory',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':order': 'ORDER', ':lifecycle': 'LIFECYCLE' },
    },
  );
  for await (const page of pages) {
    items.push(...(page.Items ?? []));
    // Stop at maxItems: the scan is then truncated if the table has more pages.
    if (items.length >= maxItems && page.LastEvaluatedKey) return { items, truncated: true };
  }
  return { items, truncated: false };
}

export async function snapshot(
  target: Target,
  { windowMinutes, maxItems, now = Date.now() }: { windowMinutes: number; maxItems: number; now?: number },
): Promise<StatusSnapshot> {
  const sqs = new SQSClient(target.clientConfig);
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(target.clientConfig));
  const cw = target.endpoint ? undefined : new CloudWatchClient(target.clientConfig);
  const table = target.outputs[STACK_OUTPUTS.ordersTableName];
  if (!table) throw new Error(`the stack outputs have no ${STACK_OUTPUTS.ordersTableName}`);
  const deadlineSeconds = target.config.orderDeadlineSeconds;
  const [queues, outbox, scanned] = await Promise.all([
    Promise.all(queuesOf(target.outputs).map((q) => readQueue(sqs, cw, q, now))),
    readOutbox(ddb, table, target.config.outbox.sweepAfterSeconds, now),
    scanOrders(ddb, table, maxItems),
  ]);
  const orders = summarizeOrders(scanned.items, {
    now,
    windowMinutes,
    deadlineSeconds,
    graceSeconds: visibilityTimeoutSeconds(target.config),
    truncated: scanned.truncated,
  });
  return { where: target.where, at: new Date(now), queues, outbox, orders, deadlineSeconds };
}

const ANSI = { red: '\x1b[31m', yellow: '\x1b[33m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' };

export function age(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** Lines that need a human: DLQs with messages, undecided orders past deadline, outbox events past the sweep age. */
export function attention(s: StatusSnapshot): string[] {
  const lines: string[] = [];
  for (const q of s.queues.filter((q) => q.kind === 'dlq' && q.depth + q.inFlight > 0)) {
    const orders = q.sampleOrders?.length ? `; orders: ${q.sampleOrders.slice(0, 5).join(', ')}${q.sampleOrders.length > 5 ? ', ...' : ''}` : '';
    lines.push(
      `DLQ ${q.name}: ${q.depth + q.inFlight} message(s), oldest ${q.ageSource === 'peek' && q.depth > 10 ? '>= ' : ''}${age(q.oldestAgeSeconds)}${orders}`,
    );
  }
  for (const o of s.orders.stuck.slice(0, 10)) {
    lines.push(
      `UNDECIDED past deadline (${s.deadlineSeconds}s): order ${o.orderId}, placed ${age(o.ageSeconds)} ago, waiting for ${o.waitingFor.join(' and ') || 'the decision'}`,
    );
  }
  if (s.orders.stuck.length > 10) lines.push(`... and ${s.orders.stuck.length - 10} more undecided past deadline`);
  if (s.outbox.pastSweepAge > 0) {
    lines.push(
      `OUTBOX: ${s.outbox.pastSweepAge} event(s) pending longer than the sweep age: the relay did not publish them; oldest orders: ${s.outbox.oldestOrders.join(', ')}`,
    );
  }
  return lines;
}

export function render(s: StatusSnapshot, { colour }: { colour: boolean }): string {
  const c = (code: keyof typeof ANSI, text: string) => (colour ? `${ANSI[code]}${text}${ANSI.reset}` : text);
  const out: string[] = [];
  out.push(c('bold', `order pipeline status: ${s.where}`) + `  ${s.at.toISOString().replace(/\.\d+Z$/, 'Z')}`);
  out.push('');
  out.push(`${'QUEUE'.padEnd(26)}${'depth'.padStart(7)}${'in flight'.padStart(11)}${'delayed'.padStart(9)}${'oldest'.padStart(10)}`);
  for (const q of s.queues) {
    const oldest = q.oldestAgeSeconds === undefined ? '-' : `${q.ageSource === 'peek' && q.depth > 10 ? '>=' : ''}${age(q.oldestAgeSeconds)}`;
    const line = `${q.name.padEnd(26)}${String(q.depth).padStart(7)}${String(q.inFlight).padStart(11)}${String(q.delayed).padStart(9)}${oldest.padStart(10)}`;
    out.push(q.kind === 'dlq' && q.depth + q.inFlight > 0 ? c('red', `${line}  <- dead letters`) : line);
  }
  out.push('');
  const o = s.outbox;
  out.push(
    `OUTBOX  pending ${o.pending}${o.pending ? `, oldest ${age(o.oldestPendingSeconds)} (orders: ${o.oldestOrders.join(', ')})` : ''}${o.pastSweepAge ? c('yellow', `, ${o.pastSweepAge} past the sweep age`) : ''}`,
  );
  out.push('');
  const r = s.orders;
  const states = Object.entries(r.byState)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push(`ORDERS placed in the last ${r.windowMinutes} min: ${r.placed}${states ? ` (${states})` : ''}`);
  out.push(
    `DECISIONS ${(r.decidedInWindow / r.windowMinutes).toFixed(1)}/min over ${r.windowMinutes} min (${r.decidedInWindow}), ${r.decidedLastMinute} in the last minute`,
  );
  out.push(
    c('dim', `(scanned ${r.scannedItems} order items${r.truncated ? ', stopped at --max-items: counts are partial' : ''}; deadline ${s.deadlineSeconds}s)`),
  );
  const warn = attention(s);
  out.push('');
  if (warn.length === 0) out.push('ATTENTION: nothing (no dead letters, no undecided order past its deadline)');
  else {
    out.push(c('bold', `ATTENTION (${warn.length}):`));
    for (const w of warn) out.push(c(w.startsWith('DLQ') ? 'red' : 'yellow', `  ! ${w}`));
    out.push('  next: npm run trace -- <orderId>; RUNBOOK.md');
  }
  return out.join('\n');
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(
      'usage: npm run status -- [--once] [--stage local|dev|prod] [--endpoint <url>] [--minutes N] [--interval S] [--max-items N] [--outputs <file>]',
    );
    return 0;
  }
  const windowMinutes = Number(argValue(args, '--minutes') ?? 15);
  const intervalSeconds = Number(argValue(args, '--interval') ?? 2);
  const maxItems = Number(argValue(args, '--max-items') ?? 50_000);
  for (const [flag, v] of [
    ['--minutes', windowMinutes],
    ['--interval', intervalSeconds],
    ['--max-items', maxItems],
  ] as const) {
    if (!(v > 0)) throw new Error(`${flag} must be a positive number`);
  }
  const target = await resolveTarget(targetArgs(args));
  const tty = !!process.stdout.isTTY;
  const colour = tty && !process.env.NO_COLOR;
  if (args.includes('--once')) {
    const s = await snapshot(target, { windowMinutes, maxItems });
    console.log(render(s, { colour }));
    return attention(s).length ? 3 : 0;
  }
  let stop = false;
  process.on('SIGINT', () => (stop = true));
  while (!stop) {
    const frame = await snapshot(target, { windowMinutes, maxItems }).then(
      (s) => render(s, { colour }),
      (err: Error) => `status: ${err.message} (retrying)`,
    );
    // On a terminal: redraw in place. In a log: one frame after another.
    process.stdout.write(tty ? `\x1b[H\x1b[2J${frame}\n\n(refreshing every ${intervalSeconds}s; Ctrl-C to quit)\n` : `${frame}\n---\n`);
    const until = Date.now() + intervalSeconds * 1000;
    while (!stop && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`status: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
