/**
 * What every fault case shares: its own SKUs, a burst limiter (so concurrent cases do not all post at once and push
 * the 2-core emulator past the order deadline), sending events to their consumers' queues, the fault markers the
 * hooks leave, the lost/doubled tally from the reconciliation, the DLQ sweep and the summary table.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { faultKey, orderKey, outboxKey } from '../../lambdas/adapters/keys';
import type { Envelope, EventType } from '../../lambdas/core/events';
import { deterministicEventId } from '../../lambdas/core/ids';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import { LOG_FILE } from '../../scripts/local/paths';
import { formatReport, type ReconcileReport } from '../../scripts/reconcile';
import { catalogTable, getItem, ordersTable, scanAll } from '../integration/support/api-extra';
import { consumersOf, depth, sendEnvelope, takeMine, release } from '../integration/support/queues';
import { lifecycles, reconcileNow } from '../integration/support/reconcile';
import { ddb, emulator, outputs, pollUntil, queueUrl, serviceTable } from '../integration/support/stack';

export const RUN = randomUUID().slice(0, 6);

/** A SKU of the case's own, with `receivedStock` so the stack-wide reconciliation balances its stock. */
export async function seedSku(prefix: string, unitPriceCents: number, stock: number): Promise<string> {
  const sku = `${prefix}-${RUN}-${randomUUID().slice(0, 4)}`.toUpperCase();
  await ddb.send(
    new PutCommand({ TableName: catalogTable(), Item: { pk: sku, sku, name: `fault suite ${prefix}`, unitPriceCents, stock, receivedStock: stock } }),
  );
  return sku;
}

/** Runs `task` over the inputs with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(inputs: readonly T[], limit: number, task: (input: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(inputs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, inputs.length) }, async () => {
      while (next < inputs.length) {
        const i = next++;
        out[i] = await task(inputs[i]!, i);
      }
    }),
  );
  return out;
}

/** At most `n` cases post their burst at once; the waits (deadline, sweeper, redelivery) overlap freely. */
class Limiter {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) await new Promise<void>((r) => this.queue.push(r));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.queue.shift()?.();
    }
  }
}
export const bursts = new Limiter(1);

/**
 * One pace for every order the suite places, whatever case places it: POSTs start at most `perSecond` a second.
 * The cases test faults, not capacity (that is `npm run bench`). A run's 914 orders and injected copies make about
 * 7,300 worker messages, which the single-process emulator on two cores drains at 23 a second (median of 10 s
 * windows; at most 70): too fast a pace builds a backlog past the 40 s order deadline, and the cases end in TIMEOUT
 * cancellations that are correct but test nothing they are about. Measured on 3 Dec: at 5 a second payment's queue
 * reached 580 messages and 95 of the 200 hot-SKU orders timed out (two runs, both failed); at 3 a second every case
 * passed.
 * FAULTS_ORDERS_PER_SECOND tunes it (default 3).
 */
class Pacer {
  private nextAt = 0;
  constructor(private readonly perSecond: number) {}
  async next(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.perSecond;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}
const ORDERS_PER_SECOND = Number(process.env.FAULTS_ORDERS_PER_SECOND ?? 3);
export const pace = new Pacer(ORDERS_PER_SECOND);
/** Concurrent POSTs per case while it holds a burst slot (the emulator shares 2 cores with everything else). */
export const POST_CONCURRENCY = 6;

/** The OrderPlaced the relay publishes for an order (its OUTBOX item's event). */
export async function placedEvent(orderId: string): Promise<Envelope<'OrderPlaced'>> {
  const item = await getItem(ordersTable(), outboxKey(orderId, deterministicEventId(orderId, 'orders', 'OrderPlaced')));
  if (!item?.event) throw new Error(`order ${orderId} has no OUTBOX item for its OrderPlaced`);
  return item.event as Envelope<'OrderPlaced'>;
}

/** Every event the services emitted for these orders: their inbox records and the stored decisions (what a redelivery re-emits). */
export async function emittedEvents(orderIds: readonly string[]): Promise<Envelope[]> {
  const wanted = new Set(orderIds);
  const byId = new Map<string, Envelope>();
  for (const s of SERVICES) {
    const inbox = await scanAll({ TableName: serviceTable(s.name), FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': 'INBOX#' } });
    for (const rec of inbox) {
      if (!wanted.has(String(rec.orderId))) continue;
      const emits = (typeof rec.emits === 'string' ? JSON.parse(rec.emits) : (rec.emits ?? [])) as Envelope[];
      for (const e of emits) byId.set(e.eventId, e);
    }
  }
  // The aggregator keeps no inbox: its decision is stored on the LIFECYCLE item (what it re-emits).
  for (const lc of await lifecycles(orderIds)) {
    if (typeof lc?.decision === 'string') {
      const d = JSON.parse(lc.decision) as Envelope;
      byId.set(d.eventId, d);
    }
  }
  return [...byId.values()];
}

/**
 * Sends an event `copies` times to every queue that consumes it (as SNS would deliver it), all copies at once or
 * one after the other. Returns how many messages were sent.
 */
export async function duplicate(event: Envelope, copies: number, concurrently: boolean): Promise<number> {
  let sent = 0;
  for (const svc of consumersOf(event.eventType as EventType)) {
    const send = () => sendEnvelope(queueUrl(svc), event).then(() => void (sent += 1));
    if (concurrently) await Promise.all(Array.from({ length: copies }, send));
    else for (let i = 0; i < copies; i++) await send();
  }
  return sent;
}

/** A worker hook's marker (FAULT#<eventId>#<hook>) in the service's table, or the provider's (FAULT#<orderId>#crash-in-provider). */
export const faultMarker = (svc: ServiceName, markerId: string) => getItem(serviceTable(svc), faultKey(markerId));

/** Sets or removes the fault hooks of an order (its ORDER item's `faults`), as an operator's fix would. */
export const setFaults = (orderId: string, faults: string[] | undefined) =>
  ddb.send(
    new UpdateCommand({
      TableName: ordersTable(),
      Key: orderKey(orderId),
      ...(faults ? { UpdateExpression: 'SET faults = :f', ExpressionAttributeValues: { ':f': faults } } : { UpdateExpression: 'REMOVE faults' }),
    }),
  );

/** Every dead-letter queue of the stack: the services' DLQs, their deadline DLQs, their subscription DLQs. */
function deadLetterQueues(): string[] {
  return Object.entries(outputs)
    .filter(([k]) => /DlqUrl$/.test(k))
    .map(([, v]) => v)
    .filter((v) => v.startsWith('http'));
}

/** Waits until no service queue has anything visible or in flight (delayed deadline messages may still wait). */
export const untilQueuesIdle = (timeoutMs = 120_000) =>
  pollUntil(
    () => Promise.all(SERVICES.map((s) => depth(queueUrl(s.name)))),
    (all) => all.every((d) => d.visible + d.inFlight === 0),
    { timeoutMs, intervalMs: 500, what: 'the service queues to be idle' },
  );

/** Reconciles the orders, polling until clean (compensation follows the decision) or the deadline. */
async function reconcileUntilClean(orderIds: readonly string[], timeoutMs = 60_000): Promise<ReconcileReport> {
  try {
    return await pollUntil(
      () => reconcileNow(orderIds),
      (r) => r.violations.length === 0,
      { timeoutMs, intervalMs: 3000, what: 'a clean reconciliation' },
    );
  } catch {
    return reconcileNow(orderIds);
  }
}

/**
 * Lost and doubled, from the reconciliation's violations (never hard-coded): an order is *lost* when an effect its
 * decision needs is missing (no decision, no charge, no reservation, no shipment, no e-mail, not counted); it is
 * *doubled* when an effect is applied beyond what its decision allows (refunded although confirmed, money kept or
 * stock held on a cancellation, shipped although cancelled, more than one e-mail, a sum counted twice).
 */
export function tally(report: ReconcileReport): { lost: number; doubled: number } {
  const lost = new Set<string>();
  const doubled = new Set<string>();
  const LOST = /no ORDER item|undecided|but charged 0\b|reservation is (missing|VOID|RELEASED)|not shipped|e-mails sent: \[\]|not counted/;
  for (const v of report.violations) {
    const subject = v.split(':')[0]!;
    const stack = /^(analytics|sku) /.exec(v);
    if (stack) {
      // Stack-wide sums: fewer than decided is a loss, more is a double.
      const m = /counted \{"confirmed":(\d+),"cancelled":(\d+).*decided orders say \{"confirmed":(\d+),"cancelled":(\d+)/.exec(v);
      const s = /stock (-?\d+) \+ reserved (\d+) != received (\d+)/.exec(v);
      const more = m ? Number(m[1]) + Number(m[2]) > Number(m[3]) + Number(m[4]) : s ? Number(s[1]) + Number(s[2]) < Number(s[3]) : false;
      (more ? doubled : lost).add(subject);
      continue;
    }
    (LOST.test(v) ? lost : doubled).add(subject);
  }
  return { lost: lost.size, doubled: doubled.size };
}

export interface CaseResult {
  name: string;
  orders: number;
  injected: number;
  /** What `injected` counts. */
  unit: string;
  lost: number;
  doubled: number;
  deadLettered: number;
  seconds: number;
  notes: string[];
  orderIds: string[];
  report?: ReconcileReport;
  error?: string;
}

export const results: CaseResult[] = [];

/** Runs a case, timing it and keeping its row in the summary even when an assertion fails. */
export async function runCase(name: string, unit: string, body: (row: CaseResult) => Promise<void>): Promise<void> {
  const row: CaseResult = { name, orders: 0, injected: 0, unit, lost: 0, doubled: 0, deadLettered: 0, seconds: 0, notes: [], orderIds: [] };
  results.push(row);
  const started = performance.now();
  try {
    await body(row);
  } catch (err) {
    row.error = (err as Error).message.slice(0, 500);
    throw err;
  } finally {
    row.seconds = (performance.now() - started) / 1000;
  }
}

/** Reconciles the case's orders and fills in its lost/doubled; the caller asserts. */
export async function settle(row: CaseResult, timeoutMs = 60_000): Promise<ReconcileReport> {
  row.orders = row.orderIds.length;
  const report = await reconcileUntilClean(row.orderIds, timeoutMs);
  row.report = report;
  const t = tally(report);
  row.lost += t.lost;
  row.doubled += t.doubled;
  if (report.violations.length) row.notes.push(`reconcile: ${report.violations.length} violation(s)`);
  return report;
}

export const explain = (r: ReconcileReport) => formatReport(r);

/**
 * Every message still in a DLQ, received (and held invisible) so each is counted once, then released. The caller
 * attributes them to cases by order id.
 */
export async function deadLetters(): Promise<{ queue: string; body: string }[]> {
  const all: { queue: string; body: string }[] = [];
  for (const q of deadLetterQueues()) {
    if ((await depth(q)).visible === 0) continue;
    const held = await takeMine(q, () => true, 60);
    all.push(...held.map((m) => ({ queue: q.split('/').pop()!, body: m.Body ?? '' })));
    await release(q, held);
  }
  return all;
}

/**
 * The workers' `contention retried` log lines (the ConflictsRetried metric's source) since a byte offset of the
 * emulator's log: MiniStack runs the functions as local processes and their stdout lands in its log file.
 * Undefined when the log is not ours to read (an external emulator).
 */
export function conflictsRetriedSince(offset: number): { retried: number; lines: number } | undefined {
  if (emulator !== 'ministack' || !existsSync(LOG_FILE)) return undefined;
  const text = readFileSync(LOG_FILE).subarray(offset).toString('utf8');
  let retried = 0;
  let lines = 0;
  for (const m of text.matchAll(/"message":"contention retried"[^\n]*?"retried":(\d+)/g)) {
    retried += Number(m[1]);
    lines += 1;
  }
  return { retried, lines };
}
export const logOffset = () => (emulator === 'ministack' && existsSync(LOG_FILE) ? statSync(LOG_FILE).size : 0);

/** The summary table, one row per case. */
export function summaryTable(rows: readonly CaseResult[]): string {
  const head = ['case', 'orders', 'messages injected', 'lost', 'doubled', 'dead-lettered', 'time', 'notes'];
  const body = rows.map((r) => [
    r.name + (r.error ? ' (FAILED)' : ''),
    String(r.orders),
    `${r.injected} ${r.unit}`,
    String(r.lost),
    String(r.doubled),
    String(r.deadLettered),
    `${r.seconds.toFixed(0)} s`,
    r.notes.join('; '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
