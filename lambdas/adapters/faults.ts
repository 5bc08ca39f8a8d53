/**
 * The local stage's fault hooks at run time (docs/contract.md "Fault hooks"). Only read when FAULTS_ENABLED=true,
 * which only the local stage sets (a template test holds every other stage to false).
 * - `orderFaults`: the hooks an order was placed with (its ORDER item's `faults`), looked up per record.
 * - `fireOnce`: a hook that fires once per scope (an event id, an order id): the first call writes a `FAULT#` marker
 *   item conditionally and throws InjectedFault; every later call finds the marker and returns. The relay, the
 *   worker runtime and the simulated payment provider all use it, each in a table it may write.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './aws';
import { ENV, faultsEnabled, required } from './env';
import { epochSeconds, faultKey, orderKey, TTL_ATTRIBUTE } from './keys';

const FAULT_MARKER_TTL_SECONDS = 86_400;

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

/** The hooks the order was placed with; none when the stage has no fault hooks. */
export async function orderFaults(orderId: string): Promise<readonly string[]> {
  if (!faultsEnabled()) return [];
  const { Item } = await ddb.send(new GetCommand({ TableName: required(ENV.ordersTable), Key: orderKey(orderId), ProjectionExpression: 'faults' }));
  return Array.isArray(Item?.faults) ? Item.faults.map(String) : [];
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
