/**
 * Erasure on the deployed stack: after DELETE /orders/{id}/personal-data no table of the stack holds the order's
 * e-mail address or any part of its street address (every item of every table is read), and GET says ERASED.
 * Before it, the e-mail and address were stored (so the search can find them).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../../lambdas/services/registry';
import { catalogTable, getItem, ordersTable, scanAll } from './support/api-extra';
import { paymentTokenKey, personalDataKey } from '../../lambdas/adapters/keys';
import { apiUrl, serviceTable, uniqueCustomer } from './support/stack';
import { getOrder, orderBody, postOrder, untilSettled } from './support/api';

const everyTable = () => [ordersTable(), catalogTable(), ...SERVICES.map((s) => serviceTable(s.name))];

/** The tables (by name) whose items contain any of the strings anywhere. */
async function tablesHolding(needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of everyTable()) {
    const items = await scanAll({ TableName: table });
    if (items.some((item) => needles.some((n) => JSON.stringify(item).includes(n)))) found.push(table);
  }
  return found;
}

describe("erasing an order's personal data", () => {
  it('removes the e-mail and address from every table of the stack; GET says ERASED; a second erase is a 200 too', async () => {
    const tag = randomUUID().slice(0, 8);
    const email = `erase-${tag}@example.com`;
    const address = { line1: `${tag} Erasure Street`, city: `Forgetton-${tag}`, postalCode: 'EC1A 1BB', country: 'GB' };
    const paymentToken = `tok_erase${tag}`;
    const res = await postOrder(orderBody(uniqueCustomer('erase'), { email, shippingAddress: address, paymentToken }));
    expect(res.status).toBe(202);
    const { orderId } = res.body;
    const settled = await untilSettled(orderId);
    expect(settled).toMatchObject({ status: 'CONFIRMED', personalData: 'KEPT', email: 'e***@example.com' });
    expect(settled.services.notification.status).toBe('SENT');
    // The token went when payment decided (its PAYTOKEN item is deleted with the charge's result): only the PII item
    // of the orders table still holds anything of the customer's.
    const needles = [email, address.line1, address.city, paymentToken];
    expect(await tablesHolding(needles)).toEqual([ordersTable()]);
    expect(await getItem(ordersTable(), paymentTokenKey(orderId))).toBeUndefined();

    const erased = await fetch(`${apiUrl}/orders/${orderId}/personal-data`, { method: 'DELETE' });
    expect(erased.status).toBe(200);
    expect(await erased.json()).toMatchObject({ orderId, personalData: 'ERASED' });

    expect(await tablesHolding(needles)).toEqual([]);
    // A decided order gets no PAYTOKEN item back from the erasure (its token tombstone is written only over a token).
    expect(await getItem(ordersTable(), paymentTokenKey(orderId))).toBeUndefined();
    expect(await getItem(ordersTable(), personalDataKey(orderId))).toMatchObject({ erasedAt: expect.any(String) });
    const after = await getOrder(orderId);
    expect(after.body).toMatchObject({ orderId, status: 'CONFIRMED', email: null, shippingAddress: null, personalData: 'ERASED' });
    expect((await fetch(`${apiUrl}/orders/${orderId}/personal-data`, { method: 'DELETE' })).status).toBe(200);
  });

  it('an unknown order: 404, nothing written', async () => {
    const res = await fetch(`${apiUrl}/orders/${randomUUID()}/personal-data`, { method: 'DELETE' });
    expect(res.status).toBe(404);
  });
});
