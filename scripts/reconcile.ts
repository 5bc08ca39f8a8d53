/**
 * Reconciliation: does the deployed pipeline's state keep the promise "nothing lost, nothing doubled"?
 * Reads every table of a stack (Scan: meant for test and operator scale, not for a hot production table) and checks,
 * for each order:
 *   - exactly one decision (CONFIRMED or CANCELLED), unless the order is younger than `graceSeconds`;
 *   - CONFIRMED: one charge of the decided amount and no refund, one live reservation, one shipment, one
 *     confirmation e-mail, counted once by analytics;
 *   - CANCELLED: net charge 0 (nothing charged, or refunded in full), no live reservation, no shipment, one
 *     cancellation e-mail, counted once by analytics;
 * and across the stack (only when every order is checked): for each SKU that records `receivedStock`, stock plus
 * what live reservations hold equals what was received; analytics per day and currency equals the decided orders.
 *
 *   npm run reconcile                          the stack `npm run local` brought up (this checkout's emulator)
 *   npm run reconcile -- --stage dev           an AWS stage, from cdk-outputs.json and the default credentials
 *   npm run reconcile -- --orders id1,id2      only these orders (no stack-wide sums)
 *   (--endpoint / --outputs as for npm run status: scripts/ops/target.ts)
 * Prints counts and every violation; exits 1 on any violation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { pathToFileURL } from 'node:url';
import { SERVICES, type ServiceName } from '../lambdas/services/registry';
import { STACK_OUTPUTS, serviceOutputs } from '../lib/outputs';
import { argValue, resolveTarget, targetArgs } from './ops/target';
import { KEY_PREFIX } from '../lambdas/contract';

type Item = Record<string, any>;

export interface ReconcileTables {
  readonly orders: string;
  readonly catalog: string;
  readonly services: Readonly<Record<ServiceName, string>>;
}

export interface ReconcileOptions {
  /** Check only these orders; the stack-wide sums (stock, analytics) are then skipped. */
  readonly orderIds?: readonly string[];
  /** An undecided order younger than this is reported as pending, not as a violation. */
  readonly graceSeconds?: number;
  readonly now?: Date;
}

export interface ReconcileReport {
  orders: number;
  confirmed: number;
  cancelled: number;
  byReason: Record<string, number>;
  pending: number;
  chargedCents: number;
  refundedCents: number;
  shipments: number;
  emails: number;
  skusChecked: number;
  violations: string[];
}

export const tablesFromOutputs = (outputs: Record<string, string>): ReconcileTables => {
  const need = (key: string) => {
    const v = outputs[key];
    if (!v) throw new Error(`stack output ${key} is missing`);
    return v;
  };
  return {
    orders: need(STACK_OUTPUTS.ordersTableName),
    catalog: need(STACK_OUTPUTS.catalogTableName),
    services: Object.fromEntries(SERVICES.map((s) => [s.name, need(serviceOutputs(s.name).tableName)])) as Record<ServiceName, string>,
  };
};

async function scanAll(ddb: DynamoDBDocumentClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateScan({ client: ddb }, { TableName: table, ConsistentRead: true })) items.push(...((page.Items ?? []) as Item[]));
  return items;
}

/** Items whose pk is `<prefix><id>` (and sk `sk`), by id. */
function byId(items: readonly Item[], prefix: string, sk: string): Map<string, Item> {
  const map = new Map<string, Item>();
  for (const i of items) if (typeof i.pk === 'string' && i.pk.startsWith(prefix) && i.sk === sk) map.set(i.pk.slice(prefix.length), i);
  return map;
}

export async function reconcile(ddb: DynamoDBDocumentClient, tables: ReconcileTables, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const now = (options.now ?? new Date()).getTime();
  const [orderItems, catalog, payment, inventory, shipping, notification, analytics] = await Promise.all([
    scanAll(ddb, tables.orders),
    scanAll(ddb, tables.catalog),
    scanAll(ddb, tables.services.payment),
    scanAll(ddb, tables.services.inventory),
    scanAll(ddb, tables.services.shipping),
    scanAll(ddb, tables.services.notification),
    scanAll(ddb, tables.services.analytics),
  ]);
  const ordersById = byId(orderItems, KEY_PREFIX.order, 'ORDER');
  const lifecycles = byId(orderItems, KEY_PREFIX.lifecycle, 'LIFECYCLE');
  const charges = byId(payment, 'CHARGE#', 'CHARGE');
  const refunds = byId(payment, 'REFUND#', 'REFUND');
  const reservations = byId(inventory, 'RESERVATION#', 'RESERVATION');
  const shipments = byId(shipping, 'SHIPMENT#', 'SHIPMENT');
  const counted = byId(analytics, 'COUNTED#', 'COUNTED');
  const emails = new Map<string, string[]>();
  for (const e of notification) {
    const m = typeof e.pk === 'string' ? /^EMAIL#(.+)#(confirmed|cancelled)$/.exec(e.pk) : null;
    if (m && e.sk === 'EMAIL') emails.set(m[1]!, [...(emails.get(m[1]!) ?? []), m[2]!]);
  }

  const ids = options.orderIds ?? [...ordersById.keys()];
  const report: ReconcileReport = {
    orders: ids.length,
    confirmed: 0,
    cancelled: 0,
    byReason: {},
    pending: 0,
    chargedCents: 0,
    refundedCents: 0,
    shipments: 0,
    emails: 0,
    skusChecked: 0,
    violations: [],
  };
  const violation = (orderId: string, what: string) => report.violations.push(`order ${orderId}: ${what}`);
  const expectedDaily = new Map<string, { confirmed: number; cancelled: number; revenueCents: number }>();

  for (const orderId of ids) {
    const order = ordersById.get(orderId);
    if (!order) {
      violation(orderId, 'no ORDER item (an accepted order was lost)');
      continue;
    }
    const lifecycle = lifecycles.get(orderId);
    const status = lifecycle?.status;
    if (typeof lifecycle?.decision !== 'string' || (status !== 'CONFIRMED' && status !== 'CANCELLED')) {
      const ageSeconds = (now - Date.parse(String(order.createdAt))) / 1000;
      if (ageSeconds < (options.graceSeconds ?? 0)) report.pending += 1;
      else violation(orderId, `undecided (${String(status ?? 'ACCEPTED')}) ${Math.round(ageSeconds)} s after it was accepted`);
      continue;
    }
    const decision = JSON.parse(lifecycle.decision) as {
      eventType: string;
      payload: { amountCents?: number; currency: string; reason?: string; confirmedAt?: string; cancelledAt?: string };
    };
    if (decision.eventType !== (status === 'CONFIRMED' ? 'OrderConfirmed' : 'OrderCancelled'))
      violation(orderId, `status ${status} but stored decision ${decision.eventType}`);

    const charge = charges.get(orderId);
    const charged = charge?.status === 'CHARGED' ? Number(charge.amountCents) : 0;
    const refunded = refunds.has(orderId) ? Number(refunds.get(orderId)!.amountCents) : 0;
    report.chargedCents += charged;
    report.refundedCents += refunded;
    const reservation = reservations.get(orderId);
    const live = reservation?.state === 'RESERVED';
    const shipped = shipments.has(orderId);
    if (shipped) report.shipments += 1;
    const sent = emails.get(orderId) ?? [];
    report.emails += sent.length;

    if (status === 'CONFIRMED') {
      report.confirmed += 1;
      if (charged !== decision.payload.amountCents) violation(orderId, `CONFIRMED for ${decision.payload.amountCents} but charged ${charged}`);
      if (refunded !== 0) violation(orderId, `CONFIRMED but refunded ${refunded}`);
      if (!live) violation(orderId, `CONFIRMED but its reservation is ${String(reservation?.state ?? 'missing')}`);
      if (!shipped) violation(orderId, 'CONFIRMED but not shipped');
      if (sent.join() !== 'confirmed') violation(orderId, `CONFIRMED but e-mails sent: [${sent.join(', ')}]`);
    } else {
      report.cancelled += 1;
      const reason = String(decision.payload.reason ?? lifecycle.reason);
      report.byReason[reason] = (report.byReason[reason] ?? 0) + 1;
      if (charged - refunded !== 0) violation(orderId, `CANCELLED (${reason}) but net charge ${charged - refunded} (charged ${charged}, refunded ${refunded})`);
      if (live) violation(orderId, `CANCELLED (${reason}) but stock is still reserved`);
      if (shipped) violation(orderId, `CANCELLED (${reason}) but shipped`);
      if (sent.join() !== 'cancelled') violation(orderId, `CANCELLED but e-mails sent: [${sent.join(', ')}]`);
    }
    if (!counted.has(orderId)) violation(orderId, 'decided but not counted by analytics');
    const at = status === 'CONFIRMED' ? decision.payload.confirmedAt : decision.payload.cancelledAt;
    const key = `${String(at).slice(0, 10)}#${decision.payload.currency}`;
    const day = expectedDaily.get(key) ?? { confirmed: 0, cancelled: 0, revenueCents: 0 };
    if (status === 'CONFIRMED') {
      day.confirmed += 1;
      day.revenueCents += Number(decision.payload.amountCents ?? 0);
    } else day.cancelled += 1;
    expectedDaily.set(key, day);
  }

  if (!options.orderIds) {
    // Stock: what was received = what is on the shelf + what live reservations hold.
    const held = new Map<string, number>();
    for (const r of reservations.values()) {
      if (r.state !== 'RESERVED') continue;
      for (const line of (r.lines ?? []) as { sku: string; quantity: number }[]) held.set(line.sku, (held.get(line.sku) ?? 0) + Number(line.quantity));
    }
    for (const sku of catalog) {
      if (typeof sku.receivedStock !== 'number') continue;
      report.skusChecked += 1;
      const reserved = held.get(String(sku.pk)) ?? 0;
      if (Number(sku.stock) + reserved !== sku.receivedStock) {
        report.violations.push(`sku ${String(sku.pk)}: stock ${sku.stock} + reserved ${reserved} != received ${sku.receivedStock}`);
      }
    }
    // Analytics: the shards of each day and currency sum to the decided orders of that day.
    const actual = new Map<string, { confirmed: number; cancelled: number; revenueCents: number }>();
    for (const shard of analytics) {
      const m = typeof shard.pk === 'string' ? /^DAILY#(\d{4}-\d{2}-\d{2})#([A-Z]{3})#\d+$/.exec(shard.pk) : null;
      if (!m) continue;
      const key = `${m[1]}#${m[2]}`;
      const day = actual.get(key) ?? { confirmed: 0, cancelled: 0, revenueCents: 0 };
      day.confirmed += Number(shard.confirmed ?? 0);
      day.cancelled += Number(shard.cancelled ?? 0);
      day.revenueCents += Number(shard.revenueCents ?? 0);
      actual.set(key, day);
    }
    for (const key of new Set([...expectedDaily.keys(), ...actual.keys()])) {
      const want = expectedDaily.get(key) ?? { confirmed: 0, cancelled: 0, revenueCents: 0 };
      const got = actual.get(key) ?? { confirmed: 0, cancelled: 0, revenueCents: 0 };
      if (JSON.stringify(want) !== JSON.stringify(got))
        report.violations.push(`analytics ${key}: counted ${JSON.stringify(got)}, decided orders say ${JSON.stringify(want)}`);
    }
  }
  return report;
}

export function formatReport(r: ReconcileReport): string {
  const reasons =
    Object.entries(r.byReason)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const lines = [
    `orders ${r.orders}: confirmed ${r.confirmed}, cancelled ${r.cancelled} (${reasons}), pending ${r.pending}`,
    `money: charged ${r.chargedCents}, refunded ${r.refundedCents}, net ${r.chargedCents - r.refundedCents}; shipments ${r.shipments}; e-mails ${r.emails}; skus checked ${r.skusChecked}`,
    r.violations.length ? `${r.violations.length} violation(s):` : 'no violations',
    ...r.violations.map((v) => `  - ${v}`),
  ];
  return lines.join('\n');
}

async function main(args: string[]): Promise<number> {
  const orderIds = argValue(args, '--orders')?.split(',').filter(Boolean);
  const graceSeconds = Number(argValue(args, '--grace-seconds') ?? 0);
  // The same target as npm run status / trace / redrive (scripts/ops/target.ts).
  const target = await resolveTarget(targetArgs(args));
  const client = new DynamoDBClient(target.clientConfig);
  const outputs = target.outputs;
  const report = await reconcile(DynamoDBDocumentClient.from(client), tablesFromOutputs(outputs), { orderIds, graceSeconds });
  console.log(formatReport(report));
  return report.violations.length ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`reconcile: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
