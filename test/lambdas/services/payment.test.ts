import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, conditionalCheckFailed, context, ddbMock, envelope, inboxHolds, lastInboxRecord, TABLES, transactions } from './helpers';
import { PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { inboxKey, statusKey } from '../../../lambdas/adapters/keys';
import { contentHash, deterministicEventId } from '../../../lambdas/core/ids';
import { payment, paymentRecordKey, priceOrder } from '../../../lambdas/services/payment/payment';
import { chargeRecordKey, IdempotencyKeyReuseError, refundRecordKey, SimulatedPaymentProvider } from '../../../lambdas/services/payment/provider';

const ctx = context('payment');
const placed = (over: { token?: string; items?: { sku: string; quantity: number }[] } = {}) =>
  envelope('OrderPlaced', {
    customerId: 'c-1',
    currency: 'USD',
    items: over.items ?? [
      { sku: 'SKU-1', quantity: 2 },
      { sku: 'SKU-3', quantity: 1 },
    ],
    ...(over.token ? { paymentToken: over.token } : {}),
  });
const cancelledEvent = (compensate: ('payment' | 'inventory')[]) =>
  envelope('OrderCancelled', { reason: 'OUT_OF_STOCK', compensate, currency: 'USD', cancelledAt: '2024-05-01T10:00:05.000Z' });

function catalogHas(items: { pk: string; unitPriceCents: number }[]) {
  ddbMock.on(BatchGetCommand).resolves({ Responses: { [TABLES.catalog]: items.map((i) => ({ ...i, name: i.pk, stock: 10 })) } });
}

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
  catalogHas([
    { pk: 'SKU-1', unitPriceCents: 250 },
    { pk: 'SKU-3', unitPriceCents: 750 },
  ]);
});

describe('priceOrder', () => {
  const catalog = new Map([['A', { sku: 'A', name: 'a', unitPriceCents: 100, stock: 1 }]]);
  it('sums unit price x quantity', () => expect(priceOrder([{ sku: 'A', quantity: 3 }], catalog)).toEqual({ amountCents: 300 }));
  it('lists unknown skus once, sorted', () =>
    expect(priceOrder([{ sku: 'Z', quantity: 1 }, { sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }, { sku: 'Z', quantity: 2 }], catalog)).toEqual({ unknownSkus: ['B', 'Z'] }));
});

describe('payment on OrderPlaced', () => {
  it('prices from the catalog, charges once with the order key and records the charge, status and inbox together', async () => {
    const result = await payment(placed({ token: 'tok_visa' }), ctx);

    expect(ddbMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems![TABLES.catalog]!.Keys).toEqual([{ pk: 'SKU-1' }, { pk: 'SKU-3' }]);
    const providerPut = ddbMock.commandCalls(PutCommand);
    expect(providerPut).toHaveLength(1);
    const charge = providerPut[0]!.args[0].input;
    expect(charge.Item).toMatchObject({ ...chargeRecordKey('order-1'), idempotencyKey: 'order-1:charge', status: 'CHARGED', amountCents: 1250, currency: 'USD' });
    expect(charge.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(JSON.stringify(charge)).not.toContain('tok_visa');

    const [items] = transactions();
    expect(items).toHaveLength(3);
    expect(items![0]!.Put).toMatchObject({ TableName: TABLES.service, Item: { ...paymentRecordKey('order-1'), state: 'CHARGED', amountCents: 1250 } });
    expect(items![1]!.Put).toMatchObject({ TableName: TABLES.orders, Item: { ...statusKey('order-1', 'payment'), status: 'CHARGED', detail: { amountCents: 1250, currency: 'USD' } } });
    expect(items![2]!.Put).toMatchObject({ TableName: TABLES.service, Item: inboxKey('evt-OrderPlaced'), ConditionExpression: 'attribute_not_exists(pk)' });
    expect(JSON.stringify(items)).not.toContain('tok_visa');

    expect(result.outcome).toBe('CHARGED');
    expect(result.duplicate).toBe(false);
    expect(result.emits).toHaveLength(1);
    expect(result.emits![0]).toMatchObject({
      eventId: deterministicEventId('order-1', 'payment', 'PaymentCharged'),
      eventType: 'PaymentCharged',
      correlationId: 'corr-1',
      orderId: 'order-1',
      payload: { amountCents: 1250, currency: 'USD', chargeId: charge.Item!.chargeId },
    });
  });

  it('records a decline as an outcome: PaymentDeclined, status DECLINED, no ledger entry', async () => {
    const result = await payment(placed({ token: 'tok_declined' }), ctx);
    expect(ddbMock.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({ status: 'DECLINED', reason: 'card_declined' });
    const [items] = transactions();
    expect(items!.map((i) => (i.Put?.Item as { sk: string }).sk)).toEqual(['STATUS#payment', 'INBOX']);
    expect(items![0]!.Put!.Item).toMatchObject({ status: 'DECLINED' });
    expect(result).toMatchObject({ outcome: 'DECLINED', duplicate: false });
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['PaymentDeclined', { amountCents: 1250, currency: 'USD', reason: 'card_declined' }]]);
  });

  it('rejects an order with an unknown sku without charging', async () => {
    const result = await payment(placed({ items: [{ sku: 'SKU-1', quantity: 1 }, { sku: 'NOPE', quantity: 1 }] }), ctx);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    const [items] = transactions();
    expect(items).toHaveLength(2);
    expect(items![0]!.Put!.Item).toMatchObject({ status: 'REJECTED', detail: { reason: 'UNKNOWN_SKU', skus: ['NOPE'] } });
    expect(result.outcome).toBe('REJECTED');
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['OrderRejected', { reason: 'UNKNOWN_SKU', skus: ['NOPE'] }]]);
  });

  it('a redelivery re-emits the recorded events and charges nothing', async () => {
    const first = await payment(placed(), ctx);
    inboxHolds('evt-OrderPlaced', lastInboxRecord());
    ddbMock.resetHistory();

    const second = await payment(placed(), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'CHARGED' });
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('a concurrent copy that loses the inbox race returns the winner emits', async () => {
    const first = await payment(placed(), ctx);
    const record = lastInboxRecord();
    ddbMock.reset();
    catalogHas([{ pk: 'SKU-1', unitPriceCents: 250 }, { pk: 'SKU-3', unitPriceCents: 750 }]);
    // The provider already has the charge (it dedupes), and the inbox record appears between read and commit.
    ddbMock.on(PutCommand).rejects(conditionalCheckFailed());
    ddbMock.on(GetCommand, { Key: chargeRecordKey('order-1') }).resolves({ Item: chargeRecord((first.emits![0]!.payload as { chargeId: string }).chargeId) });
    ddbMock.on(GetCommand, { Key: inboxKey('evt-OrderPlaced') }).resolvesOnce({}).resolves({ Item: record });
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'ConditionalCheckFailed']));

    const second = await payment(placed(), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'CHARGED' });
  });

  it('throws when an event id is reused with another payload, and charges nothing', async () => {
    await payment(placed(), ctx);
    inboxHolds('evt-OrderPlaced', lastInboxRecord());
    ddbMock.resetHistory();
    await expect(payment(placed({ items: [{ sku: 'SKU-1', quantity: 5 }] }), ctx)).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('fails (retries) when the catalog is unavailable', async () => {
    ddbMock.on(BatchGetCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(payment(placed(), ctx)).rejects.toThrow('throttled');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

/** The provider's charge record as a first attempt of order-1 (1250 USD) wrote it. */
const chargeRecord = (chargeId: string) => ({
  ...chargeRecordKey('order-1'),
  idempotencyKey: 'order-1:charge',
  fingerprint: fingerprintOf(1250, 'USD'),
  status: 'CHARGED',
  chargeId,
});
const fingerprintOf = (amountCents: number, currency: string) => contentHash({ amountCents, currency });

describe('SimulatedPaymentProvider', () => {
  const provider = new SimulatedPaymentProvider(TABLES.service);
  const request = { idempotencyKey: 'order-9:charge', orderId: 'order-9', amountCents: 100, currency: 'USD', token: 'tok_visa' };

  it('returns the recorded answer for a key it has seen (dedupes like a real provider)', async () => {
    ddbMock.on(PutCommand).rejects(conditionalCheckFailed());
    ddbMock.on(GetCommand, { Key: chargeRecordKey('order-9') }).resolves({
      Item: { ...chargeRecordKey('order-9'), idempotencyKey: 'order-9:charge', fingerprint: fingerprintOf(100, 'USD'), status: 'DECLINED', reason: 'card_declined' },
    });
    await expect(provider.charge(request)).resolves.toEqual({ status: 'DECLINED', reason: 'card_declined' });
  });

  it('rejects a seen key with other parameters', async () => {
    ddbMock.on(PutCommand).rejects(conditionalCheckFailed());
    ddbMock.on(GetCommand, { Key: chargeRecordKey('order-9') }).resolves({
      Item: { ...chargeRecordKey('order-9'), idempotencyKey: 'order-9:charge', fingerprint: fingerprintOf(999, 'USD'), status: 'CHARGED', chargeId: 'ch_x' },
    });
    await expect(provider.charge(request)).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
  });

  it('asks its credentials resolver before calling out', async () => {
    let asked = 0;
    const withSecret = new SimulatedPaymentProvider(TABLES.service, async () => {
      asked += 1;
      return 'sk_test';
    });
    await withSecret.charge(request);
    expect(asked).toBe(1);
    expect(JSON.stringify(ddbMock.commandCalls(PutCommand)[0]!.args[0].input)).not.toContain('sk_test');
  });
});

describe('payment on OrderCancelled', () => {
  const ledger = { ...paymentRecordKey('order-1'), state: 'CHARGED', chargeId: 'ch_1', amountCents: 1250, currency: 'USD' };

  it('refunds a charged order with the refund key, marks the ledger and status in one transaction', async () => {
    ddbMock.on(GetCommand, { Key: paymentRecordKey('order-1') }).resolves({ Item: ledger });
    const result = await payment(cancelledEvent(['payment', 'inventory']), ctx);

    const refund = ddbMock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(refund.Item).toMatchObject({ ...refundRecordKey('order-1'), idempotencyKey: 'order-1:refund', chargeId: 'ch_1', amountCents: 1250, status: 'REFUNDED' });
    const [items] = transactions();
    expect(items).toHaveLength(3);
    expect(items![0]!.Update).toMatchObject({ Key: paymentRecordKey('order-1'), ConditionExpression: '#state = :charged' });
    expect(items![1]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'payment'), status: 'REFUNDED' });
    expect(items![2]!.Put!.Item).toMatchObject(inboxKey('evt-OrderCancelled'));
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'REFUNDED' });
  });

  it('does nothing when payment is not among the compensations', async () => {
    const result = await payment(cancelledEvent(['inventory']), ctx);
    expect(result.outcome).toBe('IGNORED');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('a redelivered cancellation refunds nothing again', async () => {
    ddbMock.on(GetCommand, { Key: paymentRecordKey('order-1') }).resolves({ Item: ledger });
    await payment(cancelledEvent(['payment']), ctx);
    inboxHolds('evt-OrderCancelled', lastInboxRecord());
    ddbMock.resetHistory();

    const second = await payment(cancelledEvent(['payment']), ctx);
    expect(second).toEqual({ emits: [], duplicate: true, outcome: 'REFUNDED' });
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('throws when asked to refund an order it never charged (an inconsistency to dead-letter)', async () => {
    await expect(payment(cancelledEvent(['payment']), ctx)).rejects.toThrow('no charge recorded');
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });
});
