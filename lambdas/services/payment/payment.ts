/**
 * Payment: charges a placed order and refunds a cancelled one, through a provider that dedupes on
 * `${orderId}:charge` / `${orderId}:refund`. The charge is an effect outside DynamoDB, so it is made safe by a ledger
 * item per order (`PAYMENT#<orderId>` in this service's table), a small state machine:
 *
 *   (none) ─price─▶ PRICED ─provider─▶ CHARGED ─cancel─▶ REFUNDED
 *      │              │  └──────────▶ DECLINED                         REJECTED: an unknown SKU, never charged
 *      └─cancel─▶ VOID ◀─cancel─┘  (a charge that lands after VOID is refunded by whoever sees it: REFUNDED)
 *
 * - The amount is fixed once, before the provider is called: the first attempt prices the order from the catalog
 *   and writes PRICED (or REJECTED) conditionally; every retry and every concurrent copy reuses that intent, so a
 *   catalog edit between attempts changes neither the outcome nor the amount sent under the provider key.
 * - Compensation follows facts: OrderCancelled refunds whatever the ledger (or, for an unfinished PRICED, the
 *   provider) says was charged, whatever the cancel reason; with nothing charged it moves the ledger to VOID, which
 *   stops any later attempt from charging. An attempt whose charge lost that race refunds it itself.
 * - The payment token is read from its own item of the orders table (in the same request as the prices) and deleted
 *   in the same transaction that records the charge's result; it is never stored, logged or hashed here.
 * Declined, unknown SKU: business outcomes, recorded, emitted, acknowledged.
 */
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetTables } from '../../adapters/batch-get';
import { catalogItems, catalogRead } from '../../adapters/catalog';
import { orderFaults } from '../../adapters/faults';
import { TransactionConditionError, type TransactItem } from '../../adapters/inbox';
import { paymentTokenKey } from '../../adapters/keys';
import { statusWrite } from '../../adapters/status';
import { ddb } from '../../adapters/aws';
import { catalogTableOf, type HandlerResult, type ServiceHandler, type WorkerConfig, type WorkerContext } from '../../adapters/worker';
import type { CatalogItem } from '../../core/catalog';
import { outcomeEvent, type Envelope } from '../../core/events';
import { SimulatedPaymentProvider, type ChargeResult, type PaymentProvider } from './provider';

/** The service's own ledger entry for an order's charge: the intent (amount), then what happened to it. */
export const paymentRecordKey = (orderId: string) => ({ pk: `PAYMENT#${orderId}`, sk: 'PAYMENT' });

export type LedgerState = 'PRICED' | 'REJECTED' | 'CHARGED' | 'DECLINED' | 'VOID' | 'REFUNDED';

export interface Ledger {
  readonly state: LedgerState;
  readonly currency: string;
  readonly amountCents?: number;
  readonly unknownSkus?: string[];
  readonly chargeId?: string;
  readonly reason?: string;
}

export type Pricing = { readonly amountCents: number } | { readonly unknownSkus: string[] };

/** Total of the order in minor units, or the skus the catalog does not know. */
export function priceOrder(items: readonly { sku: string; quantity: number }[], catalog: ReadonlyMap<string, CatalogItem>): Pricing {
  const unknownSkus = [...new Set(items.filter((l) => !catalog.has(l.sku)).map((l) => l.sku))].sort();
  if (unknownSkus.length > 0) return { unknownSkus };
  return { amountCents: items.reduce((sum, l) => sum + catalog.get(l.sku)!.unitPriceCents * l.quantity, 0) };
}

const chargeKey = (orderId: string) => `${orderId}:charge`;
const refundKey = (orderId: string) => `${orderId}:refund`;

let simulated: PaymentProvider | undefined;
const defaultProvider = (config: WorkerConfig): PaymentProvider =>
  (simulated ??= new SimulatedPaymentProvider(config.serviceTable, (orderId) => orderFaults(orderId, config)));

export function makePayment(provider: (config: WorkerConfig) => PaymentProvider = defaultProvider): ServiceHandler {
  return async (event, ctx) => {
    switch (event.eventType) {
      case 'OrderPlaced':
        return charge(event, ctx, provider(ctx.config));
      case 'OrderCancelled':
        return compensate(event, ctx, provider(ctx.config));
      default:
        return { outcome: 'IGNORED' };
    }
  };
}

export const payment = makePayment();

async function readLedger(config: WorkerConfig, orderId: string): Promise<Ledger | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: config.serviceTable, Key: paymentRecordKey(orderId), ConsistentRead: true }));
  return Item as Ledger | undefined;
}

/**
 * What a charge reads before it writes: the catalog's prices and the payment token, in ONE BatchGetItem (the catalog
 * eventually consistent, the token strongly: it is written with the order a moment before). The token is only used
 * if this attempt reaches the provider; reading it with the prices saves the round trip it would cost there.
 */
async function chargeReads(config: WorkerConfig, event: Envelope<'OrderPlaced'>): Promise<{ catalog: ReadonlyMap<string, CatalogItem>; token?: string }> {
  const catalogTable = catalogTableOf(config);
  const read = await batchGetTables(ddb, {
    [catalogTable]: catalogRead(event.payload.items.map((l) => l.sku)),
    [config.ordersTable]: { keys: [paymentTokenKey(event.orderId)], consistentRead: true },
  });
  const token = read[config.ordersTable]?.[0]?.token;
  return { catalog: catalogItems(read[catalogTable] ?? []), token: typeof token === 'string' ? token : undefined };
}

/**
 * The intent this attempt writes first (the price is fixed here, once per order), or the ledger as an earlier or
 * concurrent attempt left it. One conditional put that returns the existing item when its condition fails (ALL_OLD):
 * no read before the write, so the first attempt, the usual one, pays the reads above and one write; a retry pays the
 * same and gets the ledger back from the failed condition.
 */
async function ledgerOrIntent(
  config: WorkerConfig,
  event: Envelope<'OrderPlaced'>,
  catalog: ReadonlyMap<string, CatalogItem>,
): Promise<{ readonly ledger: Ledger; readonly written: boolean }> {
  const { items, currency } = event.payload;
  const pricing = priceOrder(items, catalog);
  const intent: Ledger =
    'unknownSkus' in pricing
      ? { state: 'REJECTED', currency, unknownSkus: pricing.unknownSkus }
      : { state: 'PRICED', currency, amountCents: pricing.amountCents };
  try {
    await ddb.send(
      new PutCommand({
        TableName: config.serviceTable,
        Item: { ...paymentRecordKey(event.orderId), orderId: event.orderId, ...intent, lines: items, pricedAt: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { ledger: intent, written: true };
  } catch (err) {
    if ((err as Error)?.name !== 'ConditionalCheckFailedException') throw err;
    // Priced before (a retry, a concurrent copy) or cancelled first (VOID): that ledger stands, whatever the catalog
    // says now. Endpoints that do not return the old item get one consistent read instead.
    const old = (err as { Item?: Record<string, NativeAttributeValue> }).Item;
    const now = old ? (unmarshall(old) as Ledger) : await readLedger(config, event.orderId);
    if (!now) throw err;
    return { ledger: now, written: false };
  }
}

/** The outcome event and status of a decided charge, as every attempt rebuilds it (deterministic event id). */
function outcomeOf(event: Envelope, { service, config }: Scope, ledger: Ledger): { emits: Envelope[]; status?: TransactItem; outcome: string } {
  const { orderId } = event;
  const status = (state: string, detail: Record<string, unknown>) => statusWrite(config.ordersTable, orderId, service, state, detail);
  const { currency } = ledger;
  const amountCents = Number(ledger.amountCents ?? 0);
  switch (ledger.state) {
    case 'REJECTED': {
      const skus = ledger.unknownSkus ?? [];
      return {
        emits: [outcomeEvent('OrderRejected', event, service, { reason: 'UNKNOWN_SKU', skus })],
        status: status('REJECTED', { reason: 'UNKNOWN_SKU', skus }),
        outcome: 'REJECTED',
      };
    }
    case 'CHARGED':
      return {
        emits: [outcomeEvent('PaymentCharged', event, service, { amountCents, currency, chargeId: String(ledger.chargeId) })],
        status: status('CHARGED', { amountCents, currency }),
        outcome: 'CHARGED',
      };
    case 'DECLINED': {
      const reason = String(ledger.reason);
      return {
        emits: [outcomeEvent('PaymentDeclined', event, service, { amountCents, currency, reason })],
        status: status('DECLINED', { amountCents, currency, reason }),
        outcome: 'DECLINED',
      };
    }
    default:
      // VOID or REFUNDED: the order was cancelled first; nothing to report, nothing to charge.
      return { emits: [], outcome: ledger.state };
  }
}

/** What the helpers below need of the worker context. */
type Scope = Pick<WorkerContext, 'service' | 'config'>;

const tokenDelete = ({ config }: Scope, orderId: string): TransactItem => ({ Delete: { TableName: config.ordersTable, Key: paymentTokenKey(orderId) } });

async function charge(event: Envelope<'OrderPlaced'>, ctx: WorkerContext, provider: PaymentProvider): Promise<HandlerResult> {
  const { inbox, config } = ctx;
  const { orderId } = event;
  // The inbox is read only when the order had a ledger already: a first attempt cannot have an inbox record (it is
  // committed with the charge's result), so the usual path skips that read.
  const { catalog, token } = await chargeReads(config, event);
  const { ledger, written } = await ledgerOrIntent(config, event, catalog);
  if (!written) {
    const seen = await inbox.prior(event);
    if (seen) return { emits: seen, duplicate: true, outcome: outcomeName(seen) };
  }
  if (ledger.state !== 'PRICED') {
    // Decided before (a concurrent copy, or an inbox record that expired), rejected, or cancelled first.
    const decided = outcomeOf(event, ctx, ledger);
    return record(event, inbox, decided.emits, [...(decided.status ? [decided.status] : []), tokenDelete(ctx, orderId)], decided.outcome);
  }

  const amountCents = Number(ledger.amountCents);
  const { currency } = ledger;
  const result = await provider.charge({ idempotencyKey: chargeKey(orderId), orderId, amountCents, currency, token });
  const settled: Ledger =
    result.status === 'CHARGED'
      ? { state: 'CHARGED', currency, amountCents, chargeId: result.chargeId }
      : { state: 'DECLINED', currency, amountCents, reason: result.reason };
  const decided = outcomeOf(event, ctx, settled);
  const ledgerUpdate: TransactItem = {
    Update: {
      TableName: config.serviceTable,
      Key: paymentRecordKey(orderId),
      UpdateExpression: 'SET #state = :state, chargeId = :chargeId, reason = :reason, settledAt = :now',
      // Only from PRICED: a cancellation that came first (VOID) must see its refund happen (below).
      ConditionExpression: '#state = :priced',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':state': settled.state,
        ':priced': 'PRICED',
        ':chargeId': settled.chargeId ?? null,
        ':reason': settled.reason ?? null,
        ':now': new Date().toISOString(),
      },
    },
  };
  try {
    return await record(event, inbox, decided.emits, [ledgerUpdate, decided.status!, tokenDelete(ctx, orderId)], decided.outcome);
  } catch (err) {
    if (!(err instanceof TransactionConditionError) || err.codes[0] !== 'ConditionalCheckFailed') throw err;
  }
  // The ledger left PRICED while the provider was called: the order was cancelled (VOID, or REFUNDED by a
  // cancellation that found this charge at the provider). A charge that landed after that is refunded here.
  const now = await readLedger(config, orderId);
  if (now?.state !== 'VOID' && now?.state !== 'REFUNDED') throw new Error(`order ${orderId}: payment ledger is ${String(now?.state)} after a charge attempt`);
  if (result.status !== 'CHARGED') return record(event, inbox, [], [tokenDelete(ctx, orderId)], now.state);
  return refundLateCharge(event, ctx, provider, result, amountCents, currency);
}

/** A charge that arrived after the order was cancelled: refund it (the same refund key, so at most once). */
async function refundLateCharge(
  event: Envelope,
  ctx: WorkerContext,
  provider: PaymentProvider,
  result: Extract<ChargeResult, { status: 'CHARGED' }>,
  amountCents: number,
  currency: string,
): Promise<HandlerResult> {
  const { orderId } = event;
  const { refundId } = await provider.refund({ idempotencyKey: refundKey(orderId), orderId, chargeId: result.chargeId, amountCents, currency });
  const refunded: TransactItem = {
    Update: {
      TableName: ctx.config.serviceTable,
      Key: paymentRecordKey(orderId),
      UpdateExpression: 'SET #state = :refunded, chargeId = :chargeId, refundId = :refundId, refundedAt = :now',
      ConditionExpression: '#state IN (:void, :refunded)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':refunded': 'REFUNDED',
        ':void': 'VOID',
        ':chargeId': result.chargeId,
        ':refundId': refundId,
        ':now': new Date().toISOString(),
      },
    },
  };
  const status = statusWrite(ctx.config.ordersTable, orderId, ctx.service, 'REFUNDED', { amountCents, currency, late: true });
  return record(event, ctx.inbox, [], [refunded, status, tokenDelete(ctx, orderId)], 'REFUNDED_LATE');
}

/**
 * OrderCancelled, whatever its reason: refund what was charged, and close the ledger so nothing is charged later.
 * Loops only when the ledger changed under it (a charge attempt settled concurrently); each pass re-reads it.
 */
async function compensate(event: Envelope<'OrderCancelled'>, ctx: WorkerContext, provider: PaymentProvider): Promise<HandlerResult> {
  const { inbox } = ctx;
  const seen = await inbox.prior(event);
  if (seen) return { emits: seen, duplicate: true, outcome: 'COMPENSATED' };
  const { orderId } = event;
  for (let pass = 0; pass < 3; pass++) {
    const ledger = await readLedger(ctx.config, orderId);
    const step = await compensation(ctx, orderId, ledger, provider);
    try {
      return await record(event, inbox, [], [...step.writes, tokenDelete(ctx, orderId)], step.outcome);
    } catch (err) {
      if (!(err instanceof TransactionConditionError) || err.codes[0] !== 'ConditionalCheckFailed') throw err;
    }
  }
  throw new Error(`order ${orderId}: payment ledger kept changing during compensation`);
}

/** What cancelling does for a ledger in each state; the first write is conditional on the state that was read. */
async function compensation(
  { service, config }: Scope,
  orderId: string,
  ledger: Ledger | undefined,
  provider: PaymentProvider,
): Promise<{ writes: TransactItem[]; outcome: string }> {
  const table = config.serviceTable;
  const status = (state: string, detail?: Record<string, unknown>) => statusWrite(config.ordersTable, orderId, service, state, detail);
  const now = new Date().toISOString();
  const transition = (from: LedgerState, set: string, values: Record<string, unknown>): TransactItem => ({
    Update: {
      TableName: table,
      Key: paymentRecordKey(orderId),
      UpdateExpression: `SET #state = :to, compensatedAt = :now${set}`,
      ConditionExpression: '#state = :from',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':from': from, ':now': now, ...values },
    },
  });
  if (!ledger) {
    // Cancelled before payment ever priced it: VOID stops a late OrderPlaced from charging.
    const voided: TransactItem = {
      Put: {
        TableName: table,
        Item: { ...paymentRecordKey(orderId), orderId, state: 'VOID', compensatedAt: now },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    return { writes: [voided, status('VOIDED')], outcome: 'VOIDED' };
  }
  const amountCents = Number(ledger.amountCents ?? 0);
  const { currency } = ledger;
  if (ledger.state === 'CHARGED' || ledger.state === 'PRICED') {
    // PRICED: an attempt may have charged and not recorded it yet (crashed, or still running): ask the provider.
    const charged = ledger.state === 'CHARGED' ? { chargeId: String(ledger.chargeId) } : await provider.find({ idempotencyKey: chargeKey(orderId), orderId });
    if (!charged) return { writes: [transition('PRICED', '', { ':to': 'VOID' }), status('VOIDED')], outcome: 'VOIDED' };
    const { refundId } = await provider.refund({ idempotencyKey: refundKey(orderId), orderId, chargeId: charged.chargeId, amountCents, currency });
    return {
      writes: [
        transition(ledger.state, ', chargeId = :chargeId, refundId = :refundId, refundedAt = :now', {
          ':to': 'REFUNDED',
          ':chargeId': charged.chargeId,
          ':refundId': refundId,
        }),
        status('REFUNDED', { amountCents, currency }),
      ],
      outcome: 'REFUNDED',
    };
  }
  // DECLINED, REJECTED: nothing was taken; VOID, REFUNDED: already undone. The status already says so.
  return { writes: [], outcome: ledger.state === 'REFUNDED' || ledger.state === 'VOID' ? ledger.state : 'NOTHING_TO_REFUND' };
}

/** Commits the writes with the inbox record; a concurrent copy that won the inbox race gives its emits instead. */
async function record(event: Envelope, inbox: WorkerContext['inbox'], emits: Envelope[], writes: TransactItem[], outcome: string): Promise<HandlerResult> {
  const committed = await inbox.commit(event, emits, writes);
  return { ...committed, outcome: committed.duplicate ? outcomeName(committed.emits) : outcome };
}

const OUTCOME_OF: Record<string, string> = { PaymentCharged: 'CHARGED', PaymentDeclined: 'DECLINED', OrderRejected: 'REJECTED' };
const outcomeName = (emits: readonly Envelope[]): string => OUTCOME_OF[emits[0]?.eventType ?? ''] ?? 'NO_OUTCOME';
