/**
 * The orders aggregator. Payment and inventory report their outcomes in any order, possibly concurrently and
 * repeatedly. Each outcome is SET on the small LIFECYCLE item with a condition (first value wins; the same value
 * again is a replay; another value is a conflict), returning ALL_NEW, so whichever write lands second sees both.
 * The decision is then written once, conditionally, together with the event it emits; every later attempt
 * re-emits that stored event byte-identical (same deterministic id), so consumers see one outcome per order.
 * No inbox record is needed: the conditional writes on the LIFECYCLE item are the idempotency.
 *
 * The deadline: the aggregator also receives each OrderPlaced once more, delayed by the stage's order deadline (its
 * deadline queue, see the registry's `afterDeadline`). An order still undecided then is CANCELLED with reason
 * TIMEOUT by the same conditional decision write, so exactly one decision still holds; payment and inventory then
 * undo whatever they did. An outcome that arrives after any decision is recorded on the LIFECYCLE item for the
 * record but changes nothing: the stored decision is re-emitted (consumers drop the copy).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../../adapters/aws';
import { eventHash, PayloadMismatchError } from '../../adapters/inbox';
import { lifecycleKey, orderKey } from '../../adapters/keys';
import { count, countWith } from '../../adapters/metrics';
import type { HandlerResult, ServiceHandler } from '../../adapters/worker';
import { outcomeEvent, type Envelope } from '../../core/events';
import { decide, type Decision, isInventoryOutcome, isPaymentOutcome, outcomeOf, type RecordedOutcome, TIMED_OUT } from '../../core/lifecycle';
import { METRIC } from '../../contract';

/** A service reported two different outcomes for one order (e.g. CHARGED, then DECLINED): a bug upstream. */
export class ConflictingOutcomeError extends Error {
  constructor(orderId: string, service: string, recorded: unknown, received: string) {
    super(`order ${orderId}: ${service} outcome ${received} conflicts with recorded ${String(recorded)}`);
    this.name = 'ConflictingOutcomeError';
  }
}

type Lifecycle = Record<string, unknown>;

export const orders: ServiceHandler = async (event, { service, config }) => {
  const table = config.ordersTable;
  if (event.eventType === 'OrderPlaced') return deadlinePassed(table, event, service);
  const recorded = outcomeOf(event);
  if (!recorded) return { outcome: 'IGNORED' };

  const lifecycle = await recordOutcome(table, event, recorded);
  const duplicate = Number(lifecycle[`${recorded.service}Receipts`]) > 1;
  if (typeof lifecycle.decision === 'string') return { emits: [storedDecision(lifecycle)], duplicate, outcome: String(lifecycle.status) };
  const { payment, inventory } = lifecycle;
  if (!isPaymentOutcome(payment) || !isInventoryOutcome(inventory)) return { emits: [], duplicate, outcome: 'WAITING' };

  const decided = await decideOnce(table, event, service, lifecycle, decide(payment, inventory));
  return { emits: [decided], duplicate, outcome: decided.eventType === 'OrderConfirmed' ? 'CONFIRMED' : 'CANCELLED' };
};

/** The order's deadline: decide TIMEOUT unless it is decided already (then nothing happens). */
async function deadlinePassed(table: string, placed: Envelope<'OrderPlaced'>, service: string): Promise<HandlerResult> {
  const lifecycle = await readLifecycle(table, placed.orderId);
  // Decided on time: the usual case, nothing to do and nothing to re-emit (its consumers have it).
  if (typeof lifecycle?.decision === 'string') return { emits: [], outcome: 'DECIDED_IN_TIME' };
  const { currency } = placed.payload;
  // Both outcomes recorded but undecided (a crash between recording and deciding): decide on them, not TIMEOUT.
  const { payment, inventory } = lifecycle ?? {};
  const decision = isPaymentOutcome(payment) && isInventoryOutcome(inventory) ? decide(payment, inventory) : TIMED_OUT;
  const decided = await decideOnce(table, placed, service, { currency, ...lifecycle }, decision);
  return { emits: [decided], outcome: decision === TIMED_OUT ? 'TIMEOUT' : 'DECIDED_LATE' };
}

/**
 * Sets this service's outcome unless another one is recorded; the event hash tells a replay of the same event from
 * a reused event id. `<service>Receipts` counts deliveries, so a replay is visible in the same round trip.
 */
async function recordOutcome(table: string, event: Envelope, recorded: RecordedOutcome): Promise<Lifecycle> {
  const slot = recorded.service;
  const sets = [`#slot = :outcome`, `#slotEventId = :eventId`, `#slotHash = :hash`, 'updatedAt = :now'];
  const values: Record<string, unknown> = {
    ':outcome': recorded.outcome,
    ':eventId': event.eventId,
    ':hash': eventHash(event),
    ':now': new Date().toISOString(),
    ':one': 1,
  };
  if (recorded.service === 'payment' && recorded.amountCents !== undefined) {
    sets.push('amountCents = :amountCents', 'currency = :currency');
    Object.assign(values, { ':amountCents': recorded.amountCents, ':currency': recorded.currency });
  }
  if (recorded.service === 'inventory') {
    sets.push('skus = :skus');
    values[':skus'] = recorded.skus;
  }
  try {
    const { Attributes } = await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: lifecycleKey(event.orderId),
        UpdateExpression: `SET ${sets.join(', ')} ADD #slotReceipts :one`,
        ConditionExpression: 'attribute_not_exists(#slot) OR (#slot = :outcome AND #slotHash = :hash)',
        ExpressionAttributeNames: { '#slot': slot, '#slotEventId': `${slot}EventId`, '#slotHash': `${slot}Hash`, '#slotReceipts': `${slot}Receipts` },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes ?? {};
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    const current = await readLifecycle(table, event.orderId);
    if (current?.[slot] !== recorded.outcome) throw new ConflictingOutcomeError(event.orderId, slot, current?.[slot], recorded.outcome);
    throw new PayloadMismatchError(event.eventId);
  }
}

/** Writes the decision and its event once; a writer that loses the race re-emits the winner's stored event. */
async function decideOnce(table: string, cause: Envelope, service: string, lifecycle: Lifecycle, decision: Decision): Promise<Envelope> {
  const now = new Date().toISOString();
  const currency = typeof lifecycle.currency === 'string' ? lifecycle.currency : await orderCurrency(table, cause.orderId);
  const event: Envelope =
    decision.status === 'CONFIRMED'
      ? outcomeEvent('OrderConfirmed', cause, service, { amountCents: Number(lifecycle.amountCents), currency, confirmedAt: now }, now)
      : outcomeEvent('OrderCancelled', cause, service, { reason: decision.reason, currency, cancelledAt: now }, now);
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: lifecycleKey(cause.orderId),
        UpdateExpression: 'SET #status = :status, decision = :decision, decidedAt = :now' + (decision.status === 'CANCELLED' ? ', reason = :reason' : ''),
        ConditionExpression: '(attribute_not_exists(#status) OR #status = :accepted) AND attribute_not_exists(decision)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': decision.status,
          ':accepted': 'ACCEPTED',
          // A string, not a map: DynamoDB does not keep map key order, and the re-emit must be byte-identical.
          ':decision': JSON.stringify(event),
          ':now': now,
          ...(decision.status === 'CANCELLED' ? { ':reason': decision.reason } : {}),
        },
      }),
    );
    // Counted here, where the decision is written: once per order, whichever copy or race got here.
    if (decision.status === 'CONFIRMED') count(METRIC.ordersConfirmed);
    else countWith(METRIC.ordersCancelled, 'reason', decision.reason);
    return event;
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    const current = await readLifecycle(table, cause.orderId);
    if (typeof current?.decision !== 'string') throw new Error(`order ${cause.orderId} is ${String(current?.status)} and cannot be decided`);
    return storedDecision(current);
  }
}

const storedDecision = (lifecycle: Lifecycle): Envelope => JSON.parse(String(lifecycle.decision)) as Envelope;

async function readLifecycle(table: string, orderId: string): Promise<Lifecycle | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: lifecycleKey(orderId), ConsistentRead: true }));
  return Item;
}

/** OrderRejected carries no currency; the accepted order does. */
async function orderCurrency(table: string, orderId: string): Promise<string> {
  const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: orderKey(orderId), ProjectionExpression: 'currency', ConsistentRead: true }));
  if (typeof Item?.currency !== 'string') throw new Error(`order ${orderId} has no currency`);
  return Item.currency;
}
