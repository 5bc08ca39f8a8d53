import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { conditionalCheckFailed, context, ddbMock, envelope, inboxHolds, lastInboxRecord, TABLES, transactions } from './helpers';
import { PayloadMismatchError } from '../../../lambdas/adapters/inbox';
import { inboxKey, personalDataKey, statusKey } from '../../../lambdas/adapters/keys';
import { makeNotification, notification } from '../../../lambdas/services/notification/notification';
import { maskEmail } from '../../../lambdas/core/masking';
import { emailKey, type EmailMessage } from '../../../lambdas/services/notification/sender';

const ctx = context('notification');
const confirmed = () => envelope('OrderConfirmed', { amountCents: 1250, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' });
const cancelledEvent = () => envelope('OrderCancelled', { reason: 'OUT_OF_STOCK', currency: 'USD', cancelledAt: '2024-05-01T10:00:05.000Z' });

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(GetCommand, { TableName: TABLES.orders, Key: personalDataKey('order-1') }).resolves({ Item: { email: 'ada@example.com' } });
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

    expect(ddbMock.commandCalls(GetCommand, { TableName: TABLES.orders })[0]!.args[0].input).toMatchObject({
      Key: personalDataKey('order-1'),
      ProjectionExpression: 'email, #ttl',
    });
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
    inboxHolds('evt-OrderConfirmed', lastInboxRecord());
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
    ddbMock.on(GetCommand, { TableName: TABLES.orders, Key: personalDataKey('order-1') }).resolves({ Item: {} });
    const result = await notification(confirmed(), ctx);
    expect(result.outcome).toBe('NO_ADDRESS');
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(transactions()[0]![0]!.Put!.Item).toMatchObject({ status: 'SKIPPED', detail: { kind: 'confirmed', reason: 'NO_ADDRESS' } });
  });

  it.each([
    ['past its retention (TTL deleted the item)', {}],
    ['past its expiry but not yet deleted (TTL deletes late)', { Item: { email: 'ada@example.com', expiresAt: 1_000 } }],
    ['erased by its owner (a tombstone)', { Item: { erasedAt: '2024-05-02T00:00:00.000Z', expiresAt: 4_102_444_800 } }],
  ])('sends nothing when the personal data is gone: %s', async (_name, reply) => {
    ddbMock.on(GetCommand, { TableName: TABLES.orders, Key: personalDataKey('order-1') }).resolves(reply);
    const result = await notification(confirmed(), ctx);
    expect(result.outcome).toBe('NO_ADDRESS');
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('throws on a reused event id with another payload and sends nothing', async () => {
    await notification(confirmed(), ctx);
    inboxHolds('evt-OrderConfirmed', lastInboxRecord());
    ddbMock.resetHistory();
    await expect(
      notification(envelope('OrderConfirmed', { amountCents: 1, currency: 'USD', confirmedAt: '2024-05-01T10:00:05.000Z' }), ctx),
    ).rejects.toBeInstanceOf(PayloadMismatchError);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });
});
