/**
 * The fault-injection suite (issue 13): "nothing lost, nothing doubled" under duplicates, reordering, crashes,
 * catalog edits, a publish outage, contention, concurrent requests and poison, against the locally deployed stack.
 * Every case drives at least 100 orders, injects its fault, waits until every order is decided, and ends with the
 * reconciliation of its orders clean; the last test checks every DLQ and the whole stack, and prints the summary
 * table (RELIABILITY.md keeps the last full run's). The cases run concurrently (they use SKUs, customers and order
 * ids of their own); one at a time posts its burst, at one pace, so the emulator stays inside the 40 s order deadline.
 */
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { inboxKey, orderKey } from '../../lambdas/adapters/keys';
import type { Envelope } from '../../lambdas/core/events';
import { deterministicEventId } from '../../lambdas/core/ids';
import { CRASH_IN_PROVIDER, RELAY_GIVES_UP, serviceFault } from '../../lambdas/core/faults';
import { redrive } from '../../lambdas/ops/redrive';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import { DECLINED_TOKEN } from '../../lambdas/services/payment/provider';
import { paymentRecordKey } from '../../lambdas/services/payment/payment';
import { stageConfig } from '../../lib/stages';
import { orderBody, placeOrder, postWithRetry } from '../integration/support/api';
import { catalogTable, customerItems, getItem, ordersTable, stockOf } from '../integration/support/api-extra';
import { deleteMessages, release, sendEnvelope, takeMine } from '../integration/support/queues';
import { lifecycles, reconcileNow, untilAllDecided } from '../integration/support/reconcile';
import { ddb, dlqUrl, pollUntil, queueUrl, serviceTable, sqs, uniqueCustomer } from '../integration/support/stack';
import {
  bursts,
  conflictsRetriedSince,
  deadLetters,
  duplicate,
  emittedEvents,
  explain,
  faultMarker,
  logOffset,
  mapLimit,
  pace,
  placedEvent,
  POST_CONCURRENCY,
  results,
  RUN,
  runCase,
  seedSku,
  setFaults,
  settle,
  summaryTable,
  tally,
  untilQueuesIdle,
} from './support';

const local = stageConfig('local');
/** Seconds an order may take to be decided here: the deadline, plus a poison's receives, plus slack for load. */
const DECIDED_WITHIN_MS = (local.orderDeadlineSeconds + 60) * 1000;
const placedId = (orderId: string) => deterministicEventId(orderId, 'orders', 'OrderPlaced');

/** One order, with an Idempotency-Key of its own so that a retry after a gateway timeout is safe. */
const place = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
  await pace.next();
  return placeOrder(body, { 'idempotency-key': `faults-${randomUUID()}`, ...headers });
};

/** Places `n` orders built by `body(i)` (with headers `headers(i)`), POST_CONCURRENCY at a time, inside a burst slot. */
const placeMany = (n: number, body: (i: number) => Record<string, unknown>, headers: (i: number) => Record<string, string> = () => ({})) =>
  bursts.run(() =>
    mapLimit(
      Array.from({ length: n }, (_, i) => i),
      POST_CONCURRENCY,
      (i) => place(body(i), headers(i)),
    ),
  );

beforeAll(async () => {
  // Warm every function once (API, relay, six workers): a cold start on a busy 2-core machine takes seconds.
  const sku = await seedSku('WARM', 100, 100);
  const ids = await Promise.all(Array.from({ length: 3 }, () => place(orderBody(uniqueCustomer('warm'), { items: [{ sku, quantity: 1 }] }))));
  await untilAllDecided(ids, DECIDED_WITHIN_MS);
}, 180_000);

const statusOf = (lc: Record<string, any> | undefined) => `${lc?.status}${lc?.reason ? `:${lc.reason}` : ''}`;
const countBy = (xs: readonly string[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});

describe('fault injection (local stage)', () => {
  it.concurrent('poison dead-letters alone after exactly maxReceiveCount receives; after the fix a redrive recovers', async () => {
    await runCase('poison and recovery', 'poison messages', async (row) => {
      const sku = await seedSku('POISON', 1100, 10_000);
      const marker = `${RUN}-poison`;
      // 100 healthy orders through the same payment queue, and 5 whose payment fails on every receive until fixed.
      const ids = await placeMany(
        105,
        () => orderBody(uniqueCustomer('poison'), { items: [{ sku, quantity: 1 }] }),
        (i): Record<string, string> => (i >= 100 ? { 'x-fault-inject': serviceFault('fail', 'payment') } : {}),
      );
      row.orderIds = ids;
      const [healthy, failing] = [ids.slice(0, 100), ids.slice(100)];
      // Poison that no fix can cure, sent in batches together with valid (duplicate) OrderPlaced copies.
      const template = await placedEvent(healthy[0]!);
      await untilAllDecided([healthy[0]!], DECIDED_WITHIN_MS);
      const bad = (n: number, what: string) => `${marker}-${what}-${n}`;
      const poison: { body: string; marker: string }[] = [];
      for (let n = 0; n < 2; n++) {
        poison.push({ body: `not json ${bad(n, 'json')}`, marker: bad(n, 'json') });
        poison.push({
          body: JSON.stringify({ ...template, eventId: randomUUID(), schemaVersion: 2, correlationId: bad(n, 'version') }),
          marker: bad(n, 'version'),
        });
        const lines = Array.from({ length: 3000 }, (_, k) => ({ sku: `OVERSIZE-${k}`, quantity: 1 }));
        poison.push({
          body: JSON.stringify({ ...template, eventId: randomUUID(), correlationId: bad(n, 'oversize'), payload: { ...template.payload, items: lines } }),
          marker: bad(n, 'oversize'),
        });
        // The event id payment already processed for this order, with another payload.
        poison.push({
          body: JSON.stringify({ ...template, correlationId: bad(n, 'reused'), payload: { ...template.payload, items: [{ sku, quantity: 7 + n }] } }),
          marker: bad(n, 'reused'),
        });
      }
      expect(Math.max(...poison.map((p) => p.body.length))).toBeGreaterThan(64 * 1024);
      for (let i = 0; i < poison.length; i += 2) {
        const valid = await Promise.all(healthy.slice(1 + i * 4, 1 + i * 4 + 8).map(placedEvent));
        const entries = [
          ...poison.slice(i, i + 2).map((p, j) => ({ Id: `p${j}`, MessageBody: p.body })),
          ...valid.map((e, j) => ({ Id: `v${j}`, MessageBody: JSON.stringify(e) })),
        ].map((e) => ({
          ...e,
          MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderPlaced' } },
        }));
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl('payment'), Entries: entries }));
        expect(out.Failed ?? []).toEqual([]);
      }
      row.injected = poison.length;

      // The rest of each batch went through: every healthy order is confirmed, none waited for a retry.
      const healthyDecided = await untilAllDecided(healthy, DECIDED_WITHIN_MS);
      expect(countBy(healthyDecided.map(statusOf))).toEqual({ CONFIRMED: 100 });

      // The failing orders: their OrderPlaced and (after the TIMEOUT decision) OrderCancelled reach payment's DLQ.
      const dlq = dlqUrl('payment');
      const isOurs = (body: string | undefined) => Boolean(body && (body.includes(marker) || failing.some((id) => body.includes(id))));
      const held: Awaited<ReturnType<typeof takeMine>> = [];
      try {
        await pollUntil(
          async () => {
            held.push(...(await takeMine(dlq, (m) => isOurs(m.Body), 300)));
            return held.length;
          },
          (n) => n >= poison.length + 2 * failing.length,
          { timeoutMs: 240_000, intervalMs: 2000, what: `${poison.length + 2 * failing.length} dead letters in the payment DLQ` },
        );
        row.deadLettered = held.length;
        // Exactly maxReceiveCount receives in the queue (our receive from the DLQ adds one).
        expect(held.map((m) => Number(m.Attributes?.ApproximateReceiveCount) - 1)).toEqual(Array(held.length).fill(local.worker.maxReceiveCount));
        expect(held.filter((m) => m.Body?.includes(marker))).toHaveLength(poison.length);
        const recoverable = held.filter((m) => !m.Body?.includes(marker));
        expect(recoverable.map((m) => (JSON.parse(m.Body!) as Envelope).eventType).sort()).toEqual([
          ...Array(5).fill('OrderCancelled'),
          ...Array(5).fill('OrderPlaced'),
        ]);

        // What no fix cures is taken off the DLQ (an operator's discard); the rest waits for the fix.
        await deleteMessages(
          dlq,
          held.filter((m) => m.Body?.includes(marker)),
        );
        await release(dlq, recoverable);
        held.length = 0;
      } finally {
        await release(dlq, held).catch(() => undefined);
      }
      // The cause is fixed (the hook removed), then the DLQ is redriven to its queue and processed.
      await Promise.all(failing.map((id) => setFaults(id, undefined)));
      const moved = await redrive({ sqs, fromQueueUrl: dlq, toQueueUrl: queueUrl('payment'), waitTimeSeconds: 1 });
      expect(moved.errors).toEqual([]);
      expect(moved.moved).toBeGreaterThanOrEqual(2 * failing.length);
      row.notes.push(`redriven ${moved.moved} (lambdas/ops/redrive.ts)`);
      await pollUntil(
        () => Promise.all(failing.map((id) => getItem(serviceTable('payment'), inboxKey(deterministicEventId(id, 'orders', 'OrderCancelled'))))),
        (recs) => recs.every(Boolean),
        { timeoutMs: 60_000, what: 'the redriven cancellations to be processed' },
      );
      await untilQueuesIdle();
      const report = await settle(row);
      expect(report.violations, explain(report)).toEqual([]);
      expect(report).toMatchObject({ confirmed: 100, cancelled: 5, byReason: { TIMEOUT: 5 } });
    });
  });

  it.concurrent('a publish outage longer than the relay retries: the sweeper recovers every order', async () => {
    await runCase('publish outage (sweeper)', 'events given up', async (row) => {
      const sku = await seedSku('SWEEP', 800, 10_000);
      row.orderIds = await placeMany(
        100,
        () => orderBody(uniqueCustomer('sweep'), { items: [{ sku, quantity: 1 }] }),
        () => ({ 'x-fault-inject': RELAY_GIVES_UP }),
      );
      row.injected = row.orderIds.length;
      // The sweeper runs every minute and takes items pending for 10 s: up to about 70 s after the last order.
      await untilAllDecided(row.orderIds, 180_000);
      await untilQueuesIdle();
      const report = await settle(row);
      expect(report.violations, explain(report)).toEqual([]);
      expect(report).toMatchObject({ confirmed: 100, cancelled: 0, shipments: 100, emails: 100 });
      const outbox = await Promise.all(row.orderIds.map(placedEvent));
      expect(outbox).toHaveLength(100);
    });
  });

  it.concurrent('outcomes out of order and late: one decision, compensation exactly once', async () => {
    await runCase('out of order and late', 'messages', async (row) => {
      const [ok, none] = await Promise.all([seedSku('OOO', 900, 10_000), seedSku('OOONONE', 900, 0)]);
      const groups = { backorderedFirst: 25, declinedFirst: 25, decisionAfterDeadline: 25, timeoutThenLate: 25 };
      const ids = await placeMany(
        100,
        (i) => {
          const c = uniqueCustomer('ooo');
          if (i < 25) return orderBody(c, { items: [{ sku: none, quantity: 1 }] });
          if (i < 50) return orderBody(c, { items: [{ sku: ok, quantity: 1 }], paymentToken: DECLINED_TOKEN });
          return orderBody(c, { items: [{ sku: ok, quantity: 1 }] });
        },
        // Payment and inventory lose the first two groups' OrderPlaced (each drop leaves a marker), so the test can
        // deliver it to them one after the other; the last group's payment loses it for good (the deadline decides).
        (i): Record<string, string> =>
          i < 50
            ? { 'x-fault-inject': `${serviceFault('drop', 'payment')},${serviceFault('drop', 'inventory')}` }
            : i >= 75
              ? { 'x-fault-inject': serviceFault('drop', 'payment') }
              : {},
      );
      row.orderIds = ids;
      const [backordered, declined, confirmed, timedOut] = [ids.slice(0, 25), ids.slice(25, 50), ids.slice(50, 75), ids.slice(75)];
      expect(groups.backorderedFirst + groups.declinedFirst + groups.decisionAfterDeadline + groups.timeoutThenLate).toBe(ids.length);

      /**
       * Once both services dropped the OrderPlaced, delivers it to `first`, waits until the aggregator recorded that
       * service's outcome (it decides only with both), then to `second`: the outcomes reach it in this order.
       */
      const reorder = async (orderId: string, first: ServiceName, second: ServiceName) => {
        await pollUntil(
          () => Promise.all([first, second].map((svc) => faultMarker(svc, `${placedId(orderId)}#${serviceFault('drop', svc)}`))),
          (m) => m.every(Boolean),
          { timeoutMs: DECIDED_WITHIN_MS, what: `order ${orderId}: OrderPlaced dropped by ${first} and ${second}` },
        );
        await setFaults(orderId, undefined);
        const placed = await placedEvent(orderId);
        await sendEnvelope(queueUrl(first), placed);
        await pollUntil(
          () => lifecycles([orderId]),
          ([lc]) => typeof lc?.[first] === 'string',
          { timeoutMs: 30_000, what: `order ${orderId}: ${first}'s outcome recorded first` },
        );
        await sendEnvelope(queueUrl(second), placed);
        row.injected += 2;
      };
      const afterDeadline = async (orderId: string, late: () => Promise<void>) => {
        // The aggregator keeps no inbox record of the deadline check: wait until the deadline has passed (plus the
        // time its delayed check takes to be delivered), by the clock, then deliver the late copies.
        const order = await getItem(ordersTable(), orderKey(orderId));
        const due = Date.parse(String(order?.createdAt)) + (local.orderDeadlineSeconds + 5) * 1000;
        await pollUntil(
          async () => Date.now(),
          (now) => now > due,
          { timeoutMs: DECIDED_WITHIN_MS, intervalMs: 1000, what: `order ${orderId}: its deadline` },
        );
        await late();
      };
      const decisionOf = async (orderId: string) => {
        const [lc] = await lifecycles([orderId]);
        return JSON.parse(String(lc!.decision)) as Envelope;
      };
      await Promise.all([
        // StockBackordered before PaymentCharged; PaymentDeclined before StockReserved.
        ...backordered.map((id) => reorder(id, 'inventory', 'payment')),
        ...declined.map((id) => reorder(id, 'payment', 'inventory')),
        ...confirmed.map((id) =>
          afterDeadline(id, async () => {
            row.injected += await duplicate(await decisionOf(id), 1, false);
          }),
        ),
        ...timedOut.map((id) =>
          afterDeadline(id, async () => {
            // Cancelled with TIMEOUT; now the lost OrderPlaced reaches payment late, and the decision again.
            await untilAllDecided([id], 30_000);
            // Payment closed its ledger on the TIMEOUT cancellation (VOID); the late OrderPlaced must not charge.
            await pollUntil(
              () => getItem(serviceTable('payment'), paymentRecordKey(id)),
              (l) => l?.state === 'VOID',
              { timeoutMs: DECIDED_WITHIN_MS, what: `order ${id}: payment ledger VOID` },
            );
            await setFaults(id, undefined);
            await sendEnvelope(queueUrl('payment'), await placedEvent(id));
            row.injected += 1 + (await duplicate(await decisionOf(id), 1, false));
          }),
        ),
      ]);
      await untilQueuesIdle();
      const report = await settle(row);
      expect(report.violations, explain(report)).toEqual([]);
      const statuses = (await lifecycles(ids)).map(statusOf);
      expect(countBy(statuses.slice(0, 25))).toEqual({ 'CANCELLED:OUT_OF_STOCK': 25 });
      expect(countBy(statuses.slice(25, 50))).toEqual({ 'CANCELLED:PAYMENT_DECLINED': 25 });
      expect(countBy(statuses.slice(50, 75))).toEqual({ CONFIRMED: 25 });
      expect(countBy(statuses.slice(75))).toEqual({ 'CANCELLED:TIMEOUT': 25 });
      // Compensation exactly once: the 25 orders charged after their backorder were refunded once, in full; the
      // late OrderPlaced of the timed-out orders met a closed ledger and charged nothing; the 25 confirmed keep theirs.
      expect(report.chargedCents).toBe(50 * 900);
      expect(report.refundedCents).toBe(25 * 900);
      row.notes.push(`refunded ${report.refundedCents / 900} orders' charges`);
    });
  });

  it.concurrent('a crash after the effect, before the emit (each worker), and inside the provider call', async () => {
    await runCase('crash after effect / in provider', 'crashes', async (row) => {
      const sku = await seedSku('CRASH', 1500, 10_000);
      const workers: ServiceName[] = ['payment', 'inventory', 'orders', 'shipping', 'notification', 'analytics'];
      const hooks = [...workers.map((w) => serviceFault('crash-after-effect', w)), CRASH_IN_PROVIDER];
      const per = 15;
      const ids = await placeMany(
        hooks.length * per,
        () => orderBody(uniqueCustomer('crash'), { items: [{ sku, quantity: 1 }] }),
        (i) => ({ 'x-fault-inject': hooks[Math.floor(i / per)]! }),
      );
      row.orderIds = ids;
      await untilAllDecided(ids, DECIDED_WITHIN_MS);
      await untilQueuesIdle();
      // Each hook fired for each of its orders (its marker), on the event that worker handles first.
      const markerOf = (hook: string, orderId: string): [ServiceName, string] => {
        if (hook === CRASH_IN_PROVIDER) return ['payment', `${orderId}#${hook}`];
        const svc = hook.split(':')[1] as ServiceName;
        const eventId =
          svc === 'payment' || svc === 'inventory'
            ? placedId(orderId)
            : svc === 'orders'
              ? deterministicEventId(orderId, 'payment', 'PaymentCharged')
              : deterministicEventId(orderId, 'orders', 'OrderConfirmed');
        return [svc, `${eventId}#${hook}`];
      };
      const fired = await Promise.all(ids.map((id, i) => faultMarker(...markerOf(hooks[Math.floor(i / per)]!, id))));
      row.injected = fired.filter(Boolean).length;
      expect(row.injected).toBe(ids.length);
      const report = await settle(row);
      expect(report.violations, explain(report)).toEqual([]);
      // The redelivery re-emitted the same event ids: every order went on and was confirmed (none timed out).
      expect(countBy((await lifecycles(ids)).map(statusOf))).toEqual({ CONFIRMED: ids.length });
      expect(report.chargedCents).toBe(ids.length * 1500);
    });
  });

  it.concurrent('duplicates x3 of every event type, some concurrently: every effect exact', async () => {
    await runCase('duplicates x3', 'messages', async (row) => {
      const [ok, low] = await Promise.all([seedSku('DUP', 1250, 10_000), seedSku('DUPLOW', 700, 10)]);
      // 70 plain, 10 declined, 10 unknown SKU (rejected), 10 for 2 of a SKU with stock 10 (5 reserved, 5 backordered).
      const body = (i: number) => {
        const customer = uniqueCustomer('dup');
        if (i < 70) return orderBody(customer, { items: [{ sku: ok, quantity: 1 + (i % 3) }] });
        if (i < 80) return orderBody(customer, { items: [{ sku: ok, quantity: 1 }], paymentToken: DECLINED_TOKEN });
        if (i < 90) return orderBody(customer, { items: [{ sku: `NOPE-${RUN}`, quantity: 1 }] });
        return orderBody(customer, { items: [{ sku: low, quantity: 2 }] });
      };
      // OrderPlaced x3 to payment and inventory as soon as it exists, while the original is in flight.
      row.orderIds = await bursts.run(() =>
        mapLimit(
          Array.from({ length: 100 }, (_, i) => i),
          POST_CONCURRENCY,
          async (i) => {
            const id = await place(body(i));
            row.injected += await duplicate(await placedEvent(id), 3, i % 2 === 0);
            return id;
          },
        ),
      );
      await untilAllDecided(row.orderIds, DECIDED_WITHIN_MS);
      // Every outcome and decision x3 to its consumers; half of them all at once.
      const emitted = await emittedEvents(row.orderIds);
      const types = new Set(emitted.map((e) => e.eventType));
      expect([...types].sort()).toEqual(
        ['OrderCancelled', 'OrderConfirmed', 'OrderRejected', 'PaymentCharged', 'PaymentDeclined', 'StockBackordered', 'StockReserved'].sort(),
      );
      const sent = await mapLimit(emitted, 8, (e, i) => duplicate(e, 3, i % 2 === 0));
      row.injected += sent.reduce((a, b) => a + b, 0);
      row.notes.push(`types: OrderPlaced, ${[...types].sort().join(', ')}`);
      await untilQueuesIdle();
      const report = await settle(row);
      expect(report.violations, explain(report)).toEqual([]);
      expect(report).toMatchObject({ confirmed: 75, cancelled: 25, shipments: 75, emails: 100 });
      expect(report.byReason).toEqual({ PAYMENT_DECLINED: 10, UNKNOWN_SKU: 10, OUT_OF_STOCK: 5 });
      expect(await stockOf(low)).toBe(0);
    });
  });

  it.concurrent('catalog edits while orders are in flight: every charge is part of a confirmed order or refunded', async () => {
    await runCase('catalog edits in flight', 'catalog edits', async (row) => {
      const skus = await Promise.all(Array.from({ length: 8 }, () => seedSku('EDIT', 1000, 10_000)));
      let placing = true;
      const delisted = new Set<string>();
      const editor = (async () => {
        // Prices change all through the burst; three SKUs are delisted during it.
        for (let n = 0; placing; n++) {
          const sku = skus[n % skus.length]!;
          if (n % 15 === 14 && delisted.size < 3 && !delisted.has(sku)) {
            delisted.add(sku);
            await ddb.send(new DeleteCommand({ TableName: catalogTable(), Key: { pk: sku } }));
          } else if (!delisted.has(sku)) {
            await ddb
              .send(
                new UpdateCommand({
                  TableName: catalogTable(),
                  Key: { pk: sku },
                  UpdateExpression: 'SET unitPriceCents = :p',
                  ConditionExpression: 'attribute_exists(pk)',
                  ExpressionAttributeValues: { ':p': 500 + ((n * 37) % 1000) },
                }),
              )
              .catch(() => undefined);
          }
          row.injected += 1;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      try {
        row.orderIds = await placeMany(100, (i) =>
          orderBody(uniqueCustomer('edit'), {
            items: [0, 1, 2].slice(0, 1 + (i % 3)).map((k) => ({ sku: skus[(i + k * 3) % skus.length]!, quantity: 1 + k })),
          }),
        );
      } finally {
        placing = false;
        await editor;
      }
      expect(delisted.size).toBe(3);
      await untilAllDecided(row.orderIds, DECIDED_WITHIN_MS);
      await untilQueuesIdle();
      const report = await settle(row);
      expect(report.violations, explain(report)).toEqual([]);
      // Money taken = confirmed totals, order by order (reconcile) and in sum.
      const decided = (await lifecycles(row.orderIds)).map((lc) => JSON.parse(String(lc!.decision)) as Envelope<'OrderConfirmed'>);
      const confirmedTotal = decided.filter((d) => d.eventType === 'OrderConfirmed').reduce((a, d) => a + d.payload.amountCents, 0);
      expect(report.chargedCents - report.refundedCents).toBe(confirmedTotal);
      row.notes.push(`${report.confirmed} confirmed, cancelled ${JSON.stringify(report.byReason)}, refunded ${report.refundedCents} c`);
    });
  });

  it.concurrent('concurrent requests: one Idempotency-Key -> one order; distinct keys -> distinct orders', async () => {
    await runCase('concurrent requests', 'requests', async (row) => {
      const sku = await seedSku('IDEM', 600, 10_000);
      const one = uniqueCustomer('idem');
      const key = `key-${randomUUID()}`;
      const same = await bursts.run(() =>
        Promise.all(Array.from({ length: 50 }, () => postWithRetry(orderBody(one, { items: [{ sku, quantity: 1 }] }), { 'idempotency-key': key }))),
      );
      expect(same.map((r) => r.status)).toEqual(Array(50).fill(202));
      const single = [...new Set(same.map((r) => r.body.orderId as string))];
      expect(single).toHaveLength(1);
      expect((await customerItems(one)).orders).toHaveLength(1);

      const many = uniqueCustomer('idem');
      const distinct = await bursts.run(() =>
        mapLimit(
          Array.from({ length: 100 }, (_, i) => i),
          20,
          (i) => postWithRetry(orderBody(many, { items: [{ sku, quantity: 1 }] }), { 'idempotency-key': `key-${i}-${RUN}` }),
        ),
      );
      expect(distinct.map((r) => r.status)).toEqual(Array(100).fill(202));
      const ids = distinct.map((r) => r.body.orderId as string);
      expect(new Set(ids).size).toBe(100);
      expect((await customerItems(many)).orders).toHaveLength(100);
      row.injected = 150;
      row.orderIds = [...single, ...ids];
      await untilAllDecided(row.orderIds, DECIDED_WITHIN_MS);
      await untilQueuesIdle();
      const report = await settle(row);
      expect(report.violations, explain(report)).toEqual([]);
      expect(report).toMatchObject({ confirmed: 101, shipments: 101 });
    });
  });

  it.concurrent('a hot SKU on a hot day: conflicts retried, nothing dead-lettered', async () => {
    await runCase('hot SKU, hot day', 'orders on 1 SKU', async (row) => {
      const sku = await seedSku('HOT', 1999, 120);
      const from = logOffset();
      row.orderIds = await placeMany(200, () => orderBody(uniqueCustomer('hot'), { items: [{ sku, quantity: 1 }] }));
      row.injected = row.orderIds.length;
      const decided = await untilAllDecided(row.orderIds, DECIDED_WITHIN_MS);
      await untilQueuesIdle();
      const report = await settle(row);
      expect(report.violations, explain(report)).toEqual([]);
      // Money and stock balance always: what was sold was paid for, and sold + on the shelf = the 120 received.
      // The exact 120 / 80 split holds when no order missed the 40 s local deadline; on a busy machine a few of the
      // 200 contending orders can (CI saw 4 of 200): TIMEOUT is then their correct, compensated outcome, and never
      // more than a few (a lost reservation would show as a shelf short of 120 - sold, which reconcile also checks).
      const byStatus = countBy(decided.map(statusOf));
      const { CONFIRMED: sold = 0, 'CANCELLED:OUT_OF_STOCK': outOfStock = 0, 'CANCELLED:TIMEOUT': timedOut = 0, ...other } = byStatus;
      expect(other).toEqual({});
      expect(sold + outOfStock + timedOut).toBe(200);
      expect(timedOut).toBeLessThanOrEqual(10);
      expect(sold).toBeLessThanOrEqual(120);
      if (timedOut === 0) expect(byStatus).toEqual({ CONFIRMED: 120, 'CANCELLED:OUT_OF_STOCK': 80 });
      expect(report.chargedCents - report.refundedCents).toBe(sold * 1999);
      expect(await stockOf(sku)).toBe(120 - sold);
      if (timedOut > 0) row.notes.push(`${timedOut} missed the local deadline (TIMEOUT, compensated)`);
      const conflicts = conflictsRetriedSince(from);
      row.notes.push(
        conflicts
          ? `ConflictsRetried ${conflicts.retried} (all workers, ${conflicts.lines} batches, during this case)`
          : 'ConflictsRetried: emulator log not readable',
      );
    });
  });

  it('afterwards: nothing left in any DLQ, the whole stack reconciles, lost = doubled = 0 in every case', async () => {
    const started = performance.now();
    try {
      await untilQueuesIdle(180_000);
      // Every message still dead-lettered, attributed to the case whose order it carries.
      const left = await deadLetters();
      const unattributed: string[] = [];
      for (const m of left) {
        const owner = results.find((r) => r.orderIds.some((id) => m.body.includes(id)));
        if (owner) {
          owner.lost += 1;
          owner.notes.push(`left in ${m.queue}`);
        } else unattributed.push(`${m.queue}: ${m.body.slice(0, 200)}`);
      }
      // Stack-wide: every order ever placed on this stack decided; stock and analytics sums balanced.
      const report = await pollUntil(
        () => reconcileNow(undefined, 0),
        (r) => r.violations.length === 0,
        { timeoutMs: 60_000, intervalMs: 2000, what: 'a clean stack-wide reconciliation' },
      ).catch(() => reconcileNow(undefined, 0));
      const t = tally(report);
      results.push({
        name: 'stack-wide reconcile',
        orders: report.orders,
        injected: 0,
        unit: '',
        lost: t.lost,
        doubled: t.doubled,
        deadLettered: left.length,
        seconds: (performance.now() - started) / 1000,
        notes: [`skus ${report.skusChecked}; charged ${report.chargedCents} c, refunded ${report.refundedCents} c`],
        orderIds: [],
        report,
      });
      expect(unattributed).toEqual([]);
      expect(report.violations, explain(report)).toEqual([]);
      expect(left.map((m) => m.queue)).toEqual([]);
    } finally {
      console.log(`\nfault suite summary (run ${RUN}):\n${summaryTable(results)}\n`);
    }
    const failing = results.filter((r) => r.lost > 0 || r.doubled > 0).map((r) => `${r.name}: lost ${r.lost}, doubled ${r.doubled}`);
    expect(failing).toEqual([]);
    expect(results.filter((r) => r.error).map((r) => `${r.name}: ${r.error}`)).toEqual([]);
    expect(SERVICES.length).toBeGreaterThan(0);
  });
});
