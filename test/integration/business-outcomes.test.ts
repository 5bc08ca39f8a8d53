/**
 * Business outcomes against the deployed stack: a declined card, missing stock and an unknown SKU each end in a
 * CANCELLED order with its reason and the compensations it needs, and none of them is a failure: every service
 * queue drains and no message is dead-lettered.
 *
 * SKU-8 is used by this file only: its catalog stock must come back exactly after a reserve-then-release.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import { orderBody, postOrder } from './support/api';
import { dlqDepths, getItem, itemsWithPkPrefix, queueBacklogs, serviceStatuses, stockOf, untilOrderState } from './support/api-extra';
import { expectReconciled } from './support/reconcile';
import { pollUntil, serviceTable, uniqueCustomer } from './support/stack';

const OWN_SKU = 'SKU-8';

/** DLQ depths before this file ran: 0 on a fresh emulator; a kept emulator may hold another file's dead letters. */
let dlqBaseline: Record<ServiceName, number>;

beforeAll(async () => {
  dlqBaseline = await dlqDepths();
});

/**
 * Nothing failed: every service queue drains (nothing visible, nothing in flight awaiting a retry), then no DLQ
 * gained a message. Business outcomes are acknowledged on first delivery, never retried, never dead-lettered.
 */
async function expectNoFailures() {
  const zero = Object.fromEntries(SERVICES.map((s) => [s.name, 0]));
  await pollUntil(queueBacklogs, (b) => Object.values(b).every((n) => n === 0), { timeoutMs: 30_000, what: 'every service queue to drain' });
  expect(await dlqDepths()).toEqual(dlqBaseline);
  // On a fresh emulator (the normal `npm test` run) the baseline is empty: then this is "every DLQ holds 0".
  if (Object.values(dlqBaseline).every((n) => n === 0)) expect(await dlqDepths()).toEqual(zero);
}

async function post(body: Record<string, unknown>) {
  const res = await postOrder(body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.orderId as string;
}

describe('business outcomes are results, not failures', () => {
  it('a declined card: CANCELLED PAYMENT_DECLINED, stock reserved then released (restored), nothing shipped', async () => {
    const stockBefore = await stockOf(OWN_SKU);
    const orderId = await post(orderBody(uniqueCustomer('biz'), { items: [{ sku: OWN_SKU, quantity: 3 }], paymentToken: 'tok_declined' }));

    const order = await untilOrderState(orderId, 'CANCELLED', { payment: 'DECLINED', inventory: 'RELEASED', notification: 'SENT', analytics: 'RECORDED' });
    expect(order.reason).toBe('PAYMENT_DECLINED');
    expect(serviceStatuses(order)).toEqual({ payment: 'DECLINED', inventory: 'RELEASED', shipping: 'SKIPPED', notification: 'SENT', analytics: 'RECORDED' });

    // Compensation: the stock was really taken (a reservation exists) and given back.
    expect(await getItem(serviceTable('inventory'), { pk: `RESERVATION#${orderId}`, sk: 'RESERVATION' })).toMatchObject({
      state: 'RELEASED',
      lines: [{ sku: OWN_SKU, quantity: 3 }],
    });
    expect(await stockOf(OWN_SKU)).toBe(stockBefore);
    // The provider recorded the decline; no refund (nothing was charged), no shipment.
    expect(await getItem(serviceTable('payment'), { pk: `CHARGE#${orderId}`, sk: 'CHARGE' })).toMatchObject({ status: 'DECLINED' });
    expect(await itemsWithPkPrefix(serviceTable('payment'), `REFUND#${orderId}`)).toEqual([]);
    expect(await itemsWithPkPrefix(serviceTable('shipping'), `SHIPMENT#${orderId}`)).toEqual([]);
    expect(await itemsWithPkPrefix(serviceTable('notification'), `EMAIL#${orderId}#`)).toEqual([expect.objectContaining({ kind: 'cancelled' })]);
    await expectReconciled([orderId]);

    await expectNoFailures();
  });

  it('an out-of-stock line: CANCELLED OUT_OF_STOCK, BACKORDERED (nothing taken), the charge REFUNDED', async () => {
    const stockBefore = await stockOf(OWN_SKU);
    const orderId = await post(
      orderBody(uniqueCustomer('biz'), {
        items: [
          { sku: OWN_SKU, quantity: 1 },
          { sku: 'SKU-OOS', quantity: 1 },
        ],
      }),
    );

    const order = await untilOrderState(orderId, 'CANCELLED', { payment: 'REFUNDED', inventory: 'BACKORDERED', notification: 'SENT', analytics: 'RECORDED' });
    expect(order.reason).toBe('OUT_OF_STOCK');
    expect(serviceStatuses(order)).toEqual({ payment: 'REFUNDED', inventory: 'BACKORDERED', shipping: 'SKIPPED', notification: 'SENT', analytics: 'RECORDED' });

    // All or nothing: the in-stock line was not decremented either; the record says BACKORDERED (nothing to release).
    expect(await stockOf(OWN_SKU)).toBe(stockBefore);
    expect(await stockOf('SKU-OOS')).toBe(0);
    expect(await getItem(serviceTable('inventory'), { pk: `RESERVATION#${orderId}`, sk: 'RESERVATION' })).toMatchObject({
      state: 'BACKORDERED',
      skus: ['SKU-OOS'],
    });
    // Charged once, refunded once.
    expect(await getItem(serviceTable('payment'), { pk: `PAYMENT#${orderId}`, sk: 'PAYMENT' })).toMatchObject({
      state: 'REFUNDED',
      amountCents: 8 * 250 + 999,
    });
    expect(await itemsWithPkPrefix(serviceTable('payment'), `REFUND#${orderId}`)).toHaveLength(1);
    expect(await itemsWithPkPrefix(serviceTable('shipping'), `SHIPMENT#${orderId}`)).toEqual([]);
    await expectReconciled([orderId]);

    await expectNoFailures();
  });

  it('an unknown SKU: CANCELLED UNKNOWN_SKU, payment REJECTED (never charged), nothing to compensate', async () => {
    const stockBefore = await stockOf(OWN_SKU);
    const orderId = await post(
      orderBody(uniqueCustomer('biz'), {
        items: [
          { sku: OWN_SKU, quantity: 1 },
          { sku: 'SKU-NOPE', quantity: 1 },
        ],
      }),
    );

    const order = await untilOrderState(orderId, 'CANCELLED', { payment: 'REJECTED', inventory: 'BACKORDERED', notification: 'SENT', analytics: 'RECORDED' });
    expect(order.reason).toBe('UNKNOWN_SKU');
    expect(serviceStatuses(order)).toEqual({ payment: 'REJECTED', inventory: 'BACKORDERED', shipping: 'SKIPPED', notification: 'SENT', analytics: 'RECORDED' });
    expect(order.total).toBeNull();

    expect(await stockOf(OWN_SKU)).toBe(stockBefore);
    expect(await getItem(serviceTable('payment'), { pk: `CHARGE#${orderId}`, sk: 'CHARGE' })).toBeUndefined();
    // The ledger's intent records the rejection, fixed once: a later catalog edit cannot turn it into a charge.
    expect(await getItem(serviceTable('payment'), { pk: `PAYMENT#${orderId}`, sk: 'PAYMENT' })).toMatchObject({ state: 'REJECTED', unknownSkus: ['SKU-NOPE'] });
    expect(await itemsWithPkPrefix(serviceTable('shipping'), `SHIPMENT#${orderId}`)).toEqual([]);
    await expectReconciled([orderId]);

    await expectNoFailures();
  });
});
