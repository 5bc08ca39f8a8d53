import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelled, ddbMock, envelope, TABLES } from '../services/helpers';
import {
  backoffMs,
  cancellationCodes,
  CONTENTION_RETRY,
  contention,
  eventHash,
  Inbox,
  isContention,
  PayloadMismatchError,
  UndeclaredEventError,
  TransactionConditionError,
  transactWithRetry,
} from '../../../lambdas/adapters/inbox';
import { inboxKey } from '../../../lambdas/adapters/keys';
import { outcomeEvent } from '../../../lambdas/core/events';

const inbox = new Inbox(TABLES.service, 3600, ['StockReserved']);
const event = envelope('OrderConfirmed', { amountCents: 100, currency: 'USD', confirmedAt: '2024-05-01T10:00:00.000Z' });
const emitted = outcomeEvent('StockReserved', event, 'inventory', { skus: ['B', 'A'] }, '2024-05-01T10:00:01.000Z');
const effect = { Put: { TableName: 'effects', Item: { pk: 'E', sk: 'E' } } };

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
  contention.retried = 0;
});
afterEach(() => vi.restoreAllMocks());

describe('Inbox', () => {
  it('commits the effect with a conditional inbox record last, carrying the hash, emits and expiry', async () => {
    const before = Math.floor(Date.now() / 1000);
    expect(await inbox.commit(event, [emitted], [effect])).toEqual({ emits: [emitted], duplicate: false });
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items[0]).toEqual(effect);
    expect(items[1]!.Put).toMatchObject({
      TableName: TABLES.service,
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      Item: { ...inboxKey(event.eventId), eventType: 'OrderConfirmed', orderId: 'order-1', payloadHash: eventHash(event), emits: JSON.stringify([emitted]) },
    });
    const expiresAt = Number(items[1]!.Put!.Item!.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600);
    expect(expiresAt).toBeLessThanOrEqual(before + 3601 + 5);
  });

  it('countDuplicate adds one to the record (duplicates, lastDuplicateAt) and never throws', async () => {
    await inbox.countDuplicate(event);
    expect(ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        TableName: TABLES.service,
        Key: inboxKey(event.eventId),
        UpdateExpression: 'ADD duplicates :one SET lastDuplicateAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
      }),
    ]);
    ddbMock.on(UpdateCommand).rejects(Object.assign(new Error('gone'), { name: 'ConditionalCheckFailedException' }));
    await expect(inbox.countDuplicate(event)).resolves.toBeUndefined();
  });

  it('countDuplicate adds exactly one and stamps lastDuplicateAt with the current time', async () => {
    const before = Date.now();
    await inbox.countDuplicate(event);
    const values = ddbMock.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues!;
    expect(values[':one']).toBe(1);
    const stamped = Date.parse(String(values[':now']));
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
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

  it('reads the record strongly consistent: a copy arriving right after the first commit must find it', async () => {
    await inbox.prior(event);
    expect(ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLES.service, Key: inboxKey(event.eventId), ConsistentRead: true },
    ]);
  });

  it('reports a lost inbox race as a duplicate and an effect condition as TransactionConditionError', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed']))
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None']));
    expect(await inbox.commit(event, [], [effect])).toEqual({ emits: [], duplicate: true });
    const err = await inbox.commit(event, [], [effect]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionConditionError);
    expect((err as TransactionConditionError).codes).toEqual(['ConditionalCheckFailed']);
  });

  it('a lost inbox race returns the emits of the record DynamoDB handed back (ALL_OLD), with no read', async () => {
    const winner = { ...inboxKey(event.eventId), payloadHash: eventHash(event), emits: JSON.stringify([emitted]) };
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed'], winner));
    expect(await inbox.commit(event, [], [effect])).toEqual({ emits: [emitted], duplicate: true });
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('a lost inbox race without a record handed back reads it once; a record of another payload is a PayloadMismatchError', async () => {
    const winner = { ...inboxKey(event.eventId), payloadHash: eventHash(event), emits: JSON.stringify([emitted]) };
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    ddbMock.on(GetCommand).resolves({ Item: winner });
    expect(await inbox.commit(event, [], [effect])).toEqual({ emits: [emitted], duplicate: true });
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(1);
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed'], { ...winner, payloadHash: 'other' }));
    await expect(inbox.commit(event, [], [effect])).rejects.toBeInstanceOf(PayloadMismatchError);
  });

  it('a handed-back record of the older format (emits as a list) gives the same emits', async () => {
    const winner = { ...inboxKey(event.eventId), payloadHash: eventHash(event), emits: [emitted] };
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed'], winner));
    expect(await inbox.commit(event, [], [effect])).toEqual({ emits: [emitted], duplicate: true });
  });

  it('a record without emits is still a duplicate, with nothing to re-emit', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { ...inboxKey(event.eventId), payloadHash: eventHash(event) } });
    expect(await inbox.prior(event)).toEqual([]);
  });

  it('once with readFirst false: no read before the effect; a duplicate is learnt from the failed commit', async () => {
    const winner = { ...inboxKey(event.eventId), payloadHash: eventHash(event), emits: JSON.stringify([emitted]) };
    let runs = 0;
    const effectOnce = async () => ((runs += 1), { emits: [emitted], writes: [effect] });
    expect(await inbox.once(event, effectOnce, { readFirst: false })).toEqual({ emits: [emitted], duplicate: false });
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed'], winner));
    expect(await inbox.once(event, effectOnce, { readFirst: false })).toEqual({ emits: [emitted], duplicate: true });
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
    // The effect ran twice (it only builds writes); the second attempt's writes were cancelled with the inbox record.
    expect(runs).toBe(2);
  });

  it('records no event type the service does not declare: commit and putOnce throw UndeclaredEventError and write nothing', async () => {
    const strange = outcomeEvent('PaymentCharged', event, 'inventory', { amountCents: 1, currency: 'USD', chargeId: 'ch' });
    await expect(inbox.commit(event, [emitted, strange], [effect])).rejects.toThrow(UndeclaredEventError);
    await expect(inbox.putOnce(event, [strange], { TableName: 'effects', Item: { pk: 'E', sk: 'E' } })).rejects.toThrow(
      "event type PaymentCharged is not among the service's declared emits (StockReserved)",
    );
    await expect(new Inbox(TABLES.service, 3600, []).commit(event, [emitted], [])).rejects.toThrow('declared emits (none)');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it("errors say what went wrong by name and message, as the worker's 'processing failed' line logs them", async () => {
    // The worker logs err.name (errorName) and err.message; operators search for both.
    ddbMock.on(GetCommand, { Key: inboxKey(event.eventId) }).resolves({ Item: { payloadHash: 'other', emits: '[]' } });
    const mismatch = await inbox.prior(event).catch((e: unknown) => e as Error);
    expect(mismatch).toMatchObject({ name: 'PayloadMismatchError', eventId: event.eventId });
    expect((mismatch as Error).message).toContain(event.eventId);

    // Each item's code, in item order and told apart (the inbox record's, always last, left out).
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None']));
    const condition = await inbox.commit(event, [], [effect, effect]).catch((e: unknown) => e as Error);
    expect(condition).toMatchObject({ name: 'TransactionConditionError', codes: ['ConditionalCheckFailed', 'None'] });
    expect((condition as Error).message).toMatch(/ConditionalCheckFailed\W+None$/);

    const twoTypes = new Inbox(TABLES.service, 3600, ['StockReserved', 'StockBackordered']);
    const strange = outcomeEvent('PaymentCharged', event, 'inventory', { amountCents: 1, currency: 'USD', chargeId: 'ch' });
    const undeclared = await twoTypes.commit(event, [strange], []).catch((e: unknown) => e as Error);
    expect(undeclared).toMatchObject({ name: 'UndeclaredEventError', eventType: 'PaymentCharged' });
    // The declared types are listed so that each can be read.
    expect((undeclared as Error).message).toMatch(/StockReserved\W+StockBackordered/);
  });

  it('putOnce takes only a failed condition for a duplicate: another error is thrown as is, whatever it carries', async () => {
    const put = { TableName: 'effects', Item: { pk: 'SHIPMENT#order-1', sk: 'SHIPMENT' } };
    const stored = marshall({ ...put.Item, inboxEventId: event.eventId, payloadHash: eventHash(event), emits: '[]' });
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException', Item: stored });
    ddbMock.on(PutCommand).rejects(denied);
    await expect(inbox.putOnce(event, [], put)).rejects.toBe(denied);
    // The same item returned by the failed condition (ALL_OLD) is this event's earlier write: a duplicate.
    ddbMock.on(PutCommand).rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException', Item: stored }));
    expect(await inbox.putOnce(event, [], put)).toMatchObject({ outcome: 'duplicate', emits: [] });
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

  it('once with alsoRead: one BatchGetItem reads the inbox record and the other item, and the effect gets that item', async () => {
    // Fails before alsoRead: the effect read its item with a request of its own after the inbox GetItem.
    const other = { table: TABLES.orders, key: { pk: 'PII#order-1', sk: 'PII' }, projection: 'email', names: undefined };
    let record: Record<string, unknown> | undefined;
    ddbMock.on(BatchGetCommand).callsFake(() => ({
      Responses: { [TABLES.service]: record ? [record] : [], [TABLES.orders]: [{ ...other.key, email: 'a@b.c' }] },
    }));
    const handed: unknown[] = [];
    const run = () => inbox.once(event, async (item) => (handed.push(item), { emits: [emitted], writes: [effect] }), { alsoRead: other });
    expect(await run()).toEqual({ emits: [emitted], duplicate: false });
    expect(handed).toEqual([{ ...other.key, email: 'a@b.c' }]);
    expect(ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems)).toEqual([
      {
        [TABLES.service]: { Keys: [inboxKey(event.eventId)], ConsistentRead: true },
        [TABLES.orders]: { Keys: [other.key], ConsistentRead: true, ProjectionExpression: 'email' },
      },
    ]);
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);

    // A redelivery: the record is found in the same read, the effect does not run, its emits come back.
    record = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![1]!.Put!.Item!;
    expect(await run()).toEqual({ emits: [emitted], duplicate: true });
    expect(handed).toHaveLength(1);
    record = { ...record, payloadHash: 'another payload' };
    await expect(run()).rejects.toBeInstanceOf(PayloadMismatchError);
  });

  it('alsoRead must name another table, with the inbox read first: nothing is read or run otherwise', async () => {
    const effectRuns = vi.fn(async () => ({ emits: [], writes: [] }));
    const sameTable = { table: TABLES.service, key: { pk: 'X', sk: 'X' } };
    await expect(inbox.once(event, effectRuns, { alsoRead: sameTable })).rejects.toThrow('alsoRead reads another table');
    await expect(inbox.once(event, effectRuns, { readFirst: false, alsoRead: { ...sameTable, table: TABLES.orders } })).rejects.toThrow(
      'with the inbox record read first',
    );
    expect(effectRuns).not.toHaveBeenCalled();
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

const conflict = () => cancelled(['TransactionConflict', 'None']);
/** An SDK-style error: what the service answered is its `name`. */
const named = (name: string) => Object.assign(new Error(name), { name });
const throttled = () => named('ProvisionedThroughputExceededException');

describe('contention inside the commit', () => {
  it('a TransactionConflict is retried with jittered backoff, then succeeds', async () => {
    // Fails on c5101ed: the conflict was thrown at once (the message went back to SQS and, under load, to the DLQ).
    const waits: number[] = [];
    ddbMock.on(TransactWriteCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves({});
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    await transactWithRetry([effect], async (ms) => void waits.push(ms));
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(3);
    // Full jitter: half of min(cap, base x 2^attempt) for attempts 1 and 2.
    expect(waits).toEqual([Math.floor(0.5 * CONTENTION_RETRY.baseMs * 2), Math.floor(0.5 * CONTENTION_RETRY.baseMs * 4)]);
    expect(contention.retried).toBe(2);
  });

  it('Inbox.commit retries a conflict and commits once', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    ddbMock.on(TransactWriteCommand).rejectsOnce(conflict()).resolves({});
    expect(await inbox.commit(event, [], [effect])).toEqual({ emits: [], duplicate: false });
    const calls = ddbMock.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.TransactItems).toEqual(calls[0]!.args[0].input.TransactItems);
  });

  it('throttling is retried too', async () => {
    ddbMock.on(TransactWriteCommand).rejectsOnce(throttled()).resolves({});
    await transactWithRetry([effect], async () => undefined);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it(`gives up after CONTENTION_RETRY.attempts (${CONTENTION_RETRY.attempts}) and throws the conflict`, async () => {
    const waits: number[] = [];
    ddbMock.on(TransactWriteCommand).rejects(conflict());
    const err = await transactWithRetry([effect], async (ms) => void waits.push(ms)).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TransactionCanceledException');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(CONTENTION_RETRY.attempts);
    expect(waits).toHaveLength(CONTENTION_RETRY.attempts - 1);
    expect(Math.max(...waits)).toBeLessThanOrEqual(CONTENTION_RETRY.capMs);
  });

  it('a ConditionalCheckFailed is never retried, even next to a conflict', async () => {
    const waits: number[] = [];
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'TransactionConflict']));
    await expect(transactWithRetry([effect], async (ms) => void waits.push(ms))).rejects.toThrow('Transaction cancelled');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(waits).toEqual([]);
    // Through the inbox: the effect's condition surfaces after one attempt.
    ddbMock.resetHistory();
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None']));
    await expect(inbox.commit(event, [], [effect])).rejects.toBeInstanceOf(TransactionConditionError);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('any other error is not retried', async () => {
    ddbMock.on(TransactWriteCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(transactWithRetry([effect], async () => undefined)).rejects.toThrow('denied');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('cancellationCodes: one code per item, None for a reason without one; undefined for any other error, even a thrown non-Error', () => {
    const err = Object.assign(new Error('Transaction cancelled'), {
      name: 'TransactionCanceledException',
      CancellationReasons: [{}, { Code: 'ConditionalCheckFailed' }],
    });
    // DynamoDB's code for an item that did not fail is 'None'.
    expect(cancellationCodes(err)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(cancellationCodes(new Error('x'))).toBeUndefined();
    for (const thrown of [undefined, null]) {
      expect(cancellationCodes(thrown)).toBeUndefined();
      expect(isContention(thrown)).toBe(false);
    }
  });

  it('the retry counter starts at 0, so the first batch of a cold start reports its retries', async () => {
    // The worker reads and resets it after each batch; an unset start would make the first batch's count NaN.
    vi.resetModules();
    const fresh = await import('../../../lambdas/adapters/inbox');
    expect(fresh.contention).toEqual({ retried: 0 });
  });

  it('isContention and backoffMs', () => {
    expect(isContention(conflict())).toBe(true);
    expect(isContention(cancelled(['None', 'ThrottlingError']))).toBe(true);
    expect(isContention(cancelled(['ConditionalCheckFailed', 'TransactionConflict']))).toBe(false);
    expect(isContention(cancelled(['None', 'None']))).toBe(false);
    expect(isContention(throttled())).toBe(true);
    expect(isContention(new Error('x'))).toBe(false);
    expect(backoffMs(1, () => 0.999)).toBe(Math.floor(0.999 * CONTENTION_RETRY.baseMs * 2));
    expect(backoffMs(20, () => 0.999)).toBe(Math.floor(0.999 * CONTENTION_RETRY.capMs));
    expect(backoffMs(3, () => 0)).toBe(0);
  });

  // Typed in from the DynamoDB API reference (TransactWriteItems' CancellationReasons, and the common errors), not
  // from the source: each contention code or error alone makes a retry; the other codes and errors do not.
  it.each([
    ...['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded'].map((c) => [c, true] as const),
    ...['ValidationError', 'ItemCollectionSizeLimitExceeded', 'None'].map((c) => [c, false] as const),
  ])('cancellation code %s alone: contention %s', (code, expected) => {
    expect(isContention(cancelled(['None', code]))).toBe(expected);
  });
  it.each([
    ...[
      'TransactionConflictException',
      'TransactionInProgressException',
      'ThrottlingException',
      'ProvisionedThroughputExceededException',
      'RequestLimitExceeded',
    ].map((n) => [n, true] as const),
    ...['ValidationException', 'ConditionalCheckFailedException', 'InternalServerError', 'ResourceNotFoundException'].map((n) => [n, false] as const),
  ])('error %s: contention %s', (name, expected) => {
    expect(isContention(named(name))).toBe(expected);
  });
});

describe('Inbox.once with doneBefore', () => {
  const marker = { Put: { TableName: 'effects', Item: { pk: 'M', sk: 'M' }, ConditionExpression: 'attribute_not_exists(pk)' } };
  const status = { Put: { TableName: 'status', Item: { pk: 'S', sk: 'S' } } };

  it('the marker failing: commits only doneBefore.writes with a fresh inbox record, a duplicate with no emits', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    const result = await inbox.once(event, async () => ({ emits: [emitted], writes: [effect, marker, status], doneBefore: { marker: 1, writes: [status] } }));
    expect(result).toEqual({ emits: [], duplicate: true });
    const second = ddbMock.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems!;
    expect(second).toHaveLength(2);
    expect(second[0]).toEqual(status);
    expect(second[1]!.Put).toMatchObject({ Item: { ...inboxKey(event.eventId), emits: '[]' } });
  });

  it('the marker failing and a concurrent copy winning the fresh commit: the duplicate re-emits what the winner recorded', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None']))
      // The fresh commit loses its inbox record (last) to the concurrent copy.
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed']));
    ddbMock
      .on(GetCommand, { Key: inboxKey(event.eventId) })
      .resolvesOnce({})
      .resolves({ Item: { payloadHash: eventHash(event), emits: JSON.stringify([emitted]) } });
    const result = await inbox.once(event, async () => ({ emits: [emitted], writes: [effect, marker, status], doneBefore: { marker: 1, writes: [status] } }));
    expect(result).toEqual({ emits: [emitted], duplicate: true });
  });

  it('another write failing is thrown, not taken for done', async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None']));
    await expect(
      inbox.once(event, async () => ({ emits: [], writes: [effect, marker, status], doneBefore: { marker: 1, writes: [status] } })),
    ).rejects.toBeInstanceOf(TransactionConditionError);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
