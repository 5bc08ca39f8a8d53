/**
 * The one BatchGetItem loop: keys (of one table, or of several in one request) in requests of at most 100
 * (BatchGetItem's limit), each request's unprocessed keys (DynamoDB hands some back under throttling) asked again
 * after a short, capped backoff, a bounded number of rounds.
 * Takes the document client as an argument (the Lambdas pass theirs from ./aws, scripts and tests their own) and
 * imports nothing but the command, so it adds next to nothing to a bundle.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Key = Record<string, unknown>;
/** The document client's own item type. */
type Item = Record<string, any>;

/** BatchGetItem takes at most 100 keys a request. */
export const BATCH_GET_MAX_KEYS = 100;

export interface BatchGetOptions {
  consistentRead?: boolean;
  projection?: string;
  names?: Record<string, string>;
  /** Requests per chunk of keys: the first one and its retries of unprocessed keys (default 4). */
  rounds?: number;
}

const DEFAULT_ROUNDS = 4;
/** Wait before retry n (n = 1, 2, ...): 25 ms, 50 ms, 100 ms, then 200 ms each. */
const backoffMs = (retry: number) => Math.min(25 * 2 ** (retry - 1), 200);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One table's part of a BatchGetItem: its keys and how to read them. */
export interface TableRead extends Omit<BatchGetOptions, 'rounds'> {
  readonly keys: readonly Key[];
}

type Unprocessed = Record<string, Key[]>;

/**
 * One request (at most 100 keys in all) and its retries of the unprocessed keys, each table with its own options:
 * the items found per table, and the keys still unprocessed after `rounds`.
 */
async function roundTrips(
  ddb: DynamoDBDocumentClient,
  reads: Readonly<Record<string, TableRead>>,
  limit: number,
): Promise<{ items: Record<string, Item[]>; unprocessed: Unprocessed }> {
  const items: Record<string, Item[]> = Object.fromEntries(Object.keys(reads).map((table) => [table, []]));
  let left: Unprocessed = Object.fromEntries(Object.entries(reads).flatMap(([table, r]) => (r.keys.length > 0 ? [[table, [...r.keys]]] : [])));
  for (let round = 0; Object.keys(left).length > 0 && round < limit; round++) {
    if (round > 0) await sleep(backoffMs(round));
    const out = await ddb.send(
      new BatchGetCommand({
        RequestItems: Object.fromEntries(
          Object.entries(left).map(([table, keys]) => {
            const { consistentRead, projection, names } = reads[table]!;
            return [
              table,
              {
                Keys: keys,
                ...(consistentRead === undefined ? {} : { ConsistentRead: consistentRead }),
                ...(projection === undefined ? {} : { ProjectionExpression: projection }),
                ...(names === undefined ? {} : { ExpressionAttributeNames: names }),
              },
            ];
          }),
        ),
      }),
    );
    for (const [table, found] of Object.entries(out.Responses ?? {})) items[table]?.push(...found);
    left = Object.fromEntries(Object.entries(out.UnprocessedKeys ?? {}).flatMap(([table, r]) => (r.Keys?.length ? [[table, r.Keys as Key[]]] : [])));
  }
  return { items, unprocessed: left };
}

async function read(
  ddb: DynamoDBDocumentClient,
  table: string,
  keys: readonly Key[],
  { rounds: limit = DEFAULT_ROUNDS, ...options }: BatchGetOptions,
  strict: boolean,
): Promise<{ items: Item[]; unprocessed: Key[] }> {
  const items: Item[] = [];
  const unprocessed: Key[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_MAX_KEYS) {
    const chunk = await roundTrips(ddb, { [table]: { ...options, keys: keys.slice(i, i + BATCH_GET_MAX_KEYS) } }, limit);
    items.push(...chunk.items[table]!);
    const left = chunk.unprocessed[table] ?? [];
    if (left.length > 0 && strict) throw new Error(`BatchGetItem on ${table} left ${left.length} keys unprocessed after ${limit} rounds`);
    unprocessed.push(...left);
  }
  return { items, unprocessed };
}

/**
 * The items of `keys` (absent keys are simply missing; callers pass distinct keys, as BatchGetItem requires). Throws,
 * before any further request, when a chunk still has unprocessed keys after its rounds.
 */
export async function batchGetAll(ddb: DynamoDBDocumentClient, table: string, keys: readonly Key[], options: BatchGetOptions = {}): Promise<Item[]> {
  return (await read(ddb, table, keys, options, true)).items;
}

/**
 * Like `batchGetAll`, but keys still unprocessed after their chunk's last round are handed back instead of failing
 * the read: for a caller with a fallback for them.
 */
export const batchGet = (ddb: DynamoDBDocumentClient, table: string, keys: readonly Key[], options: BatchGetOptions = {}) =>
  read(ddb, table, keys, options, false);

/**
 * The reads one unit of work needs from several tables, in ONE BatchGetItem (at most 100 keys in all): a worker that
 * needs its inbox record and an item of another table, or the catalog and a token, pays one round trip instead of
 * two. Each table keeps its own consistency and projection. Throws when keys are still unprocessed after the rounds.
 */
export async function batchGetTables(
  ddb: DynamoDBDocumentClient,
  reads: Readonly<Record<string, TableRead>>,
  { rounds: limit = DEFAULT_ROUNDS }: Pick<BatchGetOptions, 'rounds'> = {},
): Promise<Record<string, Item[]>> {
  const total = Object.values(reads).reduce((n, r) => n + r.keys.length, 0);
  if (total > BATCH_GET_MAX_KEYS) throw new Error(`at most ${BATCH_GET_MAX_KEYS} keys in one read of several tables, got ${total}`);
  const { items, unprocessed } = await roundTrips(ddb, reads, limit);
  const left = Object.entries(unprocessed);
  if (left.length > 0) throw new Error(`BatchGetItem left keys unprocessed after ${limit} rounds (${left.map(([t, k]) => `${t}: ${k.length}`).join(', ')})`);
  return items;
}
