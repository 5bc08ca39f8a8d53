import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bodyOf, captureLogLines, checked, configWith, ddbMock, httpEvent, JWT_ENV, ORDERS_TABLE, SECRETS } from './fixtures';
import { createHandler } from '../../../lambdas/api/get-order';
import { lifecycleKey, orderKey, personalDataKey, statusKey } from '../../../lambdas/adapters/keys';

const ID = '3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f';
const handler = checked('getOrder', createHandler(configWith()));
const get = (orderId: string) => handler(httpEvent({ method: 'GET', rawPath: `/orders/${orderId}`, pathParameters: { orderId } }));

const orderItem = {
  ...orderKey(ID),
  orderId: ID,
  customerId: 'c-1',
  currency: 'GBP',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  correlationId: 'corr-1',
  createdAt: '2024-05-01T10:00:00.000Z',
};
const FAR_FUTURE = 4_102_444_800; // 2100-01-01
const piiItem = {
  ...personalDataKey(ID),
  orderId: ID,
  email: SECRETS.email,
  shippingAddress: { line1: SECRETS.line1, city: SECRETS.city, postalCode: SECRETS.postalCode, country: 'GB' },
  createdAt: '2024-05-01T10:00:00.000Z',
  expiresAt: FAR_FUTURE,
};
const status = (service: string, s: string, updatedAt: string) => ({ ...statusKey(ID, service), service, status: s, updatedAt, detail: { x: 1 } });
const lifecycle = (attributes: Record<string, unknown>) => ({ ...lifecycleKey(ID), ...attributes });

const partition = (...items: Record<string, unknown>[]) => ddbMock.on(BatchGetCommand).resolves({ Responses: { [ORDERS_TABLE]: items } });

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(BatchGetCommand).resolves({ Responses: { [ORDERS_TABLE]: [] } });
});

describe('GET /orders/{orderId}', () => {
  it('reads the order, its personal data, lifecycle and visible statuses with one consistent BatchGetItem (never the outbox item)', async () => {
    partition(orderItem, piiItem);
    expect((await get(ID)).statusCode).toBe(200);
    expect(ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input)).toEqual([
      {
        RequestItems: {
          [ORDERS_TABLE]: {
            Keys: [
              orderKey(ID),
              personalDataKey(ID),
              lifecycleKey(ID),
              ...['payment', 'inventory', 'shipping', 'notification', 'analytics'].map((s) => statusKey(ID, s)),
            ],
            ConsistentRead: true,
          },
        },
      },
    ]);
  });

  it('reads the keys DynamoDB left unprocessed again', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [ORDERS_TABLE]: [orderItem] }, UnprocessedKeys: { [ORDERS_TABLE]: { Keys: [personalDataKey(ID)] } } })
      .resolves({ Responses: { [ORDERS_TABLE]: [piiItem] } });
    expect(bodyOf(await get(ID)).email).toBe('a***@example.com');
    expect(ddbMock.commandCalls(BatchGetCommand)[1]!.args[0].input.RequestItems![ORDERS_TABLE]!.Keys).toEqual([personalDataKey(ID)]);
  });

  it('personal data erased, or past its retention: no e-mail, no address, and which of the two', async () => {
    partition(orderItem, { ...personalDataKey(ID), orderId: ID, erasedAt: '2024-05-02T00:00:00.000Z', expiresAt: FAR_FUTURE });
    expect(bodyOf(await get(ID))).toMatchObject({ email: null, shippingAddress: null, personalData: 'ERASED' });
    partition(orderItem);
    expect(bodyOf(await get(ID))).toMatchObject({ email: null, shippingAddress: null, personalData: 'EXPIRED' });
    // TTL deletes late: an item past its expiry counts as gone.
    partition(orderItem, { ...piiItem, expiresAt: 1_000 });
    expect(bodyOf(await get(ID))).toMatchObject({ email: null, shippingAddress: null, personalData: 'EXPIRED' });
  });

  it.each(['not-a-uuid', '', '3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6', 'ORDER#x'])('404 without a read for the malformed id %j', async (id) => {
    const res = await get(id);
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res)).toEqual({ error: { code: 'NOT_FOUND', message: 'no such order', requestId: 'req-1' } });
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it('404 for an unknown id, and for a partition without its ORDER item', async () => {
    expect((await get(ID)).statusCode).toBe(404);
    partition(status('payment', 'CHARGED', '2024-05-01T10:00:01.000Z'));
    expect((await get(ID)).statusCode).toBe(404);
  });

  it('a fresh order: ACCEPTED, masked, no total, every service PENDING', async () => {
    partition(orderItem, piiItem);
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
      personalData: 'KEPT',
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
    const { shippingAddress, ...noAddress } = piiItem;
    partition(orderItem, noAddress);
    expect(bodyOf(await get(ID)).shippingAddress).toBeNull();
  });

  it('a confirmed order: the priced total, each reported status, updatedAt the latest change', async () => {
    partition(
      orderItem,
      lifecycle({
        status: 'CONFIRMED',
        payment: 'CHARGED',
        inventory: 'RESERVED',
        amountCents: 500,
        currency: 'GBP',
        updatedAt: '2024-05-01T10:00:02.000Z',
        decidedAt: '2024-05-01T10:00:02.500Z',
        decision: '{"eventType":"OrderConfirmed"}',
      }),
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
    partition(orderItem, lifecycle({ payment: 'CHARGED', amountCents: 750, currency: 'GBP', updatedAt: '2024-05-01T10:00:01.000Z' }));
    expect(bodyOf(await get(ID))).toMatchObject({ status: 'ACCEPTED', total: { amountCents: 750, currency: 'GBP' }, updatedAt: '2024-05-01T10:00:01.000Z' });
  });

  it('a cancelled order: the reason, shipping SKIPPED (never PENDING), others as reported', async () => {
    partition(
      orderItem,
      lifecycle({
        status: 'CANCELLED',
        reason: 'OUT_OF_STOCK',
        payment: 'CHARGED',
        inventory: 'BACKORDERED',
        amountCents: 500,
        currency: 'GBP',
        updatedAt: '2024-05-01T10:00:02.000Z',
        decidedAt: '2024-05-01T10:00:02.500Z',
      }),
      status('payment', 'REFUNDED', '2024-05-01T10:00:04.000Z'),
      status('inventory', 'BACKORDERED', '2024-05-01T10:00:02.000Z'),
    );
    const view = bodyOf(await get(ID));
    expect(view).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK', updatedAt: '2024-05-01T10:00:04.000Z' });
    expect(view.services.shipping).toEqual({ status: 'SKIPPED', updatedAt: '2024-05-01T10:00:02.500Z' });
    expect(view.services.payment).toEqual({ status: 'REFUNDED', updatedAt: '2024-05-01T10:00:04.000Z' });
    expect(view.services.notification).toEqual({ status: 'PENDING', updatedAt: null });
  });

  it('the reason only for a cancelled order, even if a LIFECYCLE item carries one otherwise', async () => {
    // The aggregate writes a reason only with CANCELLED; the answer's contract says the same (OpenAPI: reason).
    partition(orderItem, lifecycle({ status: 'CONFIRMED', reason: 'TIMEOUT', decidedAt: '2024-05-01T10:00:02.000Z' }));
    expect(bodyOf(await get(ID))).not.toHaveProperty('reason');
    partition(orderItem, lifecycle({ reason: 'TIMEOUT' }));
    expect(bodyOf(await get(ID))).not.toHaveProperty('reason');
  });

  it('500 INTERNAL when the read fails', async () => {
    ddbMock.on(BatchGetCommand).rejects(new Error('boom'));
    const res = await get(ID);
    expect(res.statusCode).toBe(500);
    expect(bodyOf(res)).toEqual({ error: { code: 'INTERNAL', message: 'internal error', requestId: 'req-1' } });
  });
});

describe('GET /orders/{orderId}: its log lines', () => {
  let byMessage: ReturnType<typeof captureLogLines>['byMessage'];
  beforeEach(() => ({ byMessage } = captureLogLines()));
  afterEach(() => vi.restoreAllMocks());

  it('one line per answered read: which order, in which status', async () => {
    partition(orderItem, lifecycle({ status: 'CONFIRMED', decidedAt: '2024-05-01T10:00:02.000Z' }));
    expect((await get(ID)).statusCode).toBe(200);
    expect(byMessage('order read')).toEqual([expect.objectContaining({ level: 'INFO', orderId: ID, status: 'CONFIRMED', correlationId: expect.any(String) })]);
  });

  it("a refusal (401) and a failure (500) are logged as the read route's own", async () => {
    const guarded = checked('getOrder', createHandler(configWith(JWT_ENV)));
    expect((await guarded(httpEvent({ method: 'GET', rawPath: `/orders/${ID}`, pathParameters: { orderId: ID } }))).statusCode).toBe(401);
    expect(byMessage('order read refused')).toEqual([expect.objectContaining({ level: 'WARN', status: 401 })]);
    ddbMock.on(BatchGetCommand).rejects(new Error('boom'));
    expect((await get(ID)).statusCode).toBe(500);
    expect(byMessage('order read failed')).toEqual([expect.objectContaining({ level: 'ERROR', orderId: ID, error: 'boom' })]);
  });
});
