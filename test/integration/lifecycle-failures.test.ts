/**
 * The lifecycle on a bad day, against the deployed stack (issue 12): a popular product, an outbox the relay gave up
 * on, and orders that miss their deadline. Each case ends with the reconciliation invariant for its orders; the
 * last one checks the whole stack (stock and analytics sums included).
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { lifecycleKey, orderKey, outboxKey } from '../../lambdas/adapters/keys';
import { type Envelope } from '../../lambdas/core/events';
import { deterministicEventId } from '../../lambdas/core/ids';
import { orderBody, placeOrder } from './support/api';
import { catalogTable, dlqDepths, getItem, ordersTable, stockOf, untilOrderState } from './support/api-extra';
import { sendEnvelope } from './support/queues';
import { expectReconciled, reconcileNow, untilAllDecided } from './support/reconcile';
import { ddb, pollUntil, queueUrl, serviceTable, uniqueCustomer } from './support/stack';
import { formatReport } from '../../scripts/reconcile';

/** DLQ depths before each test: a case must add no dead letter of its own. */
let dlqBaseline: Awaited<ReturnType<typeof dlqDepths>>;
beforeEach(async () => {
  dlqBaseline = await dlqDepths();
});

const place = placeOrder;
const lifecycle = (orderId: string) => getItem(ordersTable(), lifecycleKey(orderId));

describe('a popular product: 50 concurrent orders for one SKU with stock 20', () => {
  it('ends with exactly 20 confirmed, 30 cancelled OUT_OF_STOCK and refunded, stock 0, nothing dead-lettered', async () => {
    const sku = `HOT-${randomUUID().slice(0, 8)}`;
    await ddb.send(new PutCommand({ TableName: catalogTable(), Item: { pk: sku, sku, name: 'Hot item', unitPriceCents: 1999, stock: 20, receivedStock: 20 } }));

    // Ten at a time: concurrent enough that reservations and refunds of one SKU overlap inside every batch.
    const ids: string[] = [];
    for (let i = 0; i < 50; i += 10) {
      ids.push(...(await Promise.all(Array.from({ length: 10 }, () => place(orderBody(uniqueCustomer('hot'), { items: [{ sku, quantity: 1 }] }))))));
    }
    const decided = await untilAllDecided(ids, 90_000);
    const statuses = decided.map((l) => `${l!.status}${l!.reason ? `:${l!.reason}` : ''}`);
    const confirmed = statuses.filter((s) => s === 'CONFIRMED').length;
    const timedOut = statuses.filter((s) => s === 'CANCELLED:TIMEOUT').length;

    const report = await expectReconciled(ids, 60_000);
    const stock = await stockOf(sku);
    // Every unit is either sold to exactly one confirmed order or back on the shelf; every order decided once.
    expect(report).toMatchObject({ confirmed, cancelled: 50 - confirmed, shipments: confirmed });
    expect(report.chargedCents - report.refundedCents).toBe(confirmed * 1999);
    expect(confirmed + stock).toBe(20);
    // On an overloaded machine an order can miss the local stage's 40 s deadline: TIMEOUT is then its correct
    // outcome (compensated, counted above). Otherwise the SKU sells out exactly.
    if (timedOut > 0) console.warn(`hot SKU: ${timedOut} of 50 orders missed the local deadline (machine too slow)`);
    else {
      expect(confirmed).toBe(20);
      expect(statuses.filter((s) => s === 'CANCELLED:OUT_OF_STOCK')).toHaveLength(30);
      expect(stock).toBe(0);
    }
    expect(await dlqDepths()).toEqual(dlqBaseline);
  });
});

describe('the relay gives up on an event (an SNS outage that outlasts its retries)', () => {
  it('the sweeper republishes every pending event on its schedule; each order completes exactly once', async () => {
    // `relay-gives-up` drops the record as the stream does after its retries (MiniStack itself retries forever).
    const ids = await Promise.all(Array.from({ length: 5 }, () => place(orderBody(uniqueCustomer('sweep')), { 'x-fault-inject': 'relay-gives-up' })));
    // Nothing happens until the sweeper runs: the events are still pending in the outbox.
    const outbox = await Promise.all(ids.map((id) => getItem(ordersTable(), outboxKey(id, deterministicEventId(id, 'orders', 'OrderPlaced')))));
    for (const item of outbox) expect(item).toMatchObject({ pendingShard: 'PENDING' });

    // The schedule fires every minute; an item is swept once it is 10 s old (local stage).
    await untilAllDecided(ids, 150_000);
    const report = await expectReconciled(ids, 60_000);
    expect(report).toMatchObject({ confirmed: 5, cancelled: 0, shipments: 5, emails: 5 });
    const swept = await Promise.all(ids.map((id) => getItem(ordersTable(), outboxKey(id, deterministicEventId(id, 'orders', 'OrderPlaced')))));
    for (const item of swept) {
      expect(item?.pendingShard).toBeUndefined();
      expect(typeof item?.expiresAt).toBe('number');
    }
  });
});

describe('the order deadline', () => {
  /** The order's OrderPlaced as the relay published it (from its OUTBOX item): what a redrive would deliver again. */
  async function placedEvent(orderId: string): Promise<Envelope> {
    const item = await getItem(ordersTable(), outboxKey(orderId, deterministicEventId(orderId, 'orders', 'OrderPlaced')));
    return item!.event as Envelope;
  }
  const clearFaults = (orderId: string) => ddb.send(new UpdateCommand({ TableName: ordersTable(), Key: orderKey(orderId), UpdateExpression: 'REMOVE faults' }));

  it('cancels an undecided order with TIMEOUT, compensates what was done, and a late delivery changes nothing', async () => {
    const sku = 'SKU-6';
    const stockBefore = await stockOf(sku);
    // Payment never acts on the first (its message "lost" to a DLQ); inventory never acts on the second.
    const [noPayment, noInventory] = await Promise.all([
      place(orderBody(uniqueCustomer('late'), { items: [{ sku, quantity: 2 }] }), { 'x-fault-inject': 'drop:payment' }),
      place(orderBody(uniqueCustomer('late'), { items: [{ sku, quantity: 3 }] }), { 'x-fault-inject': 'drop:inventory' }),
    ]);

    // Reserved but never charged: released at the deadline; payment closes its ledger (VOIDED).
    const a = await untilOrderState(noPayment, 'CANCELLED', { inventory: 'RELEASED', payment: 'VOIDED' }, 120_000);
    expect(a.reason).toBe('TIMEOUT');
    // Charged but never reserved: refunded at the deadline; inventory closes its record (VOIDED).
    const b = await untilOrderState(noInventory, 'CANCELLED', { payment: 'REFUNDED', inventory: 'VOIDED' }, 60_000);
    expect(b.reason).toBe('TIMEOUT');
    await expectReconciled([noPayment, noInventory]);
    expect(await stockOf(sku)).toBe(stockBefore);

    // Late: the lost messages are redriven after the decision, and a late outcome reaches the aggregator.
    await Promise.all([clearFaults(noPayment), clearFaults(noInventory)]);
    await sendEnvelope(queueUrl('payment'), await placedEvent(noPayment));
    await sendEnvelope(queueUrl('inventory'), await placedEvent(noInventory));
    const lateReserved: Envelope<'StockReserved'> = {
      ...(await placedEvent(noInventory)),
      eventId: deterministicEventId(noInventory, 'inventory', 'StockReserved'),
      eventType: 'StockReserved',
      payload: { skus: [sku] },
    };
    await sendEnvelope(queueUrl('orders'), lateReserved);

    // The redriven OrderPlaced meets a closed ledger and a VOID reservation: no charge, no stock taken.
    await pollUntil(
      () =>
        Promise.all([
          getItem(serviceTable('payment'), { pk: `INBOX#${deterministicEventId(noPayment, 'orders', 'OrderPlaced')}`, sk: 'INBOX' }),
          getItem(serviceTable('inventory'), { pk: `INBOX#${deterministicEventId(noInventory, 'orders', 'OrderPlaced')}`, sk: 'INBOX' }),
          lifecycle(noInventory),
        ]),
      ([pay, inv, lc]) => pay !== undefined && inv !== undefined && lc?.inventory === 'RESERVED',
      { timeoutMs: 30_000, what: 'the late deliveries to be processed' },
    );
    expect(await getItem(serviceTable('payment'), { pk: `CHARGE#${noPayment}`, sk: 'CHARGE' })).toBeUndefined();
    expect(await getItem(serviceTable('inventory'), { pk: `RESERVATION#${noInventory}`, sk: 'RESERVATION' })).toMatchObject({ state: 'VOID' });
    // The late outcome is on record, the decision is not changed by it.
    expect(await lifecycle(noInventory)).toMatchObject({ status: 'CANCELLED', reason: 'TIMEOUT' });
    await expectReconciled([noPayment, noInventory]);
    expect(await stockOf(sku)).toBe(stockBefore);
    expect(await dlqDepths()).toEqual(dlqBaseline);
  });
});

describe('the whole stack', () => {
  it('reconciles: every order decided, money and stock balanced, analytics equal to the decisions', async () => {
    // Orders of other files may still be in flight: allow those younger than the deadline, poll until clean.
    const report = await pollUntil(
      () => reconcileNow(undefined, 60),
      (r) => r.violations.length === 0,
      { timeoutMs: 90_000, intervalMs: 2_000, what: 'a clean stack-wide reconciliation' },
    ).catch(async () => reconcileNow(undefined, 60));
    expect(report.violations, formatReport(report)).toEqual([]);
    expect(report.orders).toBeGreaterThan(0);
    expect(report.skusChecked).toBeGreaterThan(0);
  });
});
