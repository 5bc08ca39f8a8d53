/**
 * The one BatchGetItem loop: keys in requests of at most 100 (BatchGetItem's limit), each request's unprocessed keys
 * (DynamoDB hands some back under throttling) asked again after a short, capped backoff, a bounded number of rounds.
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

async function read(
  ddb: DynamoDBDocumentClient,
  table: string,
  keys: readonly Key[],
  { consistentRead, projection, names, rounds = DEFAULT_ROUNDS }: BatchGetOptions,
  strict: boolean,
): Promise<{ items: Item[]; unprocessed: Key[] }> {
  const items: Item[] = [];
  const unprocessed: Key[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_MAX_KEYS) {
    let left: Key[] = keys.slice(i, i + BATCH_GET_MAX_KEYS);
    for (let round = 0; left.length > 0 && round < rounds; round++) {
      if (round > 0) await sleep(backoffMs(round));
      const out = await ddb.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: left,
              ...(consistentRead === undefined ? {} : { ConsistentRead: consistentRead }),
              ...(projection === undefined ? {} : { ProjectionExpression: projection }),
              ...(names === undefined ? {} : { ExpressionAttributeNames: names }),
            },
          },
        }),
      );
      items.push(...(out.Responses?.[table] ?? []));
      left = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
    }
    if (left.length > 0 && strict) throw new Error(`BatchGetItem on ${table} left ${left.length} keys unprocessed after ${rounds} rounds`);
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
