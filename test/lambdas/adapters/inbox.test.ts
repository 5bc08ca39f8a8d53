import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, ddbMock, envelope, TABLES } from '../services/helpers';
import { eventHash, Inbox, PayloadMismatchError, TransactionConditionError } from '../../../lambdas/adapters/inbox';
import { inboxKey } from '../../../lambdas/adapters/keys';
import { outcomeEvent } from '../../../lambdas/core/events';

const inbox = new Inbox(TABLES.service, 3600);
const event = envelope('OrderConfirmed', { amountCents: 100, currency: 'USD', confirmedAt: '2024-05-01T10:00:00.000Z' });
const emitted = outcomeEvent('StockReserved', event, 'inventory', { skus: ['B', 'A'] }, '2024-05-01T10:00:01.000Z');
const effect = { Put: { TableName: 'effects', Item: { pk: 'E', sk: 'E' } } };

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
});

describe('Inbox', () => {
  it('commits the effect with a conditional inbox record last, carrying the hash, emits and expiry', async () => {
    const before = Math.floor(Date.now() / 1000);
    expect(await inbox.commit(event, [emitted], [effect])).toBe('committed');
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items[0]).toEqual(effect);
    expect(items[1]!.Put).toMatchObject({
      TableName: TABLES.service,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { ...inboxKey(event.eventId), eventType: 'OrderConfirmed', orderId: 'order-1', payloadHash: eventHash(event), emits: JSON.stringify([emitted]) },
    });
    const expiresAt = Number(items[1]!.Put!.Item!.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600);
    expect(expiresAt).toBeLessThanOrEqual(before + 3601 + 5);
  });

  it('returns the recorded emits byte-identical for a replay', async () => {
    ddbMock.on(GetCommand, { Key: inboxKey(event.eventId) }).resolves({ Item: { payloadHash: eventHash(event), emits: JSON.stringify([emitted]) } });
    const prior = await inbox.prior(event);
    expect(JSON.stringify(prior)).toBe(JSON.stringify([emitted]));
  });

  it('still reads records whose emits were stored as a list', async () => {
    ddbMock.on(GetCommand, { Key: inboxKey(event.eventId) }).resolves({ Item: { payloadHash: eventHash(event), emits: [emitted] } });
    expect(await inbox.prior(event)).toEqual([emitted]);
  });

  it('throws PayloadMismatchError when the id was seen with another payload', async () => {
    ddbMock.on(GetCommand, { Key: inboxKey(event.eventId) }).resolves({ Item: { payloadHash: 'other', emits: '[]' } });
    await expect(inbox.prior(event)).rejects.toBeInstanceOf(PayloadMismatchError);
  });

  it('reports a lost inbox race as a duplicate and an effect condition as TransactionConditionError', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed']))
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None']));
    expect(await inbox.commit(event, [], [effect])).toBe('duplicate');
    const err = await inbox.commit(event, [], [effect]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionConditionError);
    expect((err as TransactionConditionError).codes).toEqual(['ConditionalCheckFailed']);
  });

  it('once: runs the effect only for a new event', async () => {
    let runs = 0;
    const run = () => inbox.once(event, async () => ((runs += 1), { emits: [emitted], writes: [effect] }));
    expect(await run()).toEqual({ emits: [emitted], duplicate: false });
    const record = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![1]!.Put!.Item!;
    ddbMock.on(GetCommand, { Key: inboxKey(event.eventId) }).resolves({ Item: record });
    expect(await run()).toEqual({ emits: [emitted], duplicate: true });
    expect(runs).toBe(1);
  });
});
