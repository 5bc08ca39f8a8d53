import { BatchGetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { conditionalCheckFailed, context, ddbMock, envelope, inboxHolds, lastInboxRecord, refusedRequests, TABLES, transactions } from './helpers';
import { PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { inboxKey, personalDataKey, statusKey } from '../../../lambdas/adapters/keys';
import { makeNotification, notification } from '../../../lambdas/services/notification/notification';
import { maskEmail } from '../../../lambdas/core/masking';
import { emailKey, type EmailMessage } from '../../../lambdas/services/notification/sender';
import { TTL_ATTRIBUTE } from '../../../lambdas/contract';

const ctx = context('notification');
const confirmed = () => envelope('OrderConfirmed', { amountCents: 1250, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' });
const cancelledEvent = () => envelope('OrderCancelled', { reason: 'OUT_OF_STOCK', currency: 'USD', cancelledAt: '2024-05-01T10:00:05.000Z' });

/** What the one read (a BatchGetItem of the inbox record and the order's PII item) finds. */
let found: { inbox?: Record<string, unknown>; personalData?: Record<string, unknown> };
const personalData = (item: Record<string, unknown> | undefined) => (found.personalData = item && { ...personalDataKey('order-1'), ...item });
/** A redelivery after the first attempt committed: the read finds this record, and a commit meets it. */
function recorded(eventId: string, record: Record<string, unknown>): void {
  inboxHolds(eventId, record);
  found.inbox = record;
}
/** The tables and keys each BatchGetItem asked for, and how. */
const reads = () => ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems);

beforeEach(() => {
  ddbMock.reset();
  found = { personalData: { ...personalDataKey('order-1'), email: 'ada@example.com' } };
  ddbMock.on(BatchGetCommand).callsFake(() => ({
    Responses: { [TABLES.service]: found.inbox ? [found.inbox] : [], [TABLES.orders]: found.personalData ? [found.personalData] : [] },
  }));
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
});

describe('maskEmail', () => {
  it('keeps the first letter and the domain', () => expect(maskEmail('ada@example.com')).toBe('a***@example.com'));
  it('masks something that is not an address entirely', () => expect(maskEmail('nonsense')).toBe('***'));
});

describe('notification', () => {
  it.each([
    ['confirmed', confirmed],
    ['cancelled', cancelledEvent],
  ] as const)('sends one %s e-mail with the order key, stores a masked address, then records status and inbox', async (kind, make) => {
    const event = make();
    const result = await notification(event, ctx);

    // One read for the inbox record and the address (before: a GetItem each).
    expect(reads()).toEqual([
      {
        [TABLES.service]: { Keys: [inboxKey(event.eventId)], ConsistentRead: true },
        [TABLES.orders]: {
          Keys: [personalDataKey('order-1')],
          ConsistentRead: true,
          ProjectionExpression: 'email, #ttl',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        },
      },
    ]);
    expect(ddbMock.calls().map((c) => c.args[0].constructor.name)).toEqual(['BatchGetCommand', 'PutCommand', 'TransactWriteCommand']);
    const puts = ddbMock.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    const sent = puts[0]!.args[0].input;
    expect(sent).toMatchObject({
      TableName: TABLES.service,
      Item: { ...emailKey('order-1', kind), idempotencyKey: `order-1:${kind}`, kind, to: 'a***@example.com' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(JSON.stringify(sent)).not.toContain('ada@example.com');

    const [items] = transactions();
    expect(items).toHaveLength(2);
    expect(items![0]!.Put!.Item).toMatchObject({ ...statusKey('order-1', 'notification'), status: 'SENT', detail: { kind } });
    expect(items![1]!.Put!.Item).toMatchObject(inboxKey(event.eventId));
    expect(JSON.stringify(items)).not.toContain('ada@example.com');
    expect(result).toEqual({ emits: [], duplicate: false, outcome: 'SENT' });
  });

  it('a redelivery after the record sends nothing', async () => {
    await notification(confirmed(), ctx);
    recorded('evt-OrderConfirmed', lastInboxRecord());
    ddbMock.resetHistory();
    const again = await notification(confirmed(), ctx);
    expect(again).toEqual({ emits: [], duplicate: true, outcome: 'SENT' });
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(transactions()).toHaveLength(0);
  });

  it('a retry after a crash between send and record hands the sender the same key; the deduping sender sends nothing', async () => {
    const seen: EmailMessage[] = [];
    let delivered = 0;
    const sender = {
      async send(m: EmailMessage) {
        seen.push(m);
        if (seen.filter((s) => s.idempotencyKey === m.idempotencyKey).length > 1) return { sent: false };
        delivered += 1;
        return { sent: true };
      },
    };
    const handler = makeNotification(() => sender);
    ddbMock.on(TransactWriteCommand).rejectsOnce(new Error('connection reset')).resolves({});
    await expect(handler(confirmed(), ctx)).rejects.toThrow('connection reset');
    const retry = await handler(confirmed(), ctx);

    expect(seen.map((m) => m.idempotencyKey)).toEqual(['order-1:confirmed', 'order-1:confirmed']);
    expect(delivered).toBe(1);
    expect(retry).toEqual({ emits: [], duplicate: false, outcome: 'ALREADY_SENT' });
    expect(transactions()).toHaveLength(2);
  });

  it('the simulated sender dedupes on its record', async () => {
    ddbMock.on(PutCommand).rejects(conditionalCheckFailed());
    const result = await notification(confirmed(), ctx);
    expect(result.outcome).toBe('ALREADY_SENT');
    expect(transactions()[0]![0]!.Put!.Item).toMatchObject({ status: 'SENT' });
  });

  it('skips an order without an address (recorded, not retried)', async () => {
    personalData({});
    const result = await notification(confirmed(), ctx);
    expect(result.outcome).toBe('NO_ADDRESS');
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(transactions()[0]![0]!.Put!.Item).toMatchObject({ status: 'SKIPPED', detail: { kind: 'confirmed', reason: 'NO_ADDRESS' } });
  });

  it.each([
    ['past its retention (TTL deleted the item)', undefined],
    ['past its expiry but not yet deleted (TTL deletes late)', { email: 'ada@example.com', expiresAt: 1_000 }],
    ['erased by its owner (a tombstone)', { erasedAt: '2024-05-02T00:00:00.000Z', expiresAt: 4_102_444_800 }],
    // The API never stores one (it validates the address); an item written by hand or by an older version might.
    ['an empty e-mail', { email: '', expiresAt: 4_102_444_800 }],
  ])('sends nothing when the personal data is gone: %s', async (_name, item) => {
    personalData(item);
    const result = await notification(confirmed(), ctx);
    expect(result.outcome).toBe('NO_ADDRESS');
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('throws on a reused event id with another payload and sends nothing', async () => {
    await notification(confirmed(), ctx);
    recorded('evt-OrderConfirmed', lastInboxRecord());
    ddbMock.resetHistory();
    await expect(
      notification(envelope('OrderConfirmed', { amountCents: 1, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' }), ctx),
    ).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });
});

afterEach(() => vi.useRealTimers());

/** A sender that only records what it was handed. */
const recordingSender = () => {
  const sent: EmailMessage[] = [];
  return { sent, handler: makeNotification(() => ({ send: async (m: EmailMessage) => (sent.push(m), { sent: true }) })) };
};

describe('notification: what it sends, and to whom', () => {
  it('ignores an event that sends no e-mail (OrderPlaced): nothing read, nothing sent', async () => {
    const placed = envelope('OrderPlaced', { customerId: 'c-1', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1 }] });
    expect(await notification(placed, ctx)).toEqual({ outcome: 'IGNORED' });
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('the confirmation says the order is confirmed; the cancellation says why, and that any charge is refunded', async () => {
    // Payment refunds whatever it charged on a cancelled order (docs/architecture.md), whatever the reason.
    const { sent, handler } = recordingSender();
    await handler(confirmed(), ctx);
    await handler(cancelledEvent(), ctx);
    const [yes, no] = sent;
    expect(yes).toMatchObject({ idempotencyKey: 'order-1:confirmed', kind: 'confirmed', to: 'ada@example.com' });
    expect(yes!.subject).toMatch(/order-1.*confirmed/);
    expect(yes!.subject).not.toMatch(/cancel/i);
    expect(yes!.text).toContain('order-1');
    expect(no).toMatchObject({ idempotencyKey: 'order-1:cancelled', kind: 'cancelled' });
    expect(no!.subject).toMatch(/order-1.*cancelled/);
    expect(no!.subject).not.toMatch(/confirmed/);
    expect(no!.text).toContain('order-1');
    expect(no!.text).toContain('OUT_OF_STOCK');
    expect(no!.text).toMatch(/refund/);
  });

  it('reads the address with a consistent read, in a request DynamoDB accepts', async () => {
    // An erasure replaces the address "at once" (SECURITY.md): an eventually consistent read could still return it.
    await notification(confirmed(), ctx);
    const [read] = reads();
    expect(read![TABLES.orders]).toMatchObject({ Keys: [personalDataKey('order-1')], ConsistentRead: true });
    expect(refusedRequests()).toEqual([]);
  });

  it('sends to an address still within its retention (expiry in the future)', async () => {
    personalData({ email: 'ada@example.com', [TTL_ATTRIBUTE]: 4_102_444_800 });
    const { sent, handler } = recordingSender();
    expect((await handler(confirmed(), ctx)).outcome).toBe('SENT');
    expect(sent.map((m) => m.to)).toEqual(['ada@example.com']);
  });

  it('an address whose expiry is this very second is not yet past it: sent', async () => {
    // "Past its expiry counts as gone" (notification.ts); DynamoDB's TTL expires an item whose time is less than now.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2024-05-01T10:00:05.000Z'));
    personalData({ email: 'ada@example.com', [TTL_ATTRIBUTE]: Date.parse('2024-05-01T10:00:05.000Z') / 1000 });
    const { sent, handler } = recordingSender();
    await handler(confirmed(), ctx);
    expect(sent).toHaveLength(1);
  });

  it('an empty address is no address: nothing sent, SKIPPED', async () => {
    personalData({ email: '' });
    const { sent, handler } = recordingSender();
    expect((await handler(confirmed(), ctx)).outcome).toBe('NO_ADDRESS');
    expect(sent).toEqual([]);
    expect(transactions()[0]![0]!.Put!.Item).toMatchObject({ status: 'SKIPPED', detail: { reason: 'NO_ADDRESS' } });
  });
});

describe('SimulatedSender', () => {
  it.each(['confirmed', 'cancelled'] as const)('records a %s e-mail under EMAIL#<orderId>#<kind> / EMAIL (docs/notification-window.md)', async (kind) => {
    await notification(kind === 'confirmed' ? confirmed() : cancelledEvent(), ctx);
    expect(ddbMock.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({ pk: `EMAIL#order-1#${kind}`, sk: 'EMAIL' });
    expect(emailKey('order-1', kind)).toEqual({ pk: `EMAIL#order-1#${kind}`, sk: 'EMAIL' });
  });

  it('a record write that failed for another reason (throttled) is an error, not "already sent": nothing recorded, retried', async () => {
    ddbMock.on(PutCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(notification(confirmed(), ctx)).rejects.toThrow('throttled');
    expect(transactions()).toHaveLength(0);
  });
});
