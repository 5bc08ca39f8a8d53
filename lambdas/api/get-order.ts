/**
 * GET /orders/{orderId}: the order as a client may see it. With authentication on (AUTH_MODE=jwt) only its owner
 * (the token's `sub` that placed it) sees it: another caller gets the same 404 as for an unknown id, with no hint
 * that it exists. With authentication off (the local demo) anyone holding the id can read it. Either way personal
 * data is masked: the e-mail's first letter and domain, the address's country and the start of its postal code.
 */
import { logger } from '../adapters/logger';
import { readOrder, type Item, type StoredOrder } from '../adapters/order-store';
import { CANCEL_REASONS } from '../core/event-types';
import { maskAddress, maskEmail } from '../core/masking';
import { ORDER_STATUSES, VISIBLE_SERVICES } from './contract';
import type { OrderView } from './responses';
import { answer, apiConfig, apiRoute, ownedOrder, type ApiConfig } from './route';

export const createHandler = (config: ApiConfig | Error) =>
  apiRoute({ refused: 'order read refused', failed: 'order read failed' }, config, async (request) => {
    const { found } = await ownedOrder(
      request,
      (orderId) => readOrder(orderId, VISIBLE_SERVICES, request.config.ordersTable),
      (stored) => stored.order.customerId,
    );
    const view = orderView(found);
    logger.info('order read', { correlationId: request.correlationId, orderId: view.orderId, status: view.status });
    return answer('getOrder', view);
  });

export const handler = createHandler(apiConfig());

function orderView({ order, personalData, lifecycle, statuses }: StoredOrder): OrderView {
  const status = ORDER_STATUSES.find((s) => s === lifecycle?.status) ?? 'ACCEPTED';
  const reason = CANCEL_REASONS.find((r) => r === lifecycle?.reason);
  const createdAt = String(order.createdAt);
  const services: OrderView['services'] = {};
  for (const name of VISIBLE_SERVICES) {
    const item = statuses[name];
    if (item && typeof item.status === 'string') services[name] = { status: item.status, updatedAt: str(item.updatedAt) ?? null };
    // A cancelled order is never shipped: say so instead of PENDING forever.
    else if (name === 'shipping' && status === 'CANCELLED') services[name] = { status: 'SKIPPED', updatedAt: decidedAt(lifecycle) ?? null };
    else services[name] = { status: 'PENDING', updatedAt: null };
  }
  const address = personalData?.shippingAddress as { country?: unknown; postalCode?: unknown } | undefined;
  const email = str(personalData?.email);
  const times = [createdAt, str(lifecycle?.updatedAt), str(lifecycle?.decidedAt), ...Object.values(services).map((s) => s?.updatedAt)];
  return {
    orderId: String(order.orderId),
    status,
    ...(status === 'CANCELLED' && reason !== undefined ? { reason } : {}),
    customerId: String(order.customerId),
    email: email ? maskEmail(email) : null,
    currency: String(order.currency),
    items: ((order.items as { sku: string; quantity: number }[] | undefined) ?? []).map(({ sku, quantity }) => ({ sku, quantity: Number(quantity) })),
    total:
      typeof lifecycle?.amountCents === 'number' ? { amountCents: lifecycle.amountCents, currency: str(lifecycle.currency) ?? String(order.currency) } : null,
    shippingAddress:
      typeof address?.country === 'string' && typeof address.postalCode === 'string'
        ? maskAddress({ country: address.country, postalCode: address.postalCode })
        : null,
    personalData: email ? 'KEPT' : personalData?.erasedAt ? 'ERASED' : 'EXPIRED',
    createdAt,
    // ISO-8601 UTC strings order lexically: the latest change anywhere in the partition.
    updatedAt: times.filter((t): t is string => typeof t === 'string').reduce((a, b) => (b > a ? b : a), createdAt),
    services,
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const decidedAt = (lifecycle: Item | undefined) => str(lifecycle?.decidedAt) ?? str(lifecycle?.updatedAt);
