/**
 * DynamoDB capacity units of one request, counted from the request and its response by AWS's published billing
 * rules (on-demand): a write costs 1 unit per started KB of the item (2 inside a transaction); a strongly consistent
 * read 1 unit per started 4 KB (eventually consistent: half; transactional: 2). A conditional write whose condition
 * fails is billed like a write. Used where the endpoint does not return ConsumedCapacity (the local emulator returns
 * it for few operations); where a response carries ConsumedCapacity, that figure wins.
 *
 * Sizes follow AWS's item size rules: attribute name bytes + value bytes (strings UTF-8, numbers ~1 byte per two
 * digits + 1, lists and maps 3 bytes + 1 per element). For an UpdateItem without returned attributes the size is
 * that of the key and the values it sets (the stored item may be larger): the benchmark checks that every item of
 * its run is under 1 KB, where this makes no difference.
 */
export interface Capacity {
  read: number;
  write: number;
}

type AttributeValue = {
  S?: string;
  N?: string;
  B?: unknown;
  BOOL?: boolean;
  NULL?: boolean;
  L?: AttributeValue[];
  M?: Record<string, AttributeValue>;
  SS?: string[];
  NS?: string[];
  BS?: unknown[];
};
type Item = Record<string, AttributeValue>;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

export function valueSize(v: AttributeValue | undefined): number {
  if (!v || typeof v !== 'object') return 0;
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (v.B !== undefined) return typeof v.B === 'string' ? Math.floor((v.B.length * 3) / 4) : ((v.B as Uint8Array).length ?? 0);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + utf8(k) + valueSize(e), 0);
  if (v.SS) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + valueSize({ N: s }), 0);
  if (v.BS) return v.BS.reduce<number>((n, b) => n + valueSize({ B: b }), 0);
  return 0;
}

export const itemSize = (item: Item | undefined): number => (item ? Object.entries(item).reduce((n, [k, v]) => n + utf8(k) + valueSize(v), 0) : 0);

const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** The bytes an UpdateItem is billed for, as far as the request shows it. */
function updateSize(update: { Key?: Item; ExpressionAttributeValues?: Item; ExpressionAttributeNames?: Record<string, string> }, returned?: Item): number {
  if (returned && Object.keys(returned).length) return itemSize(returned);
  const names = Object.values(update.ExpressionAttributeNames ?? {}).reduce((n, s) => n + utf8(s), 0);
  return itemSize(update.Key) + names + Object.values(update.ExpressionAttributeValues ?? {}).reduce((n, v) => n + valueSize(v), 0);
}

interface TransactWrite {
  Put?: { Item?: Item };
  Update?: { Key?: Item; ExpressionAttributeValues?: Item; ExpressionAttributeNames?: Record<string, string> };
  Delete?: { Key?: Item };
  ConditionCheck?: { Key?: Item };
}

/**
 * Units of one DynamoDB operation, from its (marshalled) input and, for reads, its output.
 * `failed` true for a request that was answered with an error: a failed condition or a cancelled transaction is
 * billed as the writes it attempted; other errors (throttling, validation) are not billed.
 */
export function capacityOf(command: string, input: any, output: any, failed = false): Capacity {
  const op = command.replace(/Command$/, '');
  const consumed = output?.ConsumedCapacity;
  if (!failed && consumed) {
    const list = Array.isArray(consumed) ? consumed : [consumed];
    const units = list.reduce((n: number, c: { CapacityUnits?: number }) => n + (c?.CapacityUnits ?? 0), 0);
    if (units > 0) return /Get|Query|Scan/.test(op) ? { read: units, write: 0 } : { read: 0, write: units };
  }
  switch (op) {
    case 'PutItem':
      return { read: 0, write: writeUnits(itemSize(input?.Item)) };
    case 'UpdateItem':
      return { read: 0, write: writeUnits(updateSize(input ?? {}, output?.Attributes)) };
    case 'DeleteItem':
      return { read: 0, write: writeUnits(itemSize(output?.Attributes) || itemSize(input?.Key)) };
    case 'GetItem':
      return failed ? { read: 0, write: 0 } : { read: readUnits(itemSize(output?.Item), !!input?.ConsistentRead), write: 0 };
    case 'Query':
    case 'Scan': {
      if (failed) return { read: 0, write: 0 };
      const bytes = ((output?.Items ?? []) as Item[]).reduce((n, i) => n + itemSize(i), 0);
      return { read: readUnits(bytes, !!input?.ConsistentRead), write: 0 };
    }
    case 'BatchGetItem': {
      // Each key is read as a GetItem: a found item by its size, a key with no item at the minimum (AWS bills a read
      // of a missing item too); keys handed back unprocessed were not read.
      if (failed) return { read: 0, write: 0 };
      let read = 0;
      const tables = new Set([...Object.keys(input?.RequestItems ?? {}), ...Object.keys(output?.Responses ?? {})]);
      for (const table of tables) {
        const consistent = !!input?.RequestItems?.[table]?.ConsistentRead;
        const items = (output?.Responses?.[table] ?? []) as Item[];
        for (const i of items) read += readUnits(itemSize(i), consistent);
        const asked = input?.RequestItems?.[table]?.Keys?.length ?? 0;
        const unread = output?.UnprocessedKeys?.[table]?.Keys?.length ?? 0;
        read += Math.max(0, asked - unread - items.length) * readUnits(0, consistent);
      }
      return { read, write: 0 };
    }
    case 'BatchWriteItem': {
      let write = 0;
      for (const reqs of Object.values((input?.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Item } }[]>)) {
        for (const r of reqs) write += writeUnits(itemSize(r.PutRequest?.Item));
      }
      return { read: 0, write };
    }
    case 'TransactWriteItems': {
      const items = (input?.TransactItems ?? []) as TransactWrite[];
      const write = items.reduce((n, t) => {
        if (t.Put) return n + 2 * writeUnits(itemSize(t.Put.Item));
        if (t.Update) return n + 2 * writeUnits(updateSize(t.Update));
        if (t.Delete) return n + 2 * writeUnits(itemSize(t.Delete.Key));
        return n; // ConditionCheck: billed as a read, below
      }, 0);
      const read = items.filter((t) => t.ConditionCheck).length * 2;
      return { read, write };
    }
    case 'TransactGetItems':
      return failed
        ? { read: 0, write: 0 }
        : { read: ((output?.Responses ?? []) as { Item?: Item }[]).reduce((n, r) => n + 2 * readUnits(itemSize(r.Item), true), 0), write: 0 };
    default:
      return { read: 0, write: 0 };
  }
}
