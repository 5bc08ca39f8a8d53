import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatReport, reconcile, tablesFromOutputs, type ReconcileTables } from '../../scripts/reconcile';
import { STACK_OUTPUTS, serviceOutputs } from '../../lib/outputs';
import { SERVICES } from '../../lambdas/services/registry';

type Item = Record<string, any>;

const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

const TABLES: ReconcileTables = {
  orders: 'orders',
  catalog: 'catalog',
  services: {
    orders: 'svc-orders',
    payment: 'svc-payment',
    inventory: 'svc-inventory',
    shipping: 'svc-shipping',
    notification: 'svc-notification',
    analytics: 'svc-analytics',
  },
};
const NOW = new Date('2024-05-01T12:00:00.000Z');

/**
 * A consistent stack after two orders: o-1 CONFIRMED (charged 1250, 2 x SKU-1 reserved, shipped, e-mailed, counted)
 * and o-2 CANCELLED OUT_OF_STOCK (charged 500 and refunded, backordered, e-mailed, counted). SKU-1 received 10.
 */
function cleanStack(): Record<string, Item[]> {
  const decision = (eventType: string, payload: object) => JSON.stringify({ eventType, orderId: 'x', payload });
  return {
    orders: [
      { pk: 'ORDER#o-1', sk: 'ORDER', orderId: 'o-1', createdAt: '2024-05-01T10:00:00.000Z' },
      {
        pk: 'LIFECYCLE#o-1',
        sk: 'LIFECYCLE',
        status: 'CONFIRMED',
        decision: decision('OrderConfirmed', { amountCents: 1250, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' }),
      },
      { pk: 'STATUS#payment#o-1', sk: 'STATUS', service: 'payment', status: 'CHARGED' },
      { pk: 'ORDER#o-2', sk: 'ORDER', orderId: 'o-2', createdAt: '2024-05-01T10:01:00.000Z' },
      {
        pk: 'LIFECYCLE#o-2',
        sk: 'LIFECYCLE',
        status: 'CANCELLED',
        reason: 'OUT_OF_STOCK',
        decision: decision('OrderCancelled', { reason: 'OUT_OF_STOCK', currency: 'USD', cancelledAt: '2024-05-01T10:01:05.000Z' }),
      },
    ],
    catalog: [
      { pk: 'SKU-1', stock: 8, receivedStock: 10 },
      { pk: 'SKU-OOS', stock: 0, receivedStock: 0 },
      { pk: 'SKU-LEGACY', stock: 3 }, // no receivedStock: not checked
    ],
    'svc-payment': [
      { pk: 'CHARGE#o-1', sk: 'CHARGE', status: 'CHARGED', amountCents: 1250 },
      { pk: 'PAYMENT#o-1', sk: 'PAYMENT', state: 'CHARGED', amountCents: 1250 },
      { pk: 'CHARGE#o-2', sk: 'CHARGE', status: 'CHARGED', amountCents: 500 },
      { pk: 'REFUND#o-2', sk: 'REFUND', status: 'REFUNDED', amountCents: 500 },
    ],
    'svc-inventory': [
      { pk: 'RESERVATION#o-1', sk: 'RESERVATION', state: 'RESERVED', lines: [{ sku: 'SKU-1', quantity: 2 }] },
      { pk: 'RESERVATION#o-2', sk: 'RESERVATION', state: 'BACKORDERED', skus: ['SKU-OOS'] },
    ],
    'svc-shipping': [{ pk: 'SHIPMENT#o-1', sk: 'SHIPMENT', state: 'REQUESTED' }],
    'svc-notification': [
      { pk: 'EMAIL#o-1#confirmed', sk: 'EMAIL' },
      { pk: 'EMAIL#o-2#cancelled', sk: 'EMAIL' },
    ],
    'svc-analytics': [
      { pk: 'COUNTED#o-1', sk: 'COUNTED' },
      { pk: 'COUNTED#o-2', sk: 'COUNTED' },
      { pk: 'DAILY#2024-05-01#USD#3', sk: 'SHARD', confirmed: 1, cancelled: 0, revenueCents: 1250 },
      { pk: 'DAILY#2024-05-01#USD#6', sk: 'SHARD', confirmed: 0, cancelled: 1, revenueCents: 0 },
      { pk: 'INBOX#e', sk: 'INBOX' },
    ],
  };
}

let stack: Record<string, Item[]>;

/** Scans answer from `stack`, two items a page, so pagination is exercised. */
function serve() {
  ddbMock.on(ScanCommand).callsFake((input: ScanCommandInput) => {
    const all = stack[input.TableName!] ?? [];
    const start = Number((input.ExclusiveStartKey as { i?: number } | undefined)?.i ?? 0);
    const page = all.slice(start, start + 2);
    return { Items: page, LastEvaluatedKey: start + 2 < all.length ? { i: start + 2 } : undefined };
  });
}

const find = (table: string, pk: string) => stack[table]!.find((i) => i.pk === pk)!;
const run = (options = {}) => reconcile(ddb, TABLES, { now: NOW, ...options });

beforeEach(() => {
  ddbMock.reset();
  stack = cleanStack();
  serve();
});

describe('reconcile', () => {
  it('a clean stack: no violation, the counts add up, every page of every table read consistently', async () => {
    const report = await run();
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({
      orders: 2,
      confirmed: 1,
      cancelled: 1,
      byReason: { OUT_OF_STOCK: 1 },
      pending: 0,
      chargedCents: 1750,
      refundedCents: 500,
      shipments: 1,
      emails: 2,
      skusChecked: 2,
    });
    const scanned = ddbMock.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scanned.every((i) => i.ConsistentRead === true)).toBe(true);
    expect(scanned.filter((i) => i.TableName === 'orders')).toHaveLength(3); // 5 items, 2 a page
    expect(formatReport(report)).toContain('no violations');
  });

  it('charged but cancelled without a refund', async () => {
    stack['svc-payment'] = stack['svc-payment']!.filter((i) => i.pk !== 'REFUND#o-2');
    const { violations } = await run();
    expect(violations).toEqual(['order o-2: CANCELLED (OUT_OF_STOCK) but net charge 500 (charged 500, refunded 0)']);
  });

  it('confirmed without a shipment', async () => {
    stack['svc-shipping'] = [];
    expect((await run()).violations).toEqual(['order o-1: CONFIRMED but not shipped']);
  });

  it('confirmed for another amount than charged', async () => {
    find('svc-payment', 'CHARGE#o-1').amountCents = 1000;
    expect((await run()).violations).toEqual(['order o-1: CONFIRMED for 1250 but charged 1000']);
  });

  it('a cancelled order still holding stock (and the stock sum off with it)', async () => {
    find('svc-inventory', 'RESERVATION#o-2').state = 'RESERVED';
    find('svc-inventory', 'RESERVATION#o-2').lines = [{ sku: 'SKU-OOS', quantity: 1 }];
    const { violations } = await run();
    expect(violations).toContain('order o-2: CANCELLED (OUT_OF_STOCK) but stock is still reserved');
    expect(violations).toContain('sku SKU-OOS: stock 0 + reserved 1 != received 0');
  });

  it('stock mismatch: shelf plus live reservations differ from what was received', async () => {
    find('catalog', 'SKU-1').stock = 9; // a release that gave back without closing the reservation
    expect((await run()).violations).toEqual(['sku SKU-1: stock 9 + reserved 2 != received 10']);
  });

  it('analytics mismatch: the shards of a day disagree with the decided orders', async () => {
    find('svc-analytics', 'DAILY#2024-05-01#USD#3').confirmed = 2; // counted twice
    const { violations } = await run();
    expect(violations).toEqual([
      'analytics 2024-05-01#USD: counted {"confirmed":2,"cancelled":1,"revenueCents":1250}, decided orders say {"confirmed":1,"cancelled":1,"revenueCents":1250}',
    ]);
  });

  it('a decided order analytics never counted', async () => {
    stack['svc-analytics'] = stack['svc-analytics']!.filter((i) => i.pk !== 'COUNTED#o-2');
    expect((await run()).violations).toEqual(['order o-2: decided but not counted by analytics']);
  });

  it('undecided past the grace period is a violation; within it, pending', async () => {
    stack.orders!.push({ pk: 'ORDER#o-3', sk: 'ORDER', orderId: 'o-3', createdAt: '2024-05-01T11:59:00.000Z' });
    stack.orders!.push({ pk: 'LIFECYCLE#o-3', sk: 'LIFECYCLE', status: 'ACCEPTED', payment: 'CHARGED' });
    const late = await run({ graceSeconds: 30 });
    expect(late.violations).toEqual(['order o-3: undecided (ACCEPTED) 60 s after it was accepted']);
    const inGrace = await run({ graceSeconds: 120 });
    expect(inGrace.violations).toEqual([]);
    expect(inGrace.pending).toBe(1);
  });

  it('an order lost entirely, and an e-mail sent twice', async () => {
    stack['svc-notification']!.push({ pk: 'EMAIL#o-1#cancelled', sk: 'EMAIL' });
    const { violations } = await run({ orderIds: ['o-1', 'o-9'] });
    expect(violations).toEqual(['order o-1: CONFIRMED but e-mails sent: [confirmed, cancelled]', 'order o-9: no ORDER item (an accepted order was lost)']);
  });

  it('with --orders the stack-wide sums are skipped', async () => {
    find('catalog', 'SKU-1').stock = 0;
    const report = await run({ orderIds: ['o-1'] });
    expect(report.violations).toEqual([]);
    expect(report.skusChecked).toBe(0);
  });

  it('formatReport lists every violation', async () => {
    stack['svc-shipping'] = [];
    const text = formatReport(await run());
    expect(text).toContain('1 violation(s):');
    expect(text).toContain('  - order o-1: CONFIRMED but not shipped');
  });
});

describe('tablesFromOutputs', () => {
  it('maps the stack outputs to tables and names a missing one', () => {
    const outputs: Record<string, string> = { [STACK_OUTPUTS.ordersTableName]: 'o', [STACK_OUTPUTS.catalogTableName]: 'c' };
    for (const s of SERVICES) outputs[serviceOutputs(s.name).tableName] = `t-${s.name}`;
    expect(tablesFromOutputs(outputs)).toEqual({ orders: 'o', catalog: 'c', services: Object.fromEntries(SERVICES.map((s) => [s.name, `t-${s.name}`])) });
    delete outputs[serviceOutputs('analytics').tableName];
    expect(() => tablesFromOutputs(outputs)).toThrow(`stack output ${serviceOutputs('analytics').tableName} is missing`);
  });
});
