import { GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { conditionalCheckFailed, context, ddbMock, envelope, TABLES } from './helpers';
import { eventHash, PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { lifecycleKey, orderKey } from '../../../lambdas/adapters/keys';
import { clearMetrics, flushMetrics, metricsFor } from '../../../lambdas/adapters/metrics';
import type { Envelope } from '../../../lambdas/core/events';
import { deterministicEventId } from '../../../lambdas/core/ids';
import { ConflictingOutcomeError, orders } from '../../../lambdas/services/orders/orders';

const ctx = context('orders');
const charged = (amountCents = 1250) =>
  envelope('PaymentCharged', { amountCents, currency: 'USD', chargeId: 'ch_1' }, { eventId: deterministicEventId('order-1', 'payment', 'PaymentCharged') });
const declined = () =>
  envelope(
    'PaymentDeclined',
    { amountCents: 1250, currency: 'USD', reason: 'card_declined' },
    { eventId: deterministicEventId('order-1', 'payment', 'PaymentDeclined') },
  );
const rejected = () =>
  envelope('OrderRejected', { reason: 'UNKNOWN_SKU', skus: ['NOPE'] }, { eventId: deterministicEventId('order-1', 'payment', 'OrderRejected') });
const reserved = () => envelope('StockReserved', { skus: ['SKU-1'] }, { eventId: deterministicEventId('order-1', 'inventory', 'StockReserved') });
const backordered = () => envelope('StockBackordered', { skus: ['SKU-OOS'] }, { eventId: deterministicEventId('order-1', 'inventory', 'StockBackordered') });

/**
 * A fake of the one LIFECYCLE item that applies the two update shapes the aggregator sends with DynamoDB's
 * semantics (condition, SET, ADD, ALL_NEW), so orderings and races can be played out. The exact expressions are
 * asserted separately below.
 */
let lifecycle: Record<string, unknown> | undefined;
function fakeLifecycle(initial?: Record<string, unknown>) {
  lifecycle = initial ? { ...lifecycleKey('order-1'), ...initial } : undefined;
  ddbMock.on(GetCommand, { Key: lifecycleKey('order-1') }).callsFake(() => ({ Item: lifecycle && structuredClone(lifecycle) }));
  ddbMock.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    const names = input.ExpressionAttributeNames ?? {};
    const v = input.ExpressionAttributeValues ?? {};
    const item: Record<string, unknown> = structuredClone(lifecycle) ?? { ...lifecycleKey('order-1') };
    if (names['#slot']) {
      const slot = names['#slot'];
      const ok = item[slot] === undefined || (item[slot] === v[':outcome'] && item[names['#slotHash']!] === v[':hash']);
      if (!ok) throw conditionalCheckFailed();
      Object.assign(item, { [slot]: v[':outcome'], [names['#slotEventId']!]: v[':eventId'], [names['#slotHash']!]: v[':hash'], updatedAt: v[':now'] });
      if (':amountCents' in v) Object.assign(item, { amountCents: v[':amountCents'], currency: v[':currency'] });
      if (':skus' in v) item.skus = v[':skus'];
      const receipts = names['#slotReceipts']!;
      item[receipts] = Number(item[receipts] ?? 0) + 1;
    } else {
      const ok = (item.status === undefined || item.status === v[':accepted']) && item.decision === undefined;
      if (!ok) throw conditionalCheckFailed();
      Object.assign(item, { status: v[':status'], decision: v[':decision'], decidedAt: v[':now'] });
      if (':reason' in v) Object.assign(item, { reason: v[':reason'] });
    }
    lifecycle = item;
    return { Attributes: structuredClone(item) };
  });
}

const decisionUpdates = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.ExpressionAttributeNames?.['#status']);
const run = (e: Envelope) => orders(e, ctx);

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  fakeLifecycle({ status: 'ACCEPTED' });
});

describe('orders: the expressions it sends', () => {
  it('records an outcome with a first-value-wins condition and ALL_NEW', async () => {
    await run(charged());
    const input = ddbMock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TableName: TABLES.orders,
      Key: lifecycleKey('order-1'),
      UpdateExpression:
        'SET #slot = :outcome, #slotEventId = :eventId, #slotHash = :hash, updatedAt = :now, amountCents = :amountCents, currency = :currency ADD #slotReceipts :one',
      ConditionExpression: 'attribute_not_exists(#slot) OR (#slot = :outcome AND #slotHash = :hash)',
      ExpressionAttributeNames: { '#slot': 'payment', '#slotEventId': 'paymentEventId', '#slotHash': 'paymentHash', '#slotReceipts': 'paymentReceipts' },
      ExpressionAttributeValues: { ':outcome': 'CHARGED', ':amountCents': 1250, ':currency': 'USD', ':one': 1 },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('records a rejection without amount or currency (OrderRejected carries none; an unset value would fail the update)', async () => {
    await run(rejected());
    const input = ddbMock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toBe('SET #slot = :outcome, #slotEventId = :eventId, #slotHash = :hash, updatedAt = :now ADD #slotReceipts :one');
    expect(Object.keys(input.ExpressionAttributeValues!)).not.toContain(':amountCents');
  });

  it('records the reserved skus with an inventory outcome', async () => {
    await run(reserved());
    const input = ddbMock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toBe(
      'SET #slot = :outcome, #slotEventId = :eventId, #slotHash = :hash, updatedAt = :now, skus = :skus ADD #slotReceipts :one',
    );
    expect(input.ExpressionAttributeValues).toMatchObject({ ':skus': ['SKU-1'] });
  });

  it('writes a confirmation without a reason, a cancellation with one', async () => {
    await run(charged());
    await run(reserved());
    fakeLifecycle({ status: 'ACCEPTED' });
    await run(declined());
    await run(reserved());
    const [confirm, cancel] = decisionUpdates().map((c) => c.args[0].input);
    expect(confirm!.UpdateExpression).toBe('SET #status = :status, decision = :decision, decidedAt = :now');
    expect(confirm!.ExpressionAttributeValues).not.toHaveProperty(':reason');
    expect(cancel!.UpdateExpression).toBe('SET #status = :status, decision = :decision, decidedAt = :now, reason = :reason');
    expect(cancel!.ExpressionAttributeValues).toMatchObject({ ':status': 'CANCELLED', ':reason': 'PAYMENT_DECLINED' });
  });

  it('reads the LIFECYCLE item consistently (a loser must see the decision the winner just wrote)', async () => {
    await run(charged());
    fakeLifecycle({ ...lifecycle, inventory: 'RESERVED', inventoryHash: eventHash(reserved()), inventoryReceipts: 1, skus: ['SKU-1'] });
    await Promise.all([run(charged()), run(reserved())]);
    const reads = ddbMock.commandCalls(GetCommand, { Key: lifecycleKey('order-1') });
    expect(reads.map((c) => c.args[0].input.ConsistentRead)).toEqual([true]);
  });

  it('reads only the currency of the ORDER item, consistently', async () => {
    ddbMock.on(GetCommand, { Key: orderKey('order-1') }).resolves({ Item: { currency: 'EUR' } });
    await run(rejected());
    await run(reserved());
    const [read] = ddbMock.commandCalls(GetCommand, { Key: orderKey('order-1') });
    expect(read!.args[0].input).toEqual({ TableName: TABLES.orders, Key: orderKey('order-1'), ProjectionExpression: 'currency', ConsistentRead: true });
  });

  it('decides with a condition on an undecided status, storing the event', async () => {
    await run(charged());
    const { emits } = await run(reserved());
    const input = decisionUpdates()[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('(attribute_not_exists(#status) OR #status = :accepted) AND attribute_not_exists(decision)');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':status': 'CONFIRMED', ':accepted': 'ACCEPTED', ':decision': JSON.stringify(emits![0]) });
  });
});

describe('orders: deciding', () => {
  it('waits for the second outcome, then confirms a charged and reserved order', async () => {
    const first = await run(charged());
    expect(first).toEqual({ emits: [], duplicate: false, outcome: 'WAITING' });
    const second = await run(reserved());
    expect(second.outcome).toBe('CONFIRMED');
    expect(second.emits).toHaveLength(1);
    const e = second.emits![0]!;
    expect(e).toMatchObject({
      eventId: deterministicEventId('order-1', 'orders', 'OrderConfirmed'),
      eventType: 'OrderConfirmed',
      orderId: 'order-1',
      correlationId: 'corr-1',
    });
    expect(e.payload).toEqual({ amountCents: 1250, currency: 'USD', confirmedAt: e.occurredAt });
    expect(lifecycle).toMatchObject({ status: 'CONFIRMED', payment: 'CHARGED', inventory: 'RESERVED', skus: ['SKU-1'] });
  });

  it('decides the same whichever outcome arrives first', async () => {
    await run(reserved());
    const second = await run(charged());
    expect(second.outcome).toBe('CONFIRMED');
    expect(second.emits![0]!.eventId).toBe(deterministicEventId('order-1', 'orders', 'OrderConfirmed'));
  });

  const cancellations: [string, () => Envelope, () => Envelope, object][] = [
    ['declined + reserved', declined, reserved, { reason: 'PAYMENT_DECLINED' }],
    ['charged + backordered', charged, backordered, { reason: 'OUT_OF_STOCK' }],
    ['declined + backordered', declined, backordered, { reason: 'PAYMENT_DECLINED' }],
    ['rejected + backordered', rejected, backordered, { reason: 'UNKNOWN_SKU' }],
  ];
  it.each(cancellations)('cancels %s, in either order', async (_, a, b, expected) => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      fakeLifecycle({ status: 'ACCEPTED' });
      ddbMock.on(GetCommand, { Key: orderKey('order-1') }).resolves({ Item: { currency: 'USD' } });
      await run(x());
      const { emits, outcome } = await run(y());
      expect(outcome).toBe('CANCELLED');
      expect(emits!.map((e) => [e.eventType, e.payload])).toEqual([['OrderCancelled', { ...expected, currency: 'USD', cancelledAt: emits![0]!.occurredAt }]]);
      expect(lifecycle).toMatchObject({ status: 'CANCELLED', ...expected });
    }
  });

  it('takes the currency of a rejected order from the ORDER item (OrderRejected has none)', async () => {
    ddbMock.on(GetCommand, { Key: orderKey('order-1') }).resolves({ Item: { currency: 'EUR' } });
    await run(rejected());
    const { emits } = await run(reserved());
    expect(emits![0]!.payload).toMatchObject({ reason: 'UNKNOWN_SKU', currency: 'EUR' });
    expect(ddbMock.commandCalls(GetCommand, { TableName: TABLES.orders, Key: orderKey('order-1') })).toHaveLength(1);
  });

  it('works when the LIFECYCLE item does not exist yet', async () => {
    fakeLifecycle(undefined);
    await run(charged());
    expect((await run(reserved())).outcome).toBe('CONFIRMED');
  });
});

describe('orders: duplicates and races', () => {
  it('a redelivered outcome before the decision changes nothing and emits nothing', async () => {
    await run(charged());
    const again = await run(charged());
    expect(again).toEqual({ emits: [], duplicate: true, outcome: 'WAITING' });
    expect(lifecycle).toMatchObject({ payment: 'CHARGED', paymentReceipts: 2 });
  });

  it('a redelivery after the decision re-emits the stored decision byte-identical, without deciding again', async () => {
    await run(charged());
    const decided = await run(reserved());
    ddbMock.resetHistory();
    for (const again of [await run(charged()), await run(reserved())]) {
      expect(again.duplicate).toBe(true);
      expect(again.outcome).toBe('CONFIRMED');
      expect(JSON.stringify(again.emits)).toBe(JSON.stringify(decided.emits));
    }
    expect(decisionUpdates()).toHaveLength(0);
  });

  it('two workers that both see both outcomes emit one and the same decision', async () => {
    // Both outcome writes landed before either worker decided (e.g. a redelivery racing the second outcome).
    await run(charged());
    fakeLifecycle({ ...lifecycle, inventory: 'RESERVED', inventoryHash: eventHash(reserved()), inventoryReceipts: 1, skus: ['SKU-1'] });
    const [a, b] = await Promise.all([run(charged()), run(reserved())]);
    expect(a.emits).toHaveLength(1);
    expect(JSON.stringify(a.emits)).toBe(JSON.stringify(b.emits));
    // Each tried to decide; the loser's conditional write failed and it re-read the winner's event.
    expect(decisionUpdates()).toHaveLength(2);
    expect(ddbMock.commandCalls(GetCommand, { Key: lifecycleKey('order-1') })).toHaveLength(1);
  });

  it('throws on a conflicting outcome from the same service (it dead-letters)', async () => {
    await run(charged());
    await expect(run(declined())).rejects.toBeInstanceOf(ConflictingOutcomeError);
    // The name and message are what an operator finds in the worker's error log.
    await expect(run(declined())).rejects.toMatchObject({
      name: 'ConflictingOutcomeError',
      message: 'order order-1: payment outcome DECLINED conflicts with recorded CHARGED',
    });
    expect(lifecycle).toMatchObject({ payment: 'CHARGED' });
  });

  it('throws on a reused event id with another payload', async () => {
    await run(charged(1250));
    await expect(run(charged(9999))).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(lifecycle).toMatchObject({ amountCents: 1250 });
  });

  it('a failed outcome write (not its condition) is thrown as it is, not taken for a conflict', async () => {
    ddbMock.on(UpdateCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(run(charged())).rejects.toThrow('Throughput exceeds the current capacity');
  });

  it('a failed decision write (not its condition) is thrown as it is, not taken for a lost race', async () => {
    await run(charged());
    ddbMock
      .on(UpdateCommand, { ExpressionAttributeNames: { '#status': 'status' } })
      .rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(run(reserved())).rejects.toThrow('Throughput exceeds the current capacity');
  });

  it('refuses to decide over a status it does not own when no decision is stored', async () => {
    fakeLifecycle({ status: 'CONFIRMED' });
    await run(charged());
    await expect(run(reserved())).rejects.toThrow('order order-1 is CONFIRMED and cannot be decided');
  });

  it('throws when a rejected order has no ORDER item to take the currency from', async () => {
    await run(rejected());
    await expect(run(reserved())).rejects.toThrow('order order-1 has no currency');
  });

  it('ignores events it does not aggregate', async () => {
    const result = await run(envelope('OrderConfirmed', { amountCents: 1, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' }));
    expect(result.outcome).toBe('IGNORED');
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('orders: the deadline (OrderPlaced, delayed by the deadline queue)', () => {
  // Fails on c5101ed (every case here): the aggregator ignored OrderPlaced; an undecided order stayed ACCEPTED forever.
  const placedLate = () => envelope('OrderPlaced', { customerId: 'c', currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] });
  const timeoutId = deterministicEventId('order-1', 'orders', 'OrderCancelled');

  it('an undecided order is CANCELLED with reason TIMEOUT, once', async () => {
    await run(charged());
    const result = await run(placedLate());
    expect(result.outcome).toBe('TIMEOUT');
    expect(result.emits!.map((e) => [e.eventId, e.eventType, e.payload])).toEqual([
      [timeoutId, 'OrderCancelled', { reason: 'TIMEOUT', currency: 'USD', cancelledAt: result.emits![0]!.occurredAt }],
    ]);
    expect(lifecycle).toMatchObject({ status: 'CANCELLED', reason: 'TIMEOUT', payment: 'CHARGED', decision: JSON.stringify(result.emits![0]) });
    const input = decisionUpdates()[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('(attribute_not_exists(#status) OR #status = :accepted) AND attribute_not_exists(decision)');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':status': 'CANCELLED', ':reason': 'TIMEOUT' });

    // The delayed copy redelivered: the order is decided, nothing happens and nothing is re-emitted.
    ddbMock.resetHistory();
    expect(await run(placedLate())).toEqual({ emits: [], outcome: 'DECIDED_IN_TIME' });
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('an order nobody reported on (no LIFECYCLE item) times out with the currency of OrderPlaced', async () => {
    fakeLifecycle(undefined);
    const result = await run(placedLate());
    expect(result.emits![0]!.payload).toMatchObject({ reason: 'TIMEOUT', currency: 'EUR' });
    expect(lifecycle).toMatchObject({ status: 'CANCELLED', reason: 'TIMEOUT' });
    expect(ddbMock.commandCalls(GetCommand, { Key: orderKey('order-1') })).toHaveLength(0);
  });

  it('a decided order: nothing is written, nothing emitted', async () => {
    await run(charged());
    const decided = await run(reserved());
    ddbMock.resetHistory();
    expect(await run(placedLate())).toEqual({ emits: [], outcome: 'DECIDED_IN_TIME' });
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(lifecycle).toMatchObject({ status: 'CONFIRMED', decision: JSON.stringify(decided.emits![0]) });
  });

  it('an outcome after a TIMEOUT decision re-emits the stored decision and changes nothing', async () => {
    const timedOut = await run(placedLate());
    ddbMock.resetHistory();
    const lateCharge = await run(charged());
    const lateReservation = await run(reserved());
    for (const late of [lateCharge, lateReservation]) {
      expect(late.outcome).toBe('CANCELLED');
      expect(JSON.stringify(late.emits)).toBe(JSON.stringify(timedOut.emits));
    }
    expect(decisionUpdates()).toHaveLength(0);
    // Recorded for the record; the decision stands.
    expect(lifecycle).toMatchObject({ status: 'CANCELLED', reason: 'TIMEOUT', payment: 'CHARGED', inventory: 'RESERVED' });
  });

  it('both outcomes recorded but never decided (a crash in between): the deadline decides on them, not TIMEOUT', async () => {
    // Fails before the fix in this commit: the deadline cancelled a charged and reserved order with TIMEOUT.
    await run(charged());
    fakeLifecycle({ ...lifecycle, inventory: 'RESERVED', inventoryHash: eventHash(reserved()), inventoryReceipts: 1, skus: ['SKU-1'] });
    const result = await run(placedLate());
    expect(result.outcome).toBe('DECIDED_LATE');
    expect(result.emits!.map((e) => e.eventType)).toEqual(['OrderConfirmed']);
    expect(lifecycle).toMatchObject({ status: 'CONFIRMED' });
  });

  it('the deadline racing the last outcome: one decision, the same event from both', async () => {
    await run(charged());
    const [deadline, outcome] = await Promise.all([run(placedLate()), run(reserved())]);
    expect(JSON.stringify(deadline.emits)).toBe(JSON.stringify(outcome.emits));
    expect(lifecycle!.decision).toBe(JSON.stringify(outcome.emits![0]));
  });
});

describe('orders: decision metrics (EMF)', () => {
  let lines: string[] = [];
  beforeEach(() => {
    lines = [];
    // Other tests here decide orders without a worker to flush: start from an empty store, as an invocation does.
    clearMetrics();
    metricsFor('orders');
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => (lines.push(String(chunk)), true)) as typeof process.stdout.write);
  });
  afterEach(() => vi.restoreAllMocks());
  // The worker flushes after each batch (lambdas/adapters/worker.ts); the handler alone only stores.
  const emf = () =>
    (flushMetrics(), lines)
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>)
      .filter((l) => l._aws);

  it('count OrdersConfirmed once, where the decision is written; not on a redelivery after it', async () => {
    await run(charged());
    await run(reserved());
    await run(reserved());
    await run(charged());
    expect(emf()).toEqual([expect.objectContaining({ OrdersConfirmed: 1, service: 'orders' })]);
  });

  it('count OrdersCancelled with the reason as a dimension', async () => {
    await run(declined());
    await run(reserved());
    expect(emf()).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            { Namespace: 'OrderPipeline', Dimensions: [['service', 'stage', 'reason']], Metrics: [{ Name: 'OrdersCancelled', Unit: 'Count' }] },
          ],
        }),
        reason: 'PAYMENT_DECLINED',
        OrdersCancelled: 1,
      }),
    ]);
  });

  it('count one decision when two workers race to decide', async () => {
    await run(charged());
    fakeLifecycle({ ...lifecycle, inventory: 'RESERVED', inventoryHash: eventHash(reserved()), inventoryReceipts: 1, skus: ['SKU-1'] });
    await Promise.all([run(charged()), run(reserved())]);
    expect(emf().map((l) => l.OrdersConfirmed)).toEqual([1]);
  });
});
