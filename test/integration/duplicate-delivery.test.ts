/**
 * At-least-once delivery, from outside: an order settles, then its OrderPlaced and OrderConfirmed events are
 * delivered again (straight onto the queues that consume them, as SNS raw delivery would, twice each) and no
 * effect happens a second time: stock, charge, e-mail, shipment and the analytics counters stay as they were.
 *
 * Isolation: a currency of its own per run (`Q` + two random letters: an exact analytics total even on a reused
 * emulator) and a SKU no other file orders (SKU-9, measured as a difference). DLQs are checked for this order's
 * messages only, so messages other files leave there (or are still cleaning up) do not matter here.
 */
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { lifecycleKey, outboxPartition } from '../../lambdas/adapters/keys';
import type { Envelope } from '../../lambdas/core/events';
import { readDailyTotals } from '../../lambdas/services/analytics/analytics';
import { reservationKey } from '../../lambdas/services/inventory/inventory';
import { emailKey } from '../../lambdas/services/notification/sender';
import { paymentRecordKey } from '../../lambdas/services/payment/payment';
import { chargeRecordKey } from '../../lambdas/services/payment/provider';
import { SERVICES } from '../../lambdas/services/registry';
import { shipmentKey } from '../../lambdas/services/shipping/shipping';
import { orderBody, postOrder, untilSettled } from './support/api';
import { consumersOf, peekMarked, sendEnvelope, untilDrained } from './support/queues';
import { ddb, dlqUrl, output, pollUntil, queueUrl, serviceTable, uniqueCustomer } from './support/stack';

// readDailyTotals reads through the Lambda's module-level client; here that client is the emulator's (127.0.0.1).
vi.mock('../../lambdas/adapters/aws', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lambdas/adapters/aws')>()),
  ddb: (await import('./support/stack')).ddb,
}));

const SKU = 'SKU-9';
const QUANTITY = 7;
const UNIT_PRICE_CENTS = 9 * 250; // DEMO_CATALOG: SKU-n costs n * 250
const COPIES = 2; // each event is delivered this many extra times

const letter = () => String.fromCharCode(65 + Math.floor(Math.random() * 26));
const CURRENCY = `Q${letter()}${letter()}`;

const get = async (table: string, key: Record<string, string>) => (await ddb.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
const stockOf = async (sku: string) => Number((await get(output('CatalogTableName'), { pk: sku }))?.stock);
const lifecycle = (orderId: string) => get(output('OrdersTableName'), lifecycleKey(orderId));

/** Everything one order left behind in the services' tables: what a duplicate must not change. */
async function effects(orderId: string) {
  const emails = await ddb.send(
    new ScanCommand({
      TableName: serviceTable('notification'),
      FilterExpression: 'begins_with(pk, :p)',
      ExpressionAttributeValues: { ':p': `EMAIL#${orderId}#` },
      ConsistentRead: true,
    }),
  );
  return {
    charge: await get(serviceTable('payment'), chargeRecordKey(orderId)),
    payment: await get(serviceTable('payment'), paymentRecordKey(orderId)),
    reservation: await get(serviceTable('inventory'), reservationKey(orderId)),
    emails: emails.Items ?? [],
    shipment: await get(serviceTable('shipping'), shipmentKey(orderId)),
  };
}

describe('a redelivered event has no second effect', () => {
  it(`OrderPlaced and OrderConfirmed delivered ${COPIES} more times: one reservation, one charge, one e-mail, one shipment, counted once`, async () => {
    const stockBefore = await stockOf(SKU);
    const res = await postOrder(orderBody(uniqueCustomer('dup'), { currency: CURRENCY, items: [{ sku: SKU, quantity: QUANTITY }] }));
    expect(res.status).toBe(202);
    const orderId: string = res.body.orderId;
    const total = QUANTITY * UNIT_PRICE_CENTS;

    const order = await untilSettled(orderId);
    expect(order.status).toBe('CONFIRMED');
    expect(order.total).toEqual({ amountCents: total, currency: CURRENCY });

    // The two events as they were published: OrderPlaced from the OUTBOX item, OrderConfirmed from the decision.
    const { Items: partition = [] } = await ddb.send(
      new QueryCommand({
        TableName: output('OrdersTableName'),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :outbox)',
        ExpressionAttributeValues: { ':pk': outboxPartition(orderId), ':outbox': 'OUTBOX#' },
        ConsistentRead: true,
      }),
    );
    expect(partition).toHaveLength(1);
    const placed = partition[0]!.event as Envelope<'OrderPlaced'>;
    expect(placed).toMatchObject({ eventType: 'OrderPlaced', orderId });
    const decided = await lifecycle(orderId);
    expect(typeof decided?.decision).toBe('string');
    const confirmed = JSON.parse(decided!.decision) as Envelope<'OrderConfirmed'>;
    expect(confirmed).toMatchObject({ eventType: 'OrderConfirmed', orderId, payload: { amountCents: total, currency: CURRENCY } });

    // The first delivery's effects, once the confirmation has reached every consumer.
    const first = await pollUntil(
      () => effects(orderId),
      (e) => Boolean(e.charge && e.payment && e.reservation && e.shipment && e.emails.length === 1),
      { what: `the effects of order ${orderId}` },
    );
    expect(first.payment).toMatchObject({ state: 'CHARGED', amountCents: total, currency: CURRENCY, chargeId: first.charge!.chargeId });
    expect(first.reservation).toMatchObject({ state: 'RESERVED', lines: [{ sku: SKU, quantity: QUANTITY }] });
    expect(first.shipment).toMatchObject({ state: 'REQUESTED', sourceEventId: confirmed.eventId });
    expect(await stockOf(SKU)).toBe(stockBefore - QUANTITY);
    const receiptsBefore = { payment: Number(decided!.paymentReceipts), inventory: Number(decided!.inventoryReceipts) };
    expect(receiptsBefore).toEqual({ payment: 1, inventory: 1 });

    // Deliver again, straight to the consumers' queues (the SNS filter policies route these types there).
    expect(consumersOf('OrderPlaced').sort()).toEqual(['inventory', 'payment']);
    expect(consumersOf('OrderConfirmed').sort()).toEqual(['analytics', 'notification', 'shipping']);
    for (let copy = 0; copy < COPIES; copy++) {
      for (const svc of consumersOf('OrderPlaced')) await sendEnvelope(queueUrl(svc), placed);
      for (const svc of consumersOf('OrderConfirmed')) await sendEnvelope(queueUrl(svc), confirmed);
    }

    // Payment and inventory re-emit their outcome on each redelivery; the aggregate counts the receipts (and
    // re-emits its stored decision, so shipping, notification and analytics get more copies still).
    await pollUntil(
      () => lifecycle(orderId),
      (l) => Number(l?.paymentReceipts) === 1 + COPIES && Number(l?.inventoryReceipts) === 1 + COPIES,
      { what: 'the redelivered OrderPlaced to be processed by payment and inventory' },
    );
    await untilDrained(
      SERVICES.map((s) => queueUrl(s.name)),
      60_000,
    );

    const after = await effects(orderId);
    expect(after).toEqual(first);
    expect(after.emails).toMatchObject([{ ...emailKey(orderId, 'confirmed'), kind: 'confirmed' }]);
    expect(await stockOf(SKU)).toBe(stockBefore - QUANTITY);
    const final = await lifecycle(orderId);
    expect({ status: final?.status, decision: final?.decision }).toEqual({ status: 'CONFIRMED', decision: decided!.decision });

    const day = confirmed.payload.confirmedAt.slice(0, 10);
    expect(await readDailyTotals(serviceTable('analytics'), day, CURRENCY)).toEqual({ confirmed: 1, cancelled: 0, revenueCents: total });

    for (const svc of SERVICES) expect({ dlq: svc.name, messages: await peekMarked(dlqUrl(svc.name), orderId) }).toEqual({ dlq: svc.name, messages: [] });
  });
});
