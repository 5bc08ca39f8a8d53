import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelled, context, ddbMock, envelope, FakeTables, instantBackoff, refusedRequests, TABLES, transactions } from './helpers';
import { PayloadMismatchError, TransactionConditionError } from '../../../lambdas/adapters/inbox';
import { inboxKey, paymentTokenKey, statusKey } from '../../../lambdas/adapters/keys';
import { CANCEL_REASONS, type CancelReason } from '../../../lambdas/core/events';
import { contentHash, deterministicEventId } from '../../../lambdas/core/ids';
import { makePayment, paymentRecordKey, priceOrder } from '../../../lambdas/services/payment/payment';
import {
  chargeRecordKey,
  IdempotencyKeyReuseError,
  refundRecordKey,
  SimulatedPaymentProvider,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type RefundRequest,
} from '../../../lambdas/services/payment/provider';

const ctx = context('payment');
const ITEMS = [
  { sku: 'SKU-1', quantity: 2 },
  { sku: 'SKU-3', quantity: 1 },
];
const placed = (items = ITEMS) => envelope('OrderPlaced', { customerId: 'c-1', currency: 'USD', items });
const cancelledEvent = (reason: CancelReason = 'OUT_OF_STOCK') =>
  envelope('OrderCancelled', { reason, currency: 'USD', cancelledAt: '2024-05-01T10:00:05.000Z' });

/** The provider as the handler sees it (the simulated one over the same tables), recording every call; hooks let a
 *  test run something (a concurrent copy, a cancellation, a catalog edit) while a charge is in flight. */
class RecordingProvider implements PaymentProvider {
  readonly charges: ChargeRequest[] = [];
  readonly refunds: RefundRequest[] = [];
  finds = 0;
  beforeCharge?: () => Promise<unknown>;
  afterCharge?: () => Promise<unknown>;
  private readonly inner = new SimulatedPaymentProvider(TABLES.service);

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    this.charges.push(request);
    const [before, after] = [this.beforeCharge, this.afterCharge];
    this.beforeCharge = this.afterCharge = undefined;
    await before?.();
    const result = await this.inner.charge(request);
    await after?.();
    return result;
  }
  refund(request: RefundRequest) {
    this.refunds.push(request);
    return this.inner.refund(request);
  }
  find(request: { idempotencyKey: string; orderId: string }) {
    this.finds += 1;
    return this.inner.find(request);
  }
}

let db: FakeTables;
let provider: RecordingProvider;
let pay: ReturnType<typeof makePayment>;

const ledger = () => db.get(TABLES.service, paymentRecordKey('order-1'));
/** Every PutItem sent was a create-only ledger intent (which cannot overwrite what is there). */
const createOnlyIntentsOnly = () =>
  ddbMock
    .commandCalls(PutCommand)
    .every((c) => c.args[0].input.ConditionExpression === 'attribute_not_exists(pk)' && String(c.args[0].input.Item?.pk).startsWith('PAYMENT#'));
const token = () => db.get(TABLES.orders, paymentTokenKey('order-1'));
const status = () => db.get(TABLES.orders, statusKey('order-1', 'payment'));
const setPrice = (sku: string, unitPriceCents: number) => db.put(TABLES.catalog, { pk: sku, name: sku, unitPriceCents, stock: 10 });

beforeEach(() => {
  ddbMock.reset();
  db = new FakeTables().install();
  ddbMock.on(DeleteCommand).resolves({});
  setPrice('SKU-1', 250);
  setPrice('SKU-3', 750);
  db.put(TABLES.orders, { ...paymentTokenKey('order-1'), orderId: 'order-1', token: 'tok_visa_4242' });
  provider = new RecordingProvider();
  pay = makePayment(() => provider);
});

afterEach(() => vi.restoreAllMocks());

describe('priceOrder', () => {
  const catalog = new Map([['A', { sku: 'A', name: 'a', unitPriceCents: 100, stock: 1 }]]);
  it('sums unit price x quantity', () => expect(priceOrder([{ sku: 'A', quantity: 3 }], catalog)).toEqual({ amountCents: 300 }));
  it('lists unknown skus once, sorted', () =>
    expect(
      priceOrder(
        [
          { sku: 'Z', quantity: 1 },
          { sku: 'A', quantity: 1 },
          { sku: 'B', quantity: 1 },
          { sku: 'Z', quantity: 2 },
        ],
        catalog,
      ),
    ).toEqual({ unknownSkus: ['B', 'Z'] }));
});

describe('payment on OrderPlaced', () => {
  it('writes the PRICED intent before calling the provider, then records the charge, status, token delete and inbox together', async () => {
    provider.beforeCharge = async () => {
      // The amount is fixed before the provider is called.
      expect(ledger()).toMatchObject({ ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'PRICED', amountCents: 1250, currency: 'USD', lines: ITEMS });
    };
    const result = await pay(placed(), ctx);

    expect(ddbMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems![TABLES.catalog]!.Keys).toEqual([{ pk: 'SKU-1' }, { pk: 'SKU-3' }]);
    const intent = ddbMock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(intent).toMatchObject({
      TableName: TABLES.service,
      Item: { ...paymentRecordKey('order-1'), state: 'PRICED', amountCents: 1250 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(provider.charges).toEqual([{ idempotencyKey: 'order-1:charge', orderId: 'order-1', amountCents: 1250, currency: 'USD', token: 'tok_visa_4242' }]);
    const charge = db.get(TABLES.service, chargeRecordKey('order-1'))!;
    expect(charge).toMatchObject({ idempotencyKey: 'order-1:charge', status: 'CHARGED', amountCents: 1250, currency: 'USD' });

    const all = transactions();
    expect(all).toHaveLength(1);
    const items = all[0]!;
    expect(items).toHaveLength(4);
    expect(items[0]!.Update).toMatchObject({
      TableName: TABLES.service,
      Key: paymentRecordKey('order-1'),
      ConditionExpression: '#state = :priced',
      ExpressionAttributeValues: { ':state': 'CHARGED', ':priced': 'PRICED', ':chargeId': charge.chargeId },
    });
    expect(items[1]!.Put).toMatchObject({
      TableName: TABLES.orders,
      Item: { ...statusKey('order-1', 'payment'), status: 'CHARGED', detail: { amountCents: 1250, currency: 'USD' } },
    });
    expect(items[2]!.Delete).toEqual({ TableName: TABLES.orders, Key: paymentTokenKey('order-1') });
    expect(items[3]!.Put).toMatchObject({ TableName: TABLES.service, Item: inboxKey('evt-OrderPlaced'), ConditionExpression: 'attribute_not_exists(pk)' });

    expect(ledger()).toMatchObject({ state: 'CHARGED', amountCents: 1250, chargeId: charge.chargeId });
    expect(result).toMatchObject({ outcome: 'CHARGED', duplicate: false });
    expect(result.emits).toHaveLength(1);
    expect(result.emits![0]).toMatchObject({
      eventId: deterministicEventId('order-1', 'payment', 'PaymentCharged'),
      eventType: 'PaymentCharged',
      correlationId: 'corr-1',
      orderId: 'order-1',
      payload: { amountCents: 1250, currency: 'USD', chargeId: charge.chargeId },
    });
  });

  it('the token is read from PAYTOKEN, deleted in the commit, and in no stored item or write', async () => {
    // Fails on c5101ed: the token came in OrderPlaced (payload.paymentToken) and its item was never read or deleted.
    await pay(placed(), ctx);
    expect(ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems![TABLES.orders])).toEqual([
      { Keys: [paymentTokenKey('order-1')], ConsistentRead: true },
    ]);
    expect(provider.charges[0]!.token).toBe('tok_visa_4242');
    expect(token()).toBeUndefined();
    expect(JSON.stringify([...db.items.values()])).not.toContain('tok_visa_4242');
    const writes = ddbMock.calls().filter((c) => !(c.args[0] instanceof GetCommand || c.args[0] instanceof BatchGetCommand));
    expect(JSON.stringify(writes.map((c) => c.args[0].input))).not.toContain('tok_visa_4242');
  });

  it('a declined token: PaymentDeclined, ledger DECLINED, token deleted', async () => {
    db.put(TABLES.orders, { ...paymentTokenKey('order-1'), orderId: 'order-1', token: 'tok_declined' });
    const result = await pay(placed(), ctx);
    expect(db.get(TABLES.service, chargeRecordKey('order-1'))).toMatchObject({ status: 'DECLINED', reason: 'card_declined' });
    expect(ledger()).toMatchObject({ state: 'DECLINED', amountCents: 1250, reason: 'card_declined' });
    expect(status()).toMatchObject({ status: 'DECLINED', detail: { amountCents: 1250, currency: 'USD', reason: 'card_declined' } });
    expect(token()).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'DECLINED', duplicate: false });
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['PaymentDeclined', { amountCents: 1250, currency: 'USD', reason: 'card_declined' }]]);
  });

  it('rejects an order with an unknown sku without calling the provider; the REJECTED intent stands', async () => {
    const result = await pay(
      placed([
        { sku: 'SKU-1', quantity: 1 },
        { sku: 'NOPE', quantity: 1 },
      ]),
      ctx,
    );
    expect(provider.charges).toEqual([]);
    expect(ledger()).toMatchObject({ state: 'REJECTED', unknownSkus: ['NOPE'] });
    const [items] = transactions();
    expect(items!.map((i) => (i.Put?.Item as { sk?: string } | undefined)?.sk ?? (i.Delete ? 'DELETE PAYTOKEN' : '?'))).toEqual([
      'STATUS',
      'DELETE PAYTOKEN',
      'INBOX',
    ]);
    expect(status()).toMatchObject({ status: 'REJECTED', detail: { reason: 'UNKNOWN_SKU', skus: ['NOPE'] } });
    expect(result.outcome).toBe('REJECTED');
    expect(result.emits!.map((e) => [e.eventType, e.payload])).toEqual([['OrderRejected', { reason: 'UNKNOWN_SKU', skus: ['NOPE'] }]]);
  });

  it('a redelivery re-emits the recorded events and charges nothing', async () => {
    const first = await pay(placed(), ctx);
    ddbMock.resetHistory();
    const second = await pay(placed(), ctx);
    expect(second).toEqual({ emits: first.emits, duplicate: true, outcome: 'CHARGED' });
    expect(provider.charges).toHaveLength(1);
    // The only write tried is the create-only intent, whose failed condition hands back the ledger; then the inbox.
    expect(createOnlyIntentsOnly()).toBe(true);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(ledger()).toMatchObject({ state: 'CHARGED' });
  });

  it('a first attempt reads neither its inbox record nor the ledger, and the token with the prices: reads, intent, provider, one commit', async () => {
    // Fails before the change: the charge path began with a GetItem of the inbox record and one of the ledger; and
    // before the token joined the catalog's BatchGetItem, it cost a GetItem of its own after the intent.
    await pay(placed(), ctx);
    const ops = ddbMock.calls().map((c) => {
      const input = c.args[0].input as { TableName?: string; Key?: { pk?: string }; Item?: { pk?: string }; RequestItems?: Record<string, unknown> };
      const name = c.args[0].constructor.name.replace(/Command$/, '');
      const what = input.Key?.pk ?? input.Item?.pk ?? Object.keys(input.RequestItems ?? {}).join(',') ?? '';
      return `${name} ${String(what).replace(/#.*/, '#')}`;
    });
    expect(ops).toEqual([`BatchGet ${TABLES.catalog},${TABLES.orders}`, 'Put PAYMENT#', 'Put CHARGE#', 'TransactWrite ']);
  });

  it.each([
    ['the price changed', () => setPrice('SKU-3', 999)],
    ['a SKU was delisted', () => db.delete(TABLES.catalog, { pk: 'SKU-3' })],
  ])('a retry after a catalog edit (%s) reuses the PRICED intent: same amount to the provider, same outcome', async (_, edit) => {
    // Fails on c5101ed: the retry priced again; a new price met IdempotencyKeyReuseError on every receive, a
    // delisted SKU turned the charged order into OrderRejected (charged, never refunded).
    db.failNextTransact = Object.assign(new Error('Task timed out'), { name: 'TimeoutError' });
    await expect(pay(placed(), ctx)).rejects.toThrow('Task timed out');
    expect(ledger()).toMatchObject({ state: 'PRICED', amountCents: 1250 });
    expect(db.get(TABLES.service, chargeRecordKey('order-1'))).toMatchObject({ status: 'CHARGED', amountCents: 1250 });

    edit();
    const retry = await pay(placed(), ctx);
    expect(provider.charges.map((c) => c.amountCents)).toEqual([1250, 1250]);
    expect(retry).toMatchObject({ outcome: 'CHARGED', duplicate: false });
    expect(retry.emits!.map((e) => [e.eventType, (e.payload as { amountCents: number }).amountCents])).toEqual([['PaymentCharged', 1250]]);
    expect(ledger()).toMatchObject({ state: 'CHARGED', amountCents: 1250 });
  });

  it('two concurrent copies straddling a catalog edit: both report the one charge, nothing rejected', async () => {
    // Fails on c5101ed: the second copy priced the edited catalog and committed OrderRejected; the charge was orphaned.
    let second: Awaited<ReturnType<typeof pay>> | undefined;
    provider.beforeCharge = async () => {
      db.delete(TABLES.catalog, { pk: 'SKU-3' });
      second = await pay(placed(), ctx);
    };
    const first = await pay(placed(), ctx);

    expect(provider.charges.map((c) => [c.idempotencyKey, c.amountCents])).toEqual([
      ['order-1:charge', 1250],
      ['order-1:charge', 1250],
    ]);
    expect(second).toMatchObject({ outcome: 'CHARGED', duplicate: false });
    expect(first).toEqual({ emits: second!.emits, duplicate: true, outcome: 'CHARGED' });
    expect(ledger()).toMatchObject({ state: 'CHARGED', amountCents: 1250 });
    expect(JSON.stringify([...db.items.values()])).not.toContain('UNKNOWN_SKU');
  });

  it('a cancellation that came first (ledger VOID): charges nothing, emits nothing, deletes the token', async () => {
    // Fails on c5101ed: there was no VOID; a late OrderPlaced charged a cancelled order.
    await pay(cancelledEvent('TIMEOUT'), ctx);
    expect(ledger()).toMatchObject({ state: 'VOID' });
    const late = await pay(placed(), ctx);
    expect(late).toEqual({ emits: [], duplicate: false, outcome: 'VOID' });
    expect(provider.charges).toEqual([]);
    expect(db.get(TABLES.service, chargeRecordKey('order-1'))).toBeUndefined();
    expect(ledger()).toMatchObject({ state: 'VOID' });
    expect(token()).toBeUndefined();
  });

  it('a charge whose commit loses to VOID refunds itself', async () => {
    // Fails on c5101ed: a cancellation of an order payment had not recorded threw, and the charge that landed stayed.
    provider.beforeCharge = () => pay(cancelledEvent('TIMEOUT'), ctx);
    const result = await pay(placed(), ctx);

    const charge = db.get(TABLES.service, chargeRecordKey('order-1'))!;
    expect(charge).toMatchObject({ status: 'CHARGED', amountCents: 1250 });
    expect(provider.refunds).toEqual([{ idempotencyKey: 'order-1:refund', orderId: 'order-1', chargeId: charge.chargeId, amountCents: 1250, currency: 'USD' }]);
    expect(db.get(TABLES.service, refundRecordKey('order-1'))).toMatchObject({ status: 'REFUNDED', amountCents: 1250 });
    expect(ledger()).toMatchObject({ state: 'REFUNDED', chargeId: charge.chargeId });
    expect(status()).toMatchObject({ status: 'REFUNDED', detail: { amountCents: 1250, currency: 'USD', late: true } });
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'REFUNDED_LATE' });
    expect(token()).toBeUndefined();
  });

  it('a decline whose commit loses to VOID: nothing to refund, no outcome emitted, the token deleted in its own commit', async () => {
    // The one path where the provider answered DECLINED after the order was cancelled: nothing was charged.
    db.put(TABLES.orders, { ...paymentTokenKey('order-1'), orderId: 'order-1', token: 'tok_declined' });
    provider.beforeCharge = () => pay(cancelledEvent('TIMEOUT'), ctx);
    const result = await pay(placed(), ctx);

    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'VOID' });
    expect(provider.charges).toHaveLength(1);
    expect(provider.refunds).toEqual([]);
    expect(ledger()).toMatchObject({ state: 'VOID' });
    expect(db.get(TABLES.service, chargeRecordKey('order-1'))).toMatchObject({ status: 'DECLINED' });
    // The cancellation deleted the token already; this commit deletes it too, so no path that closes the payment
    // depends on another to remove it.
    const last = transactions().at(-1)!;
    expect(last.map((i) => i.Delete?.Key)).toContainEqual(paymentTokenKey('order-1'));
    expect(token()).toBeUndefined();
  });

  it('a charge whose cancellation found it at the provider first: refunded once, under the one refund key', async () => {
    provider.afterCharge = () => pay(cancelledEvent('TIMEOUT'), ctx);
    const result = await pay(placed(), ctx);
    expect(provider.finds).toBe(1);
    expect(provider.refunds.map((r) => r.idempotencyKey)).toEqual(['order-1:refund', 'order-1:refund']);
    expect(db.all(TABLES.service).filter((i) => String(i.pk).startsWith('REFUND#'))).toHaveLength(1);
    expect(ledger()).toMatchObject({ state: 'REFUNDED' });
    expect(result).toMatchObject({ emits: [], outcome: 'REFUNDED_LATE' });
  });

  it('throws when an event id is reused with another payload, and charges nothing', async () => {
    await pay(placed(), ctx);
    ddbMock.resetHistory();
    await expect(pay(placed([{ sku: 'SKU-1', quantity: 5 }]), ctx)).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(provider.charges).toHaveLength(1);
    expect(createOnlyIntentsOnly()).toBe(true);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('fails (retries) when the catalog is unavailable, having written no intent', async () => {
    ddbMock.on(BatchGetCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(pay(placed(), ctx)).rejects.toThrow('throttled');
    expect(ledger()).toBeUndefined();
    expect(provider.charges).toEqual([]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

/** The provider's charge record as a first attempt of order-1 (1250 USD) wrote it. */
const fingerprintOf = (amountCents: number, currency: string) => contentHash({ amountCents, currency });

describe('SimulatedPaymentProvider', () => {
  const simulated = new SimulatedPaymentProvider(TABLES.service);
  const request = { idempotencyKey: 'order-9:charge', orderId: 'order-9', amountCents: 100, currency: 'USD', token: 'tok_visa' };

  it('returns the recorded answer for a key it has seen (dedupes like a real provider)', async () => {
    db.put(TABLES.service, {
      ...chargeRecordKey('order-9'),
      idempotencyKey: 'order-9:charge',
      fingerprint: fingerprintOf(100, 'USD'),
      status: 'DECLINED',
      reason: 'card_declined',
    });
    await expect(simulated.charge(request)).resolves.toEqual({ status: 'DECLINED', reason: 'card_declined' });
  });

  it('rejects a seen key with other parameters', async () => {
    db.put(TABLES.service, {
      ...chargeRecordKey('order-9'),
      idempotencyKey: 'order-9:charge',
      fingerprint: fingerprintOf(999, 'USD'),
      status: 'CHARGED',
      chargeId: 'ch_x',
    });
    await expect(simulated.charge(request)).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
  });

  it('never stores the token, even hashed', async () => {
    await simulated.charge(request);
    const stored = db.get(TABLES.service, chargeRecordKey('order-9'))!;
    expect(JSON.stringify(stored)).not.toContain('tok_visa');
    expect(stored.fingerprint).toBe(fingerprintOf(100, 'USD'));
  });

  it('find: the charge made under the key, nothing for a decline or an unknown key', async () => {
    await expect(simulated.find({ idempotencyKey: 'order-9:charge', orderId: 'order-9' })).resolves.toBeUndefined();
    const charged = await simulated.charge(request);
    await expect(simulated.find({ idempotencyKey: 'order-9:charge', orderId: 'order-9' })).resolves.toEqual({
      chargeId: (charged as { chargeId: string }).chargeId,
    });
    await expect(simulated.find({ idempotencyKey: 'other:charge', orderId: 'order-9' })).resolves.toBeUndefined();
    await simulated.charge({ ...request, idempotencyKey: 'order-8:charge', orderId: 'order-8', token: 'tok_declined' });
    await expect(simulated.find({ idempotencyKey: 'order-8:charge', orderId: 'order-8' })).resolves.toBeUndefined();
  });
});

describe('payment on OrderCancelled', () => {
  const charged = { ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'CHARGED', chargeId: 'ch_1', amountCents: 1250, currency: 'USD' };

  it.each(CANCEL_REASONS)(
    'refunds a CHARGED ledger whatever the reason (%s): refund key, ledger, status, token delete and inbox in one transaction',
    async (reason) => {
      // Fails on c5101ed for UNKNOWN_SKU and TIMEOUT: the refund followed the decision's `compensate` list, not the ledger.
      db.put(TABLES.service, charged);
      const result = await pay(cancelledEvent(reason), ctx);

      expect(provider.refunds).toEqual([{ idempotencyKey: 'order-1:refund', orderId: 'order-1', chargeId: 'ch_1', amountCents: 1250, currency: 'USD' }]);
      expect(provider.finds).toBe(0);
      const [items] = transactions();
      expect(items).toHaveLength(4);
      expect(items![0]!.Update).toMatchObject({
        Key: paymentRecordKey('order-1'),
        ConditionExpression: '#state = :from',
        ExpressionAttributeValues: { ':from': 'CHARGED', ':to': 'REFUNDED', ':chargeId': 'ch_1' },
      });
      expect(items![1]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'payment'), status: 'REFUNDED', detail: { amountCents: 1250, currency: 'USD' } });
      expect(items![2]!.Delete).toEqual({ TableName: TABLES.orders, Key: paymentTokenKey('order-1') });
      expect(items![3]!.Put!.Item).toMatchObject(inboxKey('evt-OrderCancelled'));
      expect(ledger()).toMatchObject({ state: 'REFUNDED', refundId: db.get(TABLES.service, refundRecordKey('order-1'))!.refundId });
      expect(result).toEqual({ emits: [], duplicate: false, outcome: 'REFUNDED' });
    },
  );

  it('a PRICED ledger whose charge the provider has (an attempt crashed before recording it): refunds it', async () => {
    // Fails on c5101ed: there was no intent and no provider lookup; the unrecorded charge was never refunded.
    db.put(TABLES.service, { ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'PRICED', amountCents: 1250, currency: 'USD' });
    const { chargeId } = (await new SimulatedPaymentProvider(TABLES.service).charge({
      idempotencyKey: 'order-1:charge',
      orderId: 'order-1',
      amountCents: 1250,
      currency: 'USD',
    })) as { chargeId: string };

    const result = await pay(cancelledEvent('TIMEOUT'), ctx);
    expect(provider.finds).toBe(1);
    expect(provider.refunds).toEqual([{ idempotencyKey: 'order-1:refund', orderId: 'order-1', chargeId, amountCents: 1250, currency: 'USD' }]);
    expect(transactions()[0]![0]!.Update).toMatchObject({
      ConditionExpression: '#state = :from',
      ExpressionAttributeValues: { ':from': 'PRICED', ':to': 'REFUNDED' },
    });
    expect(ledger()).toMatchObject({ state: 'REFUNDED', chargeId });
    expect(result.outcome).toBe('REFUNDED');
  });

  it('a PRICED ledger the provider never charged: VOID (conditionally), nothing refunded, a later attempt charges nothing', async () => {
    db.put(TABLES.service, { ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'PRICED', amountCents: 1250, currency: 'USD' });
    const result = await pay(cancelledEvent('TIMEOUT'), ctx);
    expect(provider.refunds).toEqual([]);
    expect(transactions()[0]![0]!.Update).toMatchObject({
      ConditionExpression: '#state = :from',
      ExpressionAttributeValues: { ':from': 'PRICED', ':to': 'VOID' },
    });
    expect(status()).toMatchObject({ status: 'VOIDED' });
    expect(result.outcome).toBe('VOIDED');

    expect(await pay(placed(), ctx)).toEqual({ emits: [], duplicate: false, outcome: 'VOID' });
    expect(provider.charges).toEqual([]);
  });

  it('no ledger: writes VOID with a create-only condition', async () => {
    // Fails on c5101ed: "no charge recorded" was thrown, so a cancellation that overtook OrderPlaced dead-lettered.
    const result = await pay(cancelledEvent('UNKNOWN_SKU'), ctx);
    const [items] = transactions();
    expect(items![0]!.Put).toMatchObject({
      TableName: TABLES.service,
      Item: { ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'VOID' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items![1]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'payment'), status: 'VOIDED' });
    expect(items![2]!.Delete).toEqual({ TableName: TABLES.orders, Key: paymentTokenKey('order-1') });
    expect(provider.finds + provider.refunds.length).toBe(0);
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'VOIDED' });
    expect(token()).toBeUndefined();
  });

  it.each(['DECLINED', 'REJECTED'])('a %s ledger: nothing to refund, nothing written but the inbox record and the token delete', async (state) => {
    db.put(TABLES.service, { ...paymentRecordKey('order-1'), orderId: 'order-1', state, amountCents: 1250, currency: 'USD' });
    const result = await pay(cancelledEvent('PAYMENT_DECLINED'), ctx);
    expect(provider.refunds).toEqual([]);
    const [items] = transactions();
    expect(items!.map((i) => (i.Delete ? 'DELETE' : (i.Put!.Item as { sk: string }).sk))).toEqual(['DELETE', 'INBOX']);
    expect(ledger()).toMatchObject({ state });
    expect(result.outcome).toBe('NOTHING_TO_REFUND');
  });

  it('a ledger that settled between the read and the commit is read again (CHARGED after PRICED): refunded once', async () => {
    db.put(TABLES.service, { ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'PRICED', amountCents: 1250, currency: 'USD' });
    // The charge attempt settles while the cancellation asks the provider: the VOID transition then fails its condition.
    const inner = provider.find.bind(provider);
    provider.find = async (request) => {
      const found = await inner(request);
      db.put(TABLES.service, { ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'CHARGED', chargeId: 'ch_late', amountCents: 1250, currency: 'USD' });
      return found;
    };
    const result = await pay(cancelledEvent('TIMEOUT'), ctx);
    expect(transactions()).toHaveLength(2);
    expect(provider.refunds.map((r) => r.chargeId)).toEqual(['ch_late']);
    expect(ledger()).toMatchObject({ state: 'REFUNDED' });
    expect(result.outcome).toBe('REFUNDED');
  });

  it('a redelivered cancellation refunds nothing again', async () => {
    db.put(TABLES.service, charged);
    await pay(cancelledEvent(), ctx);
    ddbMock.resetHistory();
    const second = await pay(cancelledEvent(), ctx);
    expect(second).toEqual({ emits: [], duplicate: true, outcome: 'COMPENSATED' });
    expect(provider.refunds).toHaveLength(1);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('a cancellation redelivered after its inbox record expired (ledger REFUNDED) refunds nothing again', async () => {
    db.put(TABLES.service, { ...charged, state: 'REFUNDED', refundId: 're_1' });
    const result = await pay(cancelledEvent(), ctx);
    expect(provider.refunds).toEqual([]);
    expect(ledger()).toMatchObject({ state: 'REFUNDED', refundId: 're_1' });
    expect(result.outcome).toBe('REFUNDED');
  });
});

const pricedLedger = { ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'PRICED', amountCents: 1250, currency: 'USD' };
const throttled = () => Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
/** A commit cancelled by contention on every attempt (no condition failed): what outlasts the inbox's retries. */
const contendedForever = () => {
  instantBackoff();
  ddbMock.on(TransactWriteCommand).rejects(cancelled(['TransactionConflict', 'None', 'None', 'None']));
};

describe('payment: the events it does not handle, and the errors it does not hide', () => {
  it('ignores an event it does not consume (OrderConfirmed): nothing read, nothing charged', async () => {
    const result = await pay(envelope('OrderConfirmed', { amountCents: 1250, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' }), ctx);
    expect(result).toEqual({ outcome: 'IGNORED' });
    expect(ddbMock.calls()).toHaveLength(0);
    expect(provider.charges).toEqual([]);
  });

  it('an intent write refused for another reason than its condition (throttled) fails the attempt before the provider is called', async () => {
    // Only the failed create-only condition means "priced before"; any other error is retried by SQS.
    db.put(TABLES.service, pricedLedger);
    ddbMock.on(PutCommand, { TableName: TABLES.service, Item: { pk: 'PAYMENT#order-1' } }).rejects(throttled());
    await expect(pay(placed(), ctx)).rejects.toThrow('throttled');
    expect(provider.charges).toEqual([]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('a charge commit cancelled by contention that outlasted its retries fails with that cancellation, not as a lost race', async () => {
    // inbox.ts: contention that outlasts the attempts is thrown, and SQS retries the message.
    contendedForever();
    const failure = await pay(placed(), ctx).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TransactionConditionError);
    expect((failure as TransactionConditionError).codes[0]).toBe('TransactionConflict');
    expect(provider.refunds).toEqual([]);
  });

  it('a ledger that left PRICED for a state no cancellation writes fails the attempt loudly', async () => {
    // Only a cancellation may move the ledger while the provider is called (VOID, REFUNDED): anything else is a bug.
    provider.beforeCharge = async () => db.put(TABLES.service, { ...pricedLedger, state: 'DECLINED', reason: 'card_declined' });
    await expect(pay(placed(), ctx)).rejects.toThrow('order order-1: payment ledger is DECLINED after a charge attempt');
    expect(provider.refunds).toEqual([]);
  });

  it('reads the payment token and a ledger the failed intent did not hand back with consistent reads', async () => {
    // The token was written by the API just before OrderPlaced was published, and an erasure replaces it at once; the
    // ledger read decides whether and how much to charge ("one consistent read instead", payment.ts).
    db.failNextTransact = Object.assign(new Error('Task timed out'), { name: 'TimeoutError' });
    await expect(pay(placed(), ctx)).rejects.toThrow('Task timed out');
    ddbMock.resetHistory();
    await pay(placed(), ctx);
    const tokenReads = ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems![TABLES.orders]);
    expect(tokenReads).toEqual([{ Keys: [paymentTokenKey('order-1')], ConsistentRead: true }]);
    const reads = ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input);
    expect(reads.filter((r) => r.Key?.pk === 'PAYMENT#order-1')).toEqual([expect.objectContaining({ ConsistentRead: true })]);
  });
});

describe('payment: redeliveries report what the first delivery decided', () => {
  it.each([
    ['DECLINED', 'tok_declined', ITEMS],
    ['REJECTED', 'tok_visa_4242', [{ sku: 'NOPE', quantity: 1 }]],
  ])('a redelivered %s order re-emits its outcome and reports it', async (outcome, paymentToken, items) => {
    db.put(TABLES.orders, { ...paymentTokenKey('order-1'), orderId: 'order-1', token: paymentToken });
    const first = await pay(placed(items), ctx);
    const again = await pay(placed(items), ctx);
    expect(first.outcome).toBe(outcome);
    expect(again).toEqual({ emits: first.emits, duplicate: true, outcome });
  });

  it('a redelivered late OrderPlaced (the order was cancelled first) re-emits nothing and charges nothing', async () => {
    await pay(cancelledEvent('TIMEOUT'), ctx);
    await pay(placed(), ctx);
    const again = await pay(placed(), ctx);
    expect(again).toMatchObject({ emits: [], duplicate: true });
    // HandlerResult.outcome is a word for the log line, even when the first delivery emitted nothing.
    expect(again.outcome).toMatch(/^[A-Z_]+$/);
    expect(provider.charges).toEqual([]);
  });

  it('a cancellation redelivered after its inbox record expired (ledger VOID) reports VOID and writes nothing again', async () => {
    db.put(TABLES.service, { ...paymentRecordKey('order-1'), orderId: 'order-1', state: 'VOID' });
    const result = await pay(cancelledEvent(), ctx);
    expect(result.outcome).toBe('VOID');
    expect(provider.finds + provider.refunds.length).toBe(0);
    expect(ledger()).toMatchObject({ state: 'VOID' });
  });
});

describe('payment: compensation retries only a changed ledger', () => {
  it('a ledger that keeps changing under the cancellation: gives up with an error (SQS retries) instead of looping', async () => {
    db.put(TABLES.service, pricedLedger);
    // Every commit finds the ledger moved on (its condition fails); asynchronous, so a runaway loop meets the test timeout.
    ddbMock.on(TransactWriteCommand).callsFake(async () => {
      await new Promise((r) => setTimeout(r, 1));
      throw cancelled(['ConditionalCheckFailed', 'None', 'None', 'None']);
    });
    await expect(pay(cancelledEvent('TIMEOUT'), ctx)).rejects.toThrow('order order-1: payment ledger kept changing during compensation');
    // Three passes, each a fresh read of the ledger and one commit; then SQS's retry takes over.
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it.each([
    ['a timeout', () => (db.failNextTransact = Object.assign(new Error('Task timed out'), { name: 'TimeoutError' })), 'Task timed out'],
    ['contention that outlasted its retries', contendedForever, TransactionConditionError],
  ] as const)('a commit that failed for another reason than a ledger condition (%s) is thrown, not retried as a changed ledger', async (_, fail, error) => {
    db.put(TABLES.service, pricedLedger);
    fail();
    await expect(pay(cancelledEvent('TIMEOUT'), ctx)).rejects.toThrow(error);
    expect(ledger()).toMatchObject({ state: 'PRICED' });
  });
});

describe('payment: every request is one DynamoDB accepts', () => {
  // FakeTables reads an undefined placeholder as undefined; DynamoDB refuses the request (ValidationException).
  it.each([
    ['a charge', () => pay(placed(), ctx)],
    [
      'a charge whose commit loses to VOID (late refund)',
      () => {
        provider.beforeCharge = () => pay(cancelledEvent('TIMEOUT'), ctx);
        return pay(placed(), ctx);
      },
    ],
    [
      'a cancellation of a PRICED ledger never charged (VOID)',
      () => {
        db.put(TABLES.service, pricedLedger);
        return pay(cancelledEvent('TIMEOUT'), ctx);
      },
    ],
    ['a cancellation with no ledger (VOID)', () => pay(cancelledEvent('TIMEOUT'), ctx)],
    [
      'a refund of a CHARGED ledger',
      async () => {
        await pay(placed(), ctx);
        return pay(cancelledEvent('OUT_OF_STOCK'), ctx);
      },
    ],
  ])('%s: every request sent is one DynamoDB accepts', async (_, run) => {
    await run();
    expect(refusedRequests()).toEqual([]);
  });

  it('the late refund is recorded only over a cancelled ledger (VOID or REFUNDED)', async () => {
    provider.beforeCharge = () => pay(cancelledEvent('TIMEOUT'), ctx);
    await pay(placed(), ctx);
    const refunded = transactions().at(-1)![0]!.Update!;
    expect(refunded).toMatchObject({ Key: paymentRecordKey('order-1'), ExpressionAttributeValues: { ':refunded': 'REFUNDED', ':void': 'VOID' } });
    expect(refunded.ConditionExpression).toMatch(/^#state IN \(:void, :refunded\)$|^#state IN \(:refunded, :void\)$/);
  });
});

describe('SimulatedPaymentProvider: records, ids and dedupe', () => {
  const simulated = new SimulatedPaymentProvider(TABLES.service);
  const charge = { idempotencyKey: 'order-9:charge', orderId: 'order-9', amountCents: 100, currency: 'USD', token: 'tok_visa' };
  const refund = { idempotencyKey: 'order-9:refund', orderId: 'order-9', chargeId: 'ch_9', amountCents: 100, currency: 'USD' };

  it('keeps its records where reconciliation reads them: CHARGE#<orderId> / CHARGE and REFUND#<orderId> / REFUND', async () => {
    // scripts/reconcile.ts and the integration tests read these keys.
    await simulated.charge(charge);
    await simulated.refund(refund);
    expect(db.get(TABLES.service, { pk: 'CHARGE#order-9', sk: 'CHARGE' })).toMatchObject({ idempotencyKey: 'order-9:charge', status: 'CHARGED' });
    expect(db.get(TABLES.service, { pk: 'REFUND#order-9', sk: 'REFUND' })).toMatchObject({ idempotencyKey: 'order-9:refund', status: 'REFUNDED' });
  });

  it('a charge id and a refund id name one charge and one refund: the same for a retried key, another for another order', async () => {
    const first = (await simulated.charge(charge)) as { chargeId: string };
    const retried = (await simulated.charge(charge)) as { chargeId: string };
    const other = (await simulated.charge({ ...charge, idempotencyKey: 'order-8:charge', orderId: 'order-8' })) as { chargeId: string };
    expect(first.chargeId).toBeTruthy();
    expect(retried.chargeId).toBe(first.chargeId);
    expect(other.chargeId).not.toBe(first.chargeId);

    const r1 = await simulated.refund(refund);
    const r2 = await simulated.refund(refund);
    const r3 = await simulated.refund({ ...refund, idempotencyKey: 'order-8:refund', orderId: 'order-8', chargeId: other.chargeId });
    expect(r1.refundId).toBeTruthy();
    expect(r2.refundId).toBe(r1.refundId);
    expect(r3.refundId).not.toBe(r1.refundId);
  });

  it("ids are shaped like a provider's: a prefix and 24 hex digits of the idempotency key's hash (ch_..., re_...)", async () => {
    // The full 64-digit hash would work as well, but the ids are what the ledger, the status detail and the events
    // carry: fixed and short, like a real provider's.
    const { chargeId } = (await simulated.charge(charge)) as { chargeId: string };
    const { refundId } = await simulated.refund(refund);
    expect(chargeId).toBe(`ch_${contentHash('order-9:charge').slice(0, 24)}`);
    expect(refundId).toBe(`re_${contentHash('order-9:refund').slice(0, 24)}`);
    expect([chargeId, refundId].every((id) => /^(ch|re)_[0-9a-f]{24}$/.test(id))).toBe(true);
  });

  it('rejects a seen refund key with another charge or amount, naming the key', async () => {
    await simulated.refund(refund);
    for (const changed of [{ amountCents: 99 }, { chargeId: 'ch_other' }, { currency: 'EUR' }]) {
      await expect(simulated.refund({ ...refund, ...changed })).rejects.toMatchObject({
        name: 'IdempotencyKeyReuseError',
        message: 'idempotency key order-9:refund was used with different parameters',
      });
    }
    expect(db.get(TABLES.service, refundRecordKey('order-9'))).toMatchObject({ chargeId: 'ch_9', amountCents: 100 });
  });

  it("never answers a request with another key's recorded charge", async () => {
    await simulated.charge(charge);
    await expect(simulated.charge({ ...charge, idempotencyKey: 'order-9:other' })).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
  });

  it('a refused record write (throttled) is thrown, not answered from a record', async () => {
    await simulated.charge(charge);
    ddbMock.on(PutCommand).rejects(throttled());
    await expect(simulated.charge(charge)).rejects.toThrow('throttled');
  });

  it('looks up a charge and a seen key with consistent reads', async () => {
    // A cancellation decides "nothing charged: VOID" from find; a charge whose caller died (crash-in-provider) and that
    // a stale read missed would never be refunded. The answer for a seen key is read right after its put failed.
    await simulated.charge(charge);
    await simulated.charge(charge);
    await simulated.find({ idempotencyKey: 'order-9:charge', orderId: 'order-9' });
    const reads = ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input);
    expect(reads).toHaveLength(2);
    expect(reads.every((r) => r.ConsistentRead === true)).toBe(true);
  });
});
