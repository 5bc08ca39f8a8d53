/**
 * The inbox: one record per (service, eventId) in the service's own table, written in the same DynamoDB
 * transaction as the effect, so the effect happens at most once and a redelivery is recognised.
 * The record keeps the events the service emitted, so a redelivery re-emits them byte-identical
 * (a worker that crashed between its effect and its publish still publishes on the next attempt).
 */
import { GetCommand, PutCommand, TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Envelope, EventType } from '../core/events';
import { contentHash } from '../core/ids';
import { ddb } from './aws';
import { batchGetTables } from './batch-get';
import { epochSeconds, inboxKey } from './keys';
import { TTL_ATTRIBUTE } from '../contract';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The same eventId arrived with another payload: a producer bug; never apply it, let it dead-letter. */
export class PayloadMismatchError extends Error {
  constructor(readonly eventId: string) {
    super(`event ${eventId} was already processed with a different payload`);
    this.name = 'PayloadMismatchError';
  }
}

/** A transaction was cancelled by a condition other than the inbox record's; `codes[i]` is item i's reason. */
export class TransactionConditionError extends Error {
  constructor(readonly codes: string[]) {
    super(`transaction cancelled: ${codes.join(',')}`);
    this.name = 'TransactionConditionError';
  }
}

/**
 * A service emitted an event type its registry entry does not declare in `emits` (lambdas/services/registry.ts): a
 * programming error. Nothing is recorded or published; the message is retried and dead-letters.
 */
export class UndeclaredEventError extends Error {
  constructor(
    readonly eventType: string,
    declared: readonly EventType[],
  ) {
    super(`event type ${eventType} is not among the service's declared emits (${declared.join(', ') || 'none'})`);
    this.name = 'UndeclaredEventError';
  }
}

/** Throws UndeclaredEventError for the first event whose type is not declared. */
export function assertDeclared(declared: readonly EventType[], events: readonly Envelope[] | undefined): void {
  const stray = events?.find((e) => !declared.includes(e.eventType));
  if (stray) throw new UndeclaredEventError(stray.eventType, declared);
}

export const eventHash = (e: Envelope): string => contentHash({ t: e.eventType, o: e.orderId, p: e.payload });

/**
 * Contention is retried inside the commit, not by SQS: a hot item (a popular SKU's stock, a busy counter shard) is
 * in many concurrent transactions and DynamoDB cancels the losers with TransactionConflict; throttling looks alike.
 * Bounded, with full jitter, so concurrent losers spread out instead of colliding again. Worst case ~1.5 s in all.
 */
export const CONTENTION_RETRY = { attempts: 7, baseMs: 20, capMs: 500 } as const;
const CONTENTION_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);
const CONTENTION_ERRORS = new Set([
  'TransactionConflictException',
  'TransactionInProgressException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);

/** Conflicts and throttles retried inside commits since the counter was read (the worker reports it per batch). */
export const contention = { retried: 0 };

/** True for a cancellation caused only by contention (no condition failed), or a throttling/conflict error. */
export function isContention(err: unknown, codes = cancellationCodes(err)): boolean {
  if (codes) return !codes.includes('ConditionalCheckFailed') && codes.some((c) => CONTENTION_CODES.has(c));
  return CONTENTION_ERRORS.has((err as Error)?.name);
}

/** Full jitter: a random wait up to min(cap, base x 2^attempt). */
export const backoffMs = (attempt: number, random = Math.random): number =>
  Math.floor(random() * Math.min(CONTENTION_RETRY.capMs, CONTENTION_RETRY.baseMs * 2 ** attempt));

/**
 * Sends one TransactWrite, retrying contention with jittered backoff; any other error, or contention that outlasts
 * the attempts, is thrown (the message is then retried by SQS).
 */
export async function transactWithRetry(items: TransactItem[], sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ddb.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (err) {
      if (attempt >= CONTENTION_RETRY.attempts || !isContention(err)) throw err;
      contention.retried += 1;
      await sleep(backoffMs(attempt));
    }
  }
}

/**
 * What an effect commits. `doneBefore` names a write whose own condition failing means the effect was applied
 * earlier under an inbox record that has since expired (a redrive weeks later): then only `doneBefore.writes` commit
 * with a fresh inbox record, and the event counts as a duplicate instead of poison.
 */
export interface Effect {
  emits: Envelope[];
  writes: TransactItem[];
  doneBefore?: { readonly marker: number; readonly writes: TransactItem[] };
}

/**
 * A service's inbox. `emits` is the service's registry entry's: the inbox records no other event type
 * (UndeclaredEventError), so an event it may not publish is never stored for a re-emit either.
 */
export class Inbox {
  constructor(
    private readonly table: string,
    private readonly ttlSeconds: number,
    private readonly emits: readonly EventType[],
  ) {}

  /** The events emitted the first time, if this event was processed already; throws on a payload mismatch. */
  async prior(event: Envelope): Promise<Envelope[] | undefined> {
    const { Item } = await ddb.send(new GetCommand({ TableName: this.table, Key: inboxKey(event.eventId), ConsistentRead: true }));
    return Item ? recordedEmits(event, Item) : undefined;
  }

  record(event: Envelope, emits: readonly Envelope[]): TransactItem {
    assertDeclared(this.emits, emits);
    return {
      Put: {
        TableName: this.table,
        Item: {
          ...inboxKey(event.eventId),
          eventType: event.eventType,
          orderId: event.orderId,
          payloadHash: eventHash(event),
          emits: JSON.stringify(emits),
          processedAt: new Date().toISOString(),
          [TTL_ATTRIBUTE]: epochSeconds() + this.ttlSeconds,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
        // A lost race hands back the record that won it, so a duplicate needs no read to learn its emits.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * Commits the effect's writes together with the inbox record: `{ emits, duplicate: false }`. When a copy of the
   * event had committed first (the inbox record's condition failed), nothing of this attempt is applied and the
   * result is that copy's emits, `duplicate: true`, taken from the record the failed condition returned (a read
   * only if the store returned none). Throws TransactionConditionError for the effect's own conditions (codes
   * exclude the inbox record, which is always last), PayloadMismatchError when the record holds another payload.
   */
  async commit(event: Envelope, emits: readonly Envelope[], writes: readonly TransactItem[]): Promise<Committed> {
    try {
      await transactWithRetry([...writes, this.record(event, emits)]);
      return { emits: [...emits], duplicate: false };
    } catch (err) {
      const codes = cancellationCodes(err);
      if (!codes) throw err;
      if (codes[codes.length - 1] !== 'ConditionalCheckFailed') throw new TransactionConditionError(codes.slice(0, -1));
      const returned = (err as { CancellationReasons?: { Item?: Record<string, any> }[] }).CancellationReasons?.[codes.length - 1]?.Item;
      const prior = returned ? recordedEmits(event, unmarshall(returned)) : await this.prior(event);
      return { emits: prior ?? [], duplicate: true };
    }
  }

  /**
   * Notes a dropped copy on the inbox record (`duplicates`, `lastDuplicateAt`), so `npm run trace` can show how many
   * copies each service dropped. Called by the worker for every duplicate result (lambdas/adapters/worker.ts). One
   * small write per duplicate only; a failure here (e.g. no record: the orders aggregate keeps none) never fails
   * the message.
   */
  async countDuplicate(event: Envelope): Promise<void> {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: inboxKey(event.eventId),
          UpdateExpression: 'ADD duplicates :one SET lastDuplicateAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1, ':now': new Date().toISOString() },
        }),
      );
    } catch {
      // The record expired in between, or DynamoDB refused: the duplicate is still dropped; the metric counts it.
    }
  }

  /**
   * Runs the effect and commits its writes with the inbox record; a duplicate gets the emits recorded the first time.
   * `readFirst` (the default) reads the inbox record before the effect runs: needed when the effect reaches outside
   * DynamoDB (an e-mail), so a redelivery does not repeat it. An effect that only builds writes passes
   * `readFirst: false`: a duplicate then fails the inbox condition and `commit` returns the first emits, so a first
   * delivery (the usual case) costs no read at all. `alsoRead` names one item of another table the effect needs: it is
   * read (consistently) in the same BatchGetItem as the inbox record and handed to the effect, one round trip for both.
   */
  async once(
    event: Envelope,
    effect: (alsoRead?: Record<string, any>) => Promise<Effect>,
    { readFirst = true, alsoRead }: { readFirst?: boolean; alsoRead?: AlsoRead } = {},
  ): Promise<Committed> {
    let read: Record<string, any> | undefined;
    if (alsoRead) {
      if (!readFirst || alsoRead.table === this.table) throw new Error('alsoRead reads another table, with the inbox record read first');
      const { [this.table]: inboxItems, [alsoRead.table]: found } = await batchGetTables(ddb, {
        [this.table]: { keys: [inboxKey(event.eventId)], consistentRead: true },
        [alsoRead.table]: { keys: [alsoRead.key], consistentRead: true, projection: alsoRead.projection, names: alsoRead.names },
      });
      if (inboxItems?.[0]) return { emits: recordedEmits(event, inboxItems[0]), duplicate: true };
      read = found?.[0];
    } else if (readFirst) {
      const seen = await this.prior(event);
      if (seen) return { emits: seen, duplicate: true };
    }
    const { emits, writes, doneBefore } = await effect(read);
    try {
      return await this.commit(event, emits, writes);
    } catch (err) {
      const markerFailed = err instanceof TransactionConditionError && doneBefore && err.codes[doneBefore.marker] === 'ConditionalCheckFailed';
      if (!markerFailed) throw err;
      // Done under an inbox record that has since expired: record the event afresh, emit nothing new.
      const again = await this.commit(event, [], doneBefore.writes);
      return again.duplicate ? again : { emits: [], duplicate: true };
    }
  }

  /**
   * The single-write form of the inbox, for an effect that is ONE item which can be created only once (a shipment per
   * order): the item carries the inbox marker itself (`inboxEventId`, `payloadHash`, `emits`) and is written with one
   * conditional PutItem: 1 write unit per KB, where `commit` pays 2 per KB for each of effect and inbox record, and no
   * read first. A duplicate is recognised from the existing item that the failed condition returns (ALL_OLD).
   * Throws PayloadMismatchError when the same event id arrives with another payload, as `prior` does.
   */
  async putOnce(event: Envelope, emits: readonly Envelope[], put: { TableName: string; Item: Record<string, unknown> }): Promise<PutOnceResult> {
    assertDeclared(this.emits, emits);
    try {
      await ddb.send(
        new PutCommand({
          TableName: put.TableName,
          Item: { ...put.Item, inboxEventId: event.eventId, payloadHash: eventHash(event), emits: JSON.stringify(emits) },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'committed' };
    } catch (err) {
      const raw =
        (err as { name?: string; Item?: Record<string, any> })?.name === 'ConditionalCheckFailedException'
          ? (err as { Item?: Record<string, any> }).Item
          : undefined;
      if (!raw) throw err;
      const item = unmarshall(raw);
      if (item.inboxEventId !== event.eventId) return { outcome: 'taken', item };
      return { outcome: 'duplicate', emits: recordedEmits(event, item), item };
    }
  }
}

/** An item of another table that `once` reads together with the inbox record. */
export interface AlsoRead {
  readonly table: string;
  readonly key: Record<string, unknown>;
  readonly projection?: string;
  readonly names?: Record<string, string>;
}

/** What a commit did: applied the effect with these emits, or found a copy of the event committed with these. */
export interface Committed {
  readonly emits: Envelope[];
  readonly duplicate: boolean;
}

/** The emits an inbox record holds for this event; throws PayloadMismatchError when it was recorded for another payload. */
function recordedEmits(event: Envelope, item: Record<string, any>): Envelope[] {
  if (item.payloadHash !== eventHash(event)) throw new PayloadMismatchError(event.eventId);
  // Stored as JSON text (older records: a list): DynamoDB does not keep map key order, re-emits must be byte-identical.
  return (typeof item.emits === 'string' ? JSON.parse(item.emits) : (item.emits ?? [])) as Envelope[];
}

/** What `putOnce` found: its write landed, the same event had written it, or another event owns the item. */
export type PutOnceResult =
  | { readonly outcome: 'committed' }
  | { readonly outcome: 'duplicate'; readonly emits: Envelope[]; readonly item: Record<string, unknown> }
  | { readonly outcome: 'taken'; readonly item: Record<string, unknown> };

/** Per-item cancellation codes of a TransactionCanceledException, or undefined for any other error. */
export function cancellationCodes(err: unknown): string[] | undefined {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name !== 'TransactionCanceledException') return undefined;
  return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}
