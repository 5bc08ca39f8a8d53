import { describe, expect, it } from 'vitest';
import { getOrder, orderBody, postOrder, untilSettled } from './support/api';
import { uniqueCustomer } from './support/stack';

describe('an order through the deployed pipeline', () => {
  it('answers 202 with a Location that GET can use as is, and ends CONFIRMED with every service done', async () => {
    const res = await postOrder(orderBody(uniqueCustomer(), { items: [{ sku: 'SKU-2', quantity: 3 }] }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ACCEPTED', orderId: expect.any(String) });
    const location = res.headers.get('location')!;
    expect(location).toBe(res.body.statusUrl);

    const first = await getOrder(location);
    expect(first.status).toBe(200);
    expect(first.body.orderId).toBe(res.body.orderId);

    const order = await untilSettled(res.body.orderId);
    expect(order.status).toBe('CONFIRMED');
    expect(order.total).toEqual({ amountCents: 3 * 500, currency: 'USD' });
    expect(order.email).not.toContain('ada@');
    expect(Object.fromEntries(Object.entries(order.services).map(([k, v]: [string, any]) => [k, v.status]))).toEqual({
      payment: 'CHARGED',
      inventory: 'RESERVED',
      shipping: 'REQUESTED',
      notification: 'SENT',
      analytics: 'RECORDED',
    });
  });

  it('answers 404 for an unknown order', async () => {
    const res = await getOrder('00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
