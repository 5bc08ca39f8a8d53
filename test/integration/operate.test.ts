/**
 * The operator commands against the deployed stack: `npm run status` and `npm run trace` run as the user runs them
 * (a child process, pointed at this emulator with --endpoint), and their printed output is checked against what the
 * stack did: the queues it lists, the order's events and consumers, a duplicate dropped, a dead letter and an
 * undecided order past its deadline standing out, an outbox event left pending by the relay.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { inboxKey, orderKey, outboxKey } from '../../lambdas/adapters/keys';
import { deterministicEventId } from '../../lambdas/core/ids';
import { RELAY_GIVES_UP } from '../../lambdas/core/faults';
import { SERVICES } from '../../lambdas/services/registry';
import { STAGES, visibilityTimeoutSeconds } from '../../lib/stages';
import { orderBody, postOrder, untilSettled } from './support/api';
import { ddb, dlqUrl, endpoint, output, pollUntil, queueUrl, serviceTable, sqs, uniqueCustomer } from './support/stack';

const ROOT = new URL('../..', import.meta.url).pathname;
const ordersTable = () => output('OrdersTableName');

/** Runs `npm run <script> -- <args>` as a user would, against this emulator; never a TTY here, so no colour. */
function run(script: 'status' | 'trace', args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('npx', ['tsx', `scripts/${script}.ts`, ...args, '--endpoint', endpoint], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('npm run trace', () => {
  it('prints a confirmed order: every event with its id, emitter and consumers, the decision, no compensation', async () => {
    const res = await postOrder(orderBody(uniqueCustomer('trace')));
    expect(res.status).toBe(202);
    const orderId: string = res.body.orderId;
    await untilSettled(orderId);
    // Analytics and notification are the last consumers; wait until every routed consumer has its record.
    const { out, code, err } = await pollUntil(
      async () => run('trace', [orderId]),
      (r) => r.code === 0 && !r.out.includes('not (yet) consumed by'),
      { timeoutMs: 60_000, intervalMs: 1000, what: 'a complete trace' },
    ).catch((e) => ({ out: String(e), code: -1, err: '' }));
    expect(code, err).toBe(0);
    const placed = deterministicEventId(orderId, 'orders', 'OrderPlaced');
    const confirmed = deterministicEventId(orderId, 'orders', 'OrderConfirmed');
    expect(out).toContain(`order ${orderId}: CONFIRMED`);
    expect(out).toMatch(new RegExp(`OrderPlaced ${placed}  emitted by orders-api \\(POST /orders, via the outbox\\); outbox item published`));
    expect(out).toMatch(/consumed by payment -> PaymentCharged/);
    expect(out).toMatch(/consumed by inventory -> StockReserved/);
    expect(out).toMatch(/PaymentCharged \S+  emitted by payment/);
    expect(out).toMatch(/consumed by orders recorded CHARGED/);
    expect(out).toMatch(/consumed by orders recorded RESERVED/);
    expect(out).toContain(`OrderConfirmed ${confirmed}  emitted by orders`);
    for (const s of ['shipping', 'notification', 'analytics']) expect(out).toMatch(new RegExp(`consumed by ${s}`));
    expect(out).toMatch(/DECISION CONFIRMED at \S+ \(\+\d+ ms\), event OrderConfirmed/);
    expect(out).toContain('COMPENSATION none');
    expect(out).toContain('DUPLICATES dropped: 0');
    expect(out).not.toContain('\x1b[');

    // The same event delivered again (as SQS may): payment drops it, and the trace says so.
    const outbox = await ddb.send(new GetCommand({ TableName: ordersTable(), Key: outboxKey(orderId, placed), ConsistentRead: true }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl('payment'), MessageBody: JSON.stringify(outbox.Item!.event) }));
    await pollUntil(
      () =>
        ddb
          .send(new GetCommand({ TableName: serviceTable('payment'), Key: inboxKey(placed), ConsistentRead: true }))
          .then((r) => Number(r.Item?.duplicates ?? 0)),
      (n) => n === 1,
      { timeoutMs: 30_000, what: 'payment to drop the copy' },
    );
    const again = run('trace', [orderId, '--json']);
    expect(again.code).toBe(0);
    const json = JSON.parse(again.out) as { events: { eventType: string; consumers: { service: string; duplicates: number }[] }[] };
    const placedEvent = json.events.find((e) => e.eventType === 'OrderPlaced')!;
    expect(placedEvent.consumers.find((c) => c.service === 'payment')).toMatchObject({ duplicates: 1 });
    expect(placedEvent.consumers.find((c) => c.service === 'inventory')).toMatchObject({ duplicates: 0 });
    // Payment re-emits PaymentCharged for the copy (same event id), orders drops it and re-emits OrderConfirmed, which
    // notification and analytics drop too (shipping drops it as well, but its marker is the shipment: not noted).
    const cascade = await pollUntil(
      async () => run('trace', [orderId]).out,
      (t) => t.includes('DUPLICATES dropped: 4'),
      { timeoutMs: 30_000, intervalMs: 1000, what: 'the re-emitted copies dropped downstream' },
    );
    for (const line of [
      'consumed by payment -> PaymentCharged; 1 duplicate(s) dropped',
      'consumed by orders recorded CHARGED; 1 duplicate(s) dropped',
      'consumed by notification; 1 duplicate(s) dropped',
      'consumed by analytics; 1 duplicate(s) dropped',
    ]) {
      expect(cascade).toContain(line);
    }
    expect(cascade).toMatch(/consumed by shipping$/m);
  });

  it('prints a declined order: CANCELLED PAYMENT_DECLINED and the compensation that followed', async () => {
    const res = await postOrder(orderBody(uniqueCustomer('trace'), { paymentToken: 'tok_declined' }));
    const orderId: string = res.body.orderId;
    await untilSettled(orderId);
    const { out } = await pollUntil(
      async () => run('trace', [orderId]),
      (r) => r.out.includes('COMPENSATION inventory RELEASED'),
      { timeoutMs: 30_000, intervalMs: 1000, what: 'the release in the trace' },
    );
    expect(out).toContain(`order ${orderId}: CANCELLED (PAYMENT_DECLINED)`);
    expect(out).toMatch(/consumed by payment -> PaymentDeclined/);
    expect(out).toMatch(/OrderCancelled \S+  emitted by orders/);
    expect(out).toMatch(/DECISION CANCELLED PAYMENT_DECLINED at /);
  });

  it('says so, with exit code 1, for an order that does not exist; 2 for something that is not an order id', () => {
    const missing = run('trace', [randomUUID()]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no order .* in OrderPipeline-local on the emulator/);
    const bad = run('trace', ['not an id;']);
    expect(bad.code).toBe(2);
  });
});

describe('npm run status --once', () => {
  it('lists every queue and DLQ of the registry, the outbox and the orders, without colour in a log', () => {
    const { out, code, err } = run('status', ['--once']);
    expect([0, 3], err).toContain(code);
    for (const s of SERVICES) {
      expect(out).toMatch(new RegExp(`^${s.name} +\\d+ +\\d+ +\\d+ +\\S+$`, 'm'));
      expect(out).toMatch(new RegExp(`^${s.name} DLQ +\\d+ +\\d+ +\\d+`, 'm'));
    }
    expect(out).toMatch(/^orders deadline +\d+ +\d+ +\d+/m);
    expect(out).toMatch(/^outbox relay DLQ +\d+/m);
    expect(out).toMatch(/^OUTBOX {2}pending \d+/m);
    expect(out).toMatch(/^ORDERS placed in the last 15 min: \d+/m);
    expect(out).toMatch(/^DECISIONS \d+\.\d\/min over 15 min/m);
    expect(out).not.toContain('\x1b[');
  });

  it('makes a dead letter stand out, with its order id and age, and exits 3', async () => {
    const orderId = `dlq-${randomUUID().slice(0, 8)}`;
    const body = JSON.stringify({
      eventId: randomUUID(),
      eventType: 'OrderConfirmed',
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      correlationId: 'c',
      orderId,
      payload: {},
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl('shipping'), MessageBody: body }));
    cleanups.push(() => drain(dlqUrl('shipping'), orderId));
    const { out, code } = await pollUntil(
      async () => run('status', ['--once']),
      (r) => r.out.includes(orderId),
      { timeoutMs: 20_000, intervalMs: 500, what: 'the dead letter in status' },
    );
    expect(code).toBe(3);
    expect(out).toMatch(/^shipping DLQ +[1-9]\d* +\d+ +\d+ +\d+s {2}<- dead letters$/m);
    expect(out).toMatch(new RegExp(`! DLQ shipping DLQ: [1-9]\\d* message\\(s\\), oldest \\d+s; orders: .*${orderId}`));
    await drain(dlqUrl('shipping'), orderId);
  });

  it('makes an undecided order past its deadline stand out', async () => {
    const stage = STAGES.local;
    const orderId = `stuck-${randomUUID().slice(0, 8)}`;
    // What a lost deadline message leaves: an ORDER long past its deadline, no decision.
    const createdAt = new Date(Date.now() - (stage.orderDeadlineSeconds + visibilityTimeoutSeconds(stage) + 120) * 1000).toISOString();
    await ddb.send(
      new PutCommand({
        TableName: ordersTable(),
        Item: { ...orderKey(orderId), orderId, customerId: 'ops-test', currency: 'USD', items: [], correlationId: 'c', createdAt },
      }),
    );
    cleanups.push(() => ddb.send(new DeleteCommand({ TableName: ordersTable(), Key: orderKey(orderId) })));
    const { out, code } = run('status', ['--once']);
    expect(code).toBe(3);
    expect(out).toMatch(
      new RegExp(`! UNDECIDED past deadline \\(${stage.orderDeadlineSeconds}s\\): order ${orderId}, placed \\dm\\d\\ds ago, waiting for payment and inventory`),
    );
    await ddb.send(new DeleteCommand({ TableName: ordersTable(), Key: orderKey(orderId) }));
    expect(run('status', ['--once']).out).not.toContain(orderId);
  });

  it('shows an event the relay gave up on as pending in the outbox, until the sweeper publishes it', async () => {
    const res = await postOrder(orderBody(uniqueCustomer('outbox')), { 'X-Fault-Inject': RELAY_GIVES_UP });
    expect(res.status).toBe(202);
    const orderId: string = res.body.orderId;
    // Both commands see it pending until the sweeper runs (its schedule is a minute: seen in one pass of both).
    const [trace, status] = await pollUntil(
      async () => [run('trace', [orderId]).out, run('status', ['--once']).out],
      ([t, st]) => t.includes('outbox item pending') && st.includes(orderId),
      { timeoutMs: 30_000, intervalMs: 200, what: 'the pending event in trace and status' },
    );
    expect(status).toMatch(new RegExp(`^OUTBOX {2}pending [1-9]\\d*, oldest \\d+s \\(orders: .*${orderId}`, 'm'));
    expect(trace).toMatch(
      /OrderPlaced \S+ {2}emitted by orders-api \(POST \/orders, via the outbox\); outbox item pending\n {16}not \(yet\) consumed by: (orders, )?payment, inventory/,
    );
    // The sweeper (every minute, for items pending > sweepAfterSeconds) publishes it; the order completes.
    await untilSettled(orderId, 150_000);
    const after = run('trace', [orderId]);
    expect(after.out).toContain('outbox item published');
    expect(after.out).toContain(`order ${orderId}: CONFIRMED`);
  }, 200_000);
});

/** Deletes the test's own dead letters (found by order id) from a DLQ. */
async function drain(url: string, orderId: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 5, WaitTimeSeconds: 1 }));
    const mine = Messages.filter((m) => m.Body?.includes(orderId));
    for (const m of mine) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    if (Messages.length === 0 || mine.length === Messages.length) return;
  }
}
