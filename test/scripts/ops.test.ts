import { describe, expect, it } from 'vitest';
import { deterministicEventId } from '../../lambdas/core/ids';
import { SERVICES } from '../../lambdas/services/registry';
import { serviceOutputs } from '../../lib/outputs';
import { attention, orderIdOf, queuesOf, render, summarizeOrders, type StatusSnapshot } from '../../scripts/status';
import { buildTrace, insightsQuery, render as renderTrace } from '../../scripts/trace';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

describe('status: orders by state', () => {
  const items = [
    { pk: 'ORDER#a', sk: 'ORDER', createdAt: ago(60) },
    { pk: 'LIFECYCLE#a', sk: 'LIFECYCLE', status: 'CONFIRMED', decidedAt: ago(30) },
    { pk: 'ORDER#b', sk: 'ORDER', createdAt: ago(120) },
    { pk: 'LIFECYCLE#b', sk: 'LIFECYCLE', status: 'CANCELLED', reason: 'OUT_OF_STOCK', decidedAt: ago(100) },
    { pk: 'ORDER#c', sk: 'ORDER', createdAt: ago(10) },
    { pk: 'ORDER#d', sk: 'ORDER', createdAt: ago(3600) },
    { pk: 'LIFECYCLE#d', sk: 'LIFECYCLE', payment: 'CHARGED' },
    { pk: 'ORDER#e', sk: 'ORDER', createdAt: ago(7200) },
    { pk: 'LIFECYCLE#e', sk: 'LIFECYCLE', status: 'CONFIRMED', decidedAt: ago(7100) },
  ];

  it('counts orders placed in the window by state, decisions in the window and the last minute, and the stuck ones', () => {
    const s = summarizeOrders(items, { now: NOW, windowMinutes: 15, deadlineSeconds: 40, graceSeconds: 18 });
    expect(s.placed).toBe(3);
    expect(s.byState).toEqual({ CONFIRMED: 1, 'CANCELLED OUT_OF_STOCK': 1, ACCEPTED: 1 });
    expect(s.decidedInWindow).toBe(2);
    expect(s.decidedLastMinute).toBe(1);
    // c is 10 s old (deadline 40 + 18 grace not passed); d is an hour old and waits for inventory.
    expect(s.stuck).toEqual([{ orderId: 'd', ageSeconds: 3600, waitingFor: ['inventory'] }]);
  });

  it('an order exactly at deadline + grace is not stuck yet; one second later it is', () => {
    const one = [{ pk: 'ORDER#x', sk: 'ORDER', createdAt: ago(58) }];
    expect(summarizeOrders(one, { now: NOW, windowMinutes: 15, deadlineSeconds: 40, graceSeconds: 18 }).stuck).toEqual([]);
    expect(summarizeOrders(one, { now: NOW + 1000, windowMinutes: 15, deadlineSeconds: 40, graceSeconds: 18 }).stuck).toHaveLength(1);
  });
});

describe('status: queues and rendering', () => {
  const outputs: Record<string, string> = { OutboxDlqUrl: 'http://q/outbox-dlq' };
  for (const s of SERVICES) {
    const k = serviceOutputs(s.name);
    outputs[k.queueUrl] = `http://q/${s.name}`;
    outputs[k.dlqUrl] = `http://q/${s.name}-dlq`;
  }

  it('lists a queue and a DLQ per registry service and the outbox DLQ, from the outputs', () => {
    const rows = queuesOf(outputs);
    expect(rows.map((r) => r.name)).toEqual([...SERVICES.flatMap((s) => [s.name, `${s.name} DLQ`]), 'outbox relay DLQ']);
    expect(rows.filter((r) => r.kind === 'dlq')).toHaveLength(SERVICES.length + 1);
  });

  const snap = (over: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
    where: 'OrderPipeline-local on the emulator at http://127.0.0.1:4566',
    at: new Date(NOW),
    queues: queuesOf(outputs).map((q) => ({ ...q, depth: 0, inFlight: 0, delayed: 0 })),
    outbox: { pending: 0, pastSweepAge: 0, oldestOrders: [] },
    orders: summarizeOrders([], { now: NOW, windowMinutes: 15, deadlineSeconds: 40, graceSeconds: 18 }),
    deadlineSeconds: 40,
    ...over,
  });

  it('says nothing needs attention on a healthy stack, and uses no colour unless asked', () => {
    const text = render(snap(), { colour: false });
    expect(attention(snap())).toEqual([]);
    expect(text).toContain('ATTENTION: nothing');
    expect(text).not.toContain('\x1b[');
  });

  it('puts a DLQ with messages and a pending outbox event under ATTENTION, red on a terminal', () => {
    const s = snap({ outbox: { pending: 2, pastSweepAge: 1, oldestOrders: ['o-9'], oldestPendingSeconds: 75 } });
    s.queues = s.queues.map((q) =>
      q.name === 'payment DLQ' ? { ...q, depth: 12, oldestAgeSeconds: 90, ageSource: 'peek' as const, sampleOrders: ['o-1', 'o-2'] } : q,
    );
    expect(attention(s)).toEqual([
      'DLQ payment DLQ: 12 message(s), oldest >= 90s; orders: o-1, o-2',
      'OUTBOX: 1 event(s) pending longer than the sweep age: the relay did not publish them; oldest orders: o-9',
    ]);
    const plain = render(s, { colour: false });
    expect(plain).toMatch(/^payment DLQ +12 +0 +0 +>=90s {2}<- dead letters$/m);
    expect(plain).toContain('OUTBOX  pending 2, oldest 75s (orders: o-9), 1 past the sweep age');
    expect(render(s, { colour: true })).toContain('\x1b[31m');
  });

  it('finds the order id of a dead letter, raw or wrapped by SNS, and not in garbage', () => {
    expect(orderIdOf(JSON.stringify({ orderId: 'o-1' }))).toBe('o-1');
    expect(orderIdOf(JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ orderId: 'o-2' }) }))).toBe('o-2');
    expect(orderIdOf('{not json')).toBeUndefined();
  });
});

describe('trace', () => {
  const id = 'o-1';
  const ev = (service: string, type: string) => deterministicEventId(id, service, type);
  const placed = ev('orders', 'OrderPlaced');
  const cancelled = { eventId: ev('orders', 'OrderCancelled'), eventType: 'OrderCancelled', occurredAt: '2026-11-30T12:00:01.000Z' };
  const partition = [
    { pk: `ORDER#${id}`, sk: 'ORDER', createdAt: '2026-11-30T12:00:00.000Z', correlationId: 'corr-1' },
    { pk: `OUTBOX#${id}`, sk: `OUTBOX#${placed}`, expiresAt: 1 },
    {
      pk: `LIFECYCLE#${id}`,
      sk: 'LIFECYCLE',
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
      decidedAt: '2026-11-30T12:00:01.000Z',
      decision: JSON.stringify(cancelled),
      payment: 'DECLINED',
      paymentEventId: ev('payment', 'PaymentDeclined'),
      paymentReceipts: 3,
      inventory: 'RESERVED',
      inventoryEventId: ev('inventory', 'StockReserved'),
      inventoryReceipts: 1,
      updatedAt: '2026-11-30T12:00:00.900Z',
    },
    { pk: `STATUS#inventory#${id}`, sk: 'STATUS', service: 'inventory', status: 'RELEASED' },
    { pk: `STATUS#payment#${id}`, sk: 'STATUS', service: 'payment', status: 'DECLINED' },
  ];
  const inbox = new Map<string, Record<string, unknown>>([
    [
      `payment/${placed}`,
      {
        processedAt: '2026-11-30T12:00:00.300Z',
        emits: JSON.stringify([{ eventId: ev('payment', 'PaymentDeclined'), eventType: 'PaymentDeclined', occurredAt: '2026-11-30T12:00:00.300Z' }]),
        duplicates: 1,
      },
    ],
    [
      `inventory/${placed}`,
      {
        processedAt: '2026-11-30T12:00:00.250Z',
        emits: JSON.stringify([{ eventId: ev('inventory', 'StockReserved'), eventType: 'StockReserved', occurredAt: '2026-11-30T12:00:00.250Z' }]),
      },
    ],
    [`inventory/${cancelled.eventId}`, { processedAt: '2026-11-30T12:00:01.200Z', emits: '[]' }],
  ]);

  it('builds the timeline: events in time order, consumers with duplicates, the decision and the compensation', () => {
    const t = buildTrace(id, partition, inbox)!;
    expect(t.events.map((e) => e.eventType)).toEqual(['OrderPlaced', 'StockReserved', 'PaymentDeclined', 'OrderCancelled']);
    const placedEvent = t.events[0]!;
    expect(placedEvent.outbox).toBe('published');
    expect(placedEvent.consumers).toEqual([
      { service: 'inventory', at: '2026-11-30T12:00:00.250Z', duplicates: 0, result: '-> StockReserved' },
      { service: 'payment', at: '2026-11-30T12:00:00.300Z', duplicates: 1, result: '-> PaymentDeclined' },
    ]);
    // The decision is in: the deadline copy of OrderPlaced is not expected at orders any more.
    expect(placedEvent.notConsumedBy).toEqual([]);
    expect(t.events[2]!.consumers).toEqual([{ service: 'orders', at: '2026-11-30T12:00:00.900Z', duplicates: 2, result: 'recorded DECLINED' }]);
    const c = t.events[3]!;
    expect(c.consumers.map((x) => x.service)).toEqual(['inventory']);
    expect(c.notConsumedBy).toEqual(['payment', 'notification', 'analytics']);
    expect(t.compensation).toEqual(['inventory RELEASED']);
    // Each service's STATUS item is in its own partition, all with sort key STATUS: one entry per service.
    expect(Object.fromEntries(Object.entries(t.statuses).map(([k, v]) => [k, v.status]))).toEqual({ inventory: 'RELEASED', payment: 'DECLINED' });
    const text = renderTrace(t);
    expect(text).toContain('order o-1: CANCELLED (PAYMENT_DECLINED)');
    expect(text).toContain('DUPLICATES dropped: 3');
    expect(text).toMatch(/\+300 ms {6}consumed by payment -> PaymentDeclined; 1 duplicate\(s\) dropped/);
    expect(text).toContain('DECISION CANCELLED PAYMENT_DECLINED at 2026-11-30T12:00:01.000Z (+1000 ms), event OrderCancelled');
  });

  it("prints the X-Ray trace ids found on the order's log lines (AWS), and asks Logs Insights for them", () => {
    const t = { ...buildTrace(id, partition, inbox)!, logs: [], xrayTraceIds: ['1-6750a1b2-0123456789abcdef01234567', '1-6750a1b3-89abcdef0123456701234567'] };
    expect(renderTrace(t)).toContain('X-RAY traces (open in the X-Ray console): 1-6750a1b2-0123456789abcdef01234567, 1-6750a1b3-89abcdef0123456701234567');
    expect(renderTrace(buildTrace(id, partition, inbox)!)).not.toContain('X-RAY');
    expect(insightsQuery('c', 'o')).toMatch(/^fields .*\bxray_trace_id\b/);
  });

  it('is undefined for an order that does not exist', () => {
    expect(buildTrace(id, [], new Map())).toBeUndefined();
  });

  it('builds a Logs Insights query by correlation id or order id that cannot be broken out of', () => {
    expect(insightsQuery('corr-1', 'o-1')).toContain('filter correlationId = "corr-1" or orderId = "o-1"');
    expect(insightsQuery('a" or 1=1 or "', 'o')).toContain('filter correlationId = "a or 1=1 or " or orderId = "o"');
  });
});
