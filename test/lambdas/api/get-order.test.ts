import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { bodyOf, ddbMock, httpEvent, ORDERS_TABLE, SECRETS } from './fixtures';
import { handler } from '../../../lambdas/api/get-order';

const ID = '3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f';
const get = (orderId: string) => handler(httpEvent({ method: 'GET', rawPath: `/orders/${orderId}`, pathParameters: { orderId } }));

const orderItem = {
  pk: `ORDER#${ID}`,
  sk: 'ORDER',
  orderId: ID,
  customerId: 'c-1',
  email: SECRETS.email,
  currency: 'GBP',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  shippingAddress: { line1: SECRETS.line1, city: SECRETS.city, postalCode: SECRETS.postalCode, country: 'GB' },
  correlationId: 'corr-1',
  createdAt: '2024-05-01T10:00:00.000Z',
};
const status = (service: string, s: string, updatedAt: string) => ({
  pk: `ORDER#${ID}`,
  sk: `STATUS#${service}`,
  service,
  status: s,
  updatedAt,
  detail: { x: 1 },
});

const partition = (...items: Record<string, unknown>[]) => ddbMock.on(QueryCommand).resolves({ Items: items });

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(QueryCommand).resolves({ Items: [] });
});

describe('GET /orders/{orderId}', () => {
  it('reads the partition with one consistent Query that leaves the outbox item (and its token) out', async () => {
    partition(orderItem);
    expect((await get(ID)).statusCode).toBe(200);
    expect(ddbMock.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: ORDERS_TABLE,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'sk IN (:order, :lifecycle) OR begins_with(sk, :status)',
        ExpressionAttributeValues: { ':pk': `ORDER#${ID}`, ':order': 'ORDER', ':lifecycle': 'LIFECYCLE', ':status': 'STATUS#' },
        ConsistentRead: true,
        ExclusiveStartKey: undefined,
      },
    ]);
  });

  it.each(['not-a-uuid', '', '3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6', 'ORDER#x'])('404 without a read for the malformed id %j', async (id) => {
    const res = await get(id);
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res)).toEqual({ error: { code: 'NOT_FOUND', message: 'no such order', requestId: 'req-1' } });
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('404 for an unknown id, and for a partition without its ORDER item', async () => {
    expect((await get(ID)).statusCode).toBe(404);
    partition(status('payment', 'CHARGED', '2024-05-01T10:00:01.000Z'));
    expect((await get(ID)).statusCode).toBe(404);
  });

  it('a fresh order: ACCEPTED, masked, no total, every service PENDING', async () => {
    partition(orderItem);
    const res = await get(ID);
    expect(res.headers?.['cache-control']).toBe('no-store');
    expect(bodyOf(res)).toEqual({
      orderId: ID,
      status: 'ACCEPTED',
      customerId: 'c-1',
      email: 'a***@example.com',
      currency: 'GBP',
      items: [{ sku: 'SKU-1', quantity: 2 }],
      total: null,
      shippingAddress: { country: 'GB', postalCode: 'NW***' },
      createdAt: orderItem.createdAt,
      updatedAt: orderItem.createdAt,
      services: {
        payment: { status: 'PENDING', updatedAt: null },
        inventory: { status: 'PENDING', updatedAt: null },
        shipping: { status: 'PENDING', updatedAt: null },
        notification: { status: 'PENDING', updatedAt: null },
        analytics: { status: 'PENDING', updatedAt: null },
      },
    });
    for (const secret of Object.values(SECRETS)) expect(res.body).not.toContain(secret);
  });

  it('no shipping address: null', async () => {
    const { shippingAddress, ...noAddress } = orderItem;
    partition(noAddress);
    expect(bodyOf(await get(ID)).shippingAddress).toBeNull();
  });

  it('a confirmed order: the priced total, each reported status, updatedAt the latest change', async () => {
    partition(
      orderItem,
      {
        pk: `ORDER#${ID}`,
        sk: 'LIFECYCLE',
        status: 'CONFIRMED',
        payment: 'CHARGED',
        inventory: 'RESERVED',
        amountCents: 500,
        currency: 'GBP',
        updatedAt: '2024-05-01T10:00:02.000Z',
        decidedAt: '2024-05-01T10:00:02.500Z',
        decision: '{"eventType":"OrderConfirmed"}',
      },
      status('payment', 'CHARGED', '2024-05-01T10:00:01.000Z'),
      status('inventory', 'RESERVED', '2024-05-01T10:00:02.000Z'),
      status('shipping', 'REQUESTED', '2024-05-01T10:00:03.000Z'),
    );
    const view = bodyOf(await get(ID));
    expect(view).toMatchObject({ status: 'CONFIRMED', total: { amountCents: 500, currency: 'GBP' }, updatedAt: '2024-05-01T10:00:03.000Z' });
    expect(view).not.toHaveProperty('reason');
    expect(view).not.toHaveProperty('decision');
    expect(view.services).toEqual({
      payment: { status: 'CHARGED', updatedAt: '2024-05-01T10:00:01.000Z' },
      inventory: { status: 'RESERVED', updatedAt: '2024-05-01T10:00:02.000Z' },
      shipping: { status: 'REQUESTED', updatedAt: '2024-05-01T10:00:03.000Z' },
      notification: { status: 'PENDING', updatedAt: null },
      analytics: { status: 'PENDING', updatedAt: null },
    });
  });

  it('a LIFECYCLE item before the decision: still ACCEPTED, total once priced', async () => {
    partition(orderItem, { pk: `ORDER#${ID}`, sk: 'LIFECYCLE', payment: 'CHARGED', amountCents: 750, currency: 'GBP', updatedAt: '2024-05-01T10:00:01.000Z' });
    expect(bodyOf(await get(ID))).toMatchObject({ status: 'ACCEPTED', total: { amountCents: 750, currency: 'GBP' }, updatedAt: '2024-05-01T10:00:01.000Z' });
  });

  it('a cancelled order: the reason, shipping SKIPPED (never PENDING), others as reported', async () => {
    partition(
      orderItem,
      {
        pk: `ORDER#${ID}`,
        sk: 'LIFECYCLE',
        status: 'CANCELLED',
        reason: 'OUT_OF_STOCK',
        payment: 'CHARGED',
        inventory: 'BACKORDERED',
        amountCents: 500,
        currency: 'GBP',
        updatedAt: '2024-05-01T10:00:02.000Z',
        decidedAt: '2024-05-01T10:00:02.500Z',
      },
      status('payment', 'REFUNDED', '2024-05-01T10:00:04.000Z'),
      status('inventory', 'BACKORDERED', '2024-05-01T10:00:02.000Z'),
    );
    const view = bodyOf(await get(ID));
    expect(view).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK', updatedAt: '2024-05-01T10:00:04.000Z' });
    expect(view.services.shipping).toEqual({ status: 'SKIPPED', updatedAt: '2024-05-01T10:00:02.500Z' });
    expect(view.services.payment).toEqual({ status: 'REFUNDED', updatedAt: '2024-05-01T10:00:04.000Z' });
    expect(view.services.notification).toEqual({ status: 'PENDING', updatedAt: null });
  });

  it('500 INTERNAL when the read fails', async () => {
    ddbMock.on(QueryCommand).rejects(new Error('boom'));
    const res = await get(ID);
    expect(res.statusCode).toBe(500);
    expect(bodyOf(res)).toEqual({ error: { code: 'INTERNAL', message: 'internal error', requestId: 'req-1' } });
  });
});
