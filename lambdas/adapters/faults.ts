/**
 * The local stage's fault hooks at run time (docs/contract.md "Fault hooks"). Only read when FAULTS_ENABLED=true,
 * which only the local stage sets (a template test holds every other stage to false).
 * - `orderFaults`: the hooks an order was placed with (its ORDER item's `faults`), loaded once per batch by
 *   `loadBatchFaults` (the worker runtime), else looked up.
 * - `fireOnce`: a hook that fires once per scope (an event id, an order id): the first call writes a `FAULT#` marker
 *   item conditionally and throws InjectedFault; every later call finds the marker and returns. The relay, the
 *   worker runtime and the simulated payment provider all use it, each in a table it may write.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './aws';
import { batchGet } from './batch-get';
import { epochSeconds, faultKey, orderKey } from './keys';
import { TTL_ATTRIBUTE } from '../contract';

const FAULT_MARKER_TTL_SECONDS = 86_400;

/** Where the hooks are read from, and whether the stage has them (the worker's configuration). */
export interface FaultSource {
  readonly ordersTable: string;
  readonly faultsEnabled: boolean;
}

/** A fault a hook injected on purpose: logged as a warning, not as an error. */
export class InjectedFault extends Error {
  constructor(
    readonly fault: string,
    scope: string,
  ) {
    super(`injected fault ${fault} for ${scope}`);
    this.name = 'InjectedFault';
  }
}

/**
 * The hooks of the orders in the batch being processed, loaded once per batch by the worker runtime
 * (`loadBatchFaults`): one BatchGetItem instead of a GetItem per record and another in the payment provider. The
 * lookup is local-only test machinery, but it ran on every record of every worker and was a fifth of the local
 * stage's DynamoDB calls per order.
 */
let batchFaults: ReadonlyMap<string, readonly string[]> = new Map();

const faultsOf = (item: Record<string, unknown> | undefined): readonly string[] => (Array.isArray(item?.faults) ? item.faults.map(String) : []);

/** Loads the hooks of these orders for `orderFaults` (replacing the previous batch's); nothing when hooks are off. */
export async function loadBatchFaults(orderIds: readonly string[], { ordersTable: table, faultsEnabled }: FaultSource): Promise<void> {
  batchFaults = new Map();
  if (!faultsEnabled || orderIds.length === 0) return;
  const found = new Map<string, readonly string[]>();
  const unique = [...new Set(orderIds)];
  // A batch has at most 10 records (10,000 with a batching window). Unprocessed keys are asked again a few times;
  // what is still left falls back to a GetItem per record.
  const { items, unprocessed } = await batchGet(ddb, table, unique.map(orderKey), { projection: 'pk, faults', rounds: 3 });
  for (const item of items) found.set(String(item.pk), faultsOf(item));
  const left = new Set(unprocessed.map((k) => String(k.pk)));
  for (const id of unique) {
    const pk = orderKey(id).pk;
    if (!left.has(pk)) found.set(pk, found.get(pk) ?? []);
  }
  batchFaults = found;
}

/** The hooks the order was placed with; none when the stage has no fault hooks. */
export async function orderFaults(orderId: string, { ordersTable, faultsEnabled }: FaultSource): Promise<readonly string[]> {
  if (!faultsEnabled) return [];
  const loaded = batchFaults.get(orderKey(orderId).pk);
  if (loaded) return loaded;
  const { Item } = await ddb.send(new GetCommand({ TableName: ordersTable, Key: orderKey(orderId), ProjectionExpression: 'faults' }));
  return faultsOf(Item);
}

/** The marker item a hook leaves when it fired, so a test can wait for the fault instead of sleeping. */
const marker = (fault: string, markerId: string) => ({
  ...faultKey(markerId),
  fault,
  firedAt: new Date().toISOString(),
  [TTL_ATTRIBUTE]: epochSeconds() + FAULT_MARKER_TTL_SECONDS,
});

/** Records that a hook fired (no condition: a hook that fires on every receive, e.g. `drop:<service>`). */
export async function markFired(table: string, fault: string, markerId: string): Promise<void> {
  await ddb.send(new PutCommand({ TableName: table, Item: marker(fault, markerId) }));
}

/**
 * Throws InjectedFault the first time it is called for (fault, scope) and never again: the marker is written
 * before the throw, so a retry goes on. `markerId` is the marker's id (FAULT#<markerId>) in `table`.
 */
export async function fireOnce(table: string, fault: string, markerId: string): Promise<void> {
  try {
    await ddb.send(
      new PutCommand({
        TableName: table,
        Item: marker(fault, markerId),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if ((err as Error)?.name === 'ConditionalCheckFailedException') return;
    throw err;
  }
  throw new InjectedFault(fault, markerId);
}
