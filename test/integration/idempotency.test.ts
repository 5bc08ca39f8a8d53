/**
 * Idempotency-Key on POST /orders, against the deployed stack: a replay returns the first order, a reused key with
 * another body is refused, and a burst of concurrent requests with one key creates exactly one order.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orderBody, postOrder, untilSettled } from './support/api';
import { customerItems, itemsWithPkPrefix, serviceStatuses } from './support/api-extra';
import { serviceTable, uniqueCustomer } from './support/stack';

const newKey = () => `idem-${randomUUID()}`;

describe('Idempotency-Key', () => {
  it('same key and same body: 202 with the first orderId and idempotent-replayed, one ORDER item', async () => {
    const customer = uniqueCustomer('idem');
    const key = newKey();
    const body = orderBody(customer, { items: [{ sku: 'SKU-3', quantity: 1 }] });

    const first = await postOrder(body, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await postOrder(body, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.body.orderId).toBe(first.body.orderId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));

    const stored = await customerItems(customer);
    expect(stored.orders.map((i) => i.orderId)).toEqual([first.body.orderId]);
    expect(stored.outbox).toHaveLength(1);
    expect(stored.idempotency).toHaveLength(1);
    expect(stored.idempotency[0]).toMatchObject({ pk: `IDEMPOTENCY#${customer}#${key}`, orderId: first.body.orderId });
  });

  it('same key and another body: 422 IDEMPOTENCY_KEY_REUSED, and no second order', async () => {
    const customer = uniqueCustomer('idem');
    const key = newKey();
    const first = await postOrder(orderBody(customer, { items: [{ sku: 'SKU-3', quantity: 1 }] }), { 'idempotency-key': key });
    expect(first.status).toBe(202);

    const reused = await postOrder(orderBody(customer, { items: [{ sku: 'SKU-3', quantity: 2 }] }), { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toContain('application/json');
    expect(reused.body.error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: expect.stringContaining('Idempotency-Key'),
      requestId: expect.any(String),
    });
    expect(reused.headers.get('idempotent-replayed')).toBeNull();

    const stored = await customerItems(customer);
    expect(stored.orders.map((i) => i.orderId)).toEqual([first.body.orderId]);
    expect(stored.outbox).toHaveLength(1);
  });

  it('20 concurrent POSTs with one key: all 202 with one orderId, one ORDER and one OUTBOX item, CONFIRMED once', async () => {
    const customer = uniqueCustomer('idem');
    const key = newKey();
    const body = orderBody(customer, { items: [{ sku: 'SKU-4', quantity: 1 }] });

    const answers = await Promise.all(Array.from({ length: 20 }, () => postOrder(body, { 'idempotency-key': key })));

    // Every request must be answered 202: the API retries a transaction that lost to a concurrent one with the same
    // key (TransactionConflict) and then finds the winner's key record, so no caller should see a 409 or a 500.
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const ids = new Set(answers.map((a) => a.body.orderId));
    expect([...ids]).toHaveLength(1);
    const [orderId] = ids as Set<string>;
    // Exactly one request created the order; every other one is a replay of it.
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);

    const stored = await customerItems(customer);
    expect(stored.orders.map((i) => i.orderId)).toEqual([orderId]);
    expect(stored.outbox.map((i) => i.orderId)).toEqual([orderId]);
    expect(stored.idempotency).toHaveLength(1);

    const order = await untilSettled(orderId!);
    expect(order.status).toBe('CONFIRMED');
    expect(serviceStatuses(order)).toMatchObject({ payment: 'CHARGED', inventory: 'RESERVED', shipping: 'REQUESTED', notification: 'SENT' });
    // Once: one charge at the provider, one shipment, one confirmation e-mail for the order.
    expect(await itemsWithPkPrefix(serviceTable('payment'), `CHARGE#${orderId}`)).toHaveLength(1);
    expect(await itemsWithPkPrefix(serviceTable('shipping'), `SHIPMENT#${orderId}`)).toHaveLength(1);
    expect(await itemsWithPkPrefix(serviceTable('notification'), `EMAIL#${orderId}#`)).toHaveLength(1);
  });
});
