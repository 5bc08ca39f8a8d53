/**
 * Payment: prices a placed order from the catalog and charges it through the provider (which dedupes on
 * `${orderId}:charge`); refunds a cancelled order that it had charged. An unknown SKU, a declined card are business
 * outcomes: recorded, emitted, acknowledged. The payment token is passed to the provider and nowhere else.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { getCatalogItems } from '../../adapters/catalog';
import { ENV, required } from '../../adapters/env';
import type { TransactItem } from '../../adapters/inbox';
import { statusWrite } from '../../adapters/status';
import { ddb } from '../../adapters/aws';
import type { HandlerResult, ServiceHandler, WorkerContext } from '../../adapters/worker';
import type { CatalogItem } from '../../core/catalog';
import { outcomeEvent, type Envelope, type EventType } from '../../core/events';
import { SimulatedPaymentProvider, type PaymentProvider } from './provider';

/** The service's own ledger entry for an order's charge: what a later refund needs (charge id, amount). */
export const paymentRecordKey = (orderId: string) => ({ pk: `PAYMENT#${orderId}`, sk: 'PAYMENT' });

export type Pricing = { readonly amountCents: number } | { readonly unknownSkus: string[] };

/** Total of the order in minor units, or the skus the catalog does not know. */
export function priceOrder(items: readonly { sku: string; quantity: number }[], catalog: ReadonlyMap<string, CatalogItem>): Pricing {
  const unknownSkus = [...new Set(items.filter((l) => !catalog.has(l.sku)).map((l) => l.sku))].sort();
  if (unknownSkus.length > 0) return { unknownSkus };
  return { amountCents: items.reduce((sum, l) => sum + catalog.get(l.sku)!.unitPriceCents * l.quantity, 0) };
}

const OUTCOME_OF: Partial<Record<EventType, string>> = { PaymentCharged: 'CHARGED', PaymentDeclined: 'DECLINED', OrderRejected: 'REJECTED' };

let simulated: PaymentProvider | undefined;
const defaultProvider = (): PaymentProvider => (simulated ??= new SimulatedPaymentProvider(required(ENV.serviceTable)));

export function makePayment(provider: () => PaymentProvider = defaultProvider): ServiceHandler {
  return async (event, ctx) => {
    if (event.eventType === 'OrderPlaced') return charge(event as Envelope<'OrderPlaced'>, ctx, provider());
    if (event.eventType === 'OrderCancelled') return refund(event as Envelope<'OrderCancelled'>, ctx, provider());
    return { outcome: 'IGNORED' };
  };
}

export const payment = makePayment();

async function charge(event: Envelope<'OrderPlaced'>, { inbox, service }: WorkerContext, provider: PaymentProvider): Promise<HandlerResult> {
  const { orderId } = event;
  const { items, currency, paymentToken } = event.payload;
  const { emits, duplicate } = await inbox.once(event, async () => {
    const pricing = priceOrder(items, await getCatalogItems(items.map((l) => l.sku)));
    if ('unknownSkus' in pricing) {
      const skus = pricing.unknownSkus;
      return {
        emits: [outcomeEvent('OrderRejected', event, service, { reason: 'UNKNOWN_SKU', skus })],
        writes: [statusWrite(orderId, service, 'REJECTED', { reason: 'UNKNOWN_SKU', skus })],
      };
    }
    const { amountCents } = pricing;
    const result = await provider.charge({ idempotencyKey: `${orderId}:charge`, orderId, amountCents, currency, token: paymentToken });
    if (result.status === 'DECLINED') {
      return {
        emits: [outcomeEvent('PaymentDeclined', event, service, { amountCents, currency, reason: result.reason })],
        writes: [statusWrite(orderId, service, 'DECLINED', { amountCents, currency, reason: result.reason })],
      };
    }
    const ledger: TransactItem = {
      Put: {
        TableName: required(ENV.serviceTable),
        Item: { ...paymentRecordKey(orderId), orderId, state: 'CHARGED', chargeId: result.chargeId, amountCents, currency, chargedAt: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    return {
      emits: [outcomeEvent('PaymentCharged', event, service, { amountCents, currency, chargeId: result.chargeId })],
      writes: [ledger, statusWrite(orderId, service, 'CHARGED', { amountCents, currency })],
    };
  });
  return { emits, duplicate, outcome: OUTCOME_OF[emits[0]?.eventType ?? 'OrderPlaced'] ?? 'UNKNOWN' };
}

async function refund(event: Envelope<'OrderCancelled'>, { inbox, service }: WorkerContext, provider: PaymentProvider): Promise<HandlerResult> {
  // Only an order this service charged is refunded; the aggregator says which through `compensate`.
  if (!event.payload.compensate.includes('payment')) return { outcome: 'IGNORED' };
  const { orderId } = event;
  const table = required(ENV.serviceTable);
  const { emits, duplicate } = await inbox.once(event, async () => {
    const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: paymentRecordKey(orderId), ConsistentRead: true }));
    // The aggregator only asks for a refund after it saw PaymentCharged, which this service emits after recording.
    if (!Item) throw new Error(`no charge recorded for order ${orderId}`);
    const amountCents = Number(Item.amountCents);
    const currency = String(Item.currency);
    const status = statusWrite(orderId, service, 'REFUNDED', { amountCents, currency });
    if (Item.state === 'REFUNDED') return { emits: [], writes: [status] };
    const { refundId } = await provider.refund({ idempotencyKey: `${orderId}:refund`, orderId, chargeId: String(Item.chargeId), amountCents, currency });
    const ledger: TransactItem = {
      Update: {
        TableName: table,
        Key: paymentRecordKey(orderId),
        UpdateExpression: 'SET #state = :refunded, refundId = :refundId, refundedAt = :now',
        ConditionExpression: '#state = :charged',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':refunded': 'REFUNDED', ':charged': 'CHARGED', ':refundId': refundId, ':now': new Date().toISOString() },
      },
    };
    return { emits: [], writes: [ledger, status] };
  });
  return { emits, duplicate, outcome: 'REFUNDED' };
}
