/**
 * GET /orders/{orderId}: the order as a client may see it. With authentication on (AUTH_MODE=jwt) only its owner
 * (the token's `sub` that placed it) sees it: another caller gets the same 404 as for an unknown id, with no hint
 * that it exists. With authentication off (the local demo) anyone holding the id can read it. Either way personal
 * data is masked: the e-mail's first letter and domain, the address's country and the start of its postal code.
 */
import { logger } from '../adapters/logger';
import { readOrder, type Item, type StoredOrder } from '../adapters/order-store';
import { maskAddress, maskEmail } from '../core/masking';
import { type ServiceName, VISIBLE_SERVICES } from '../services/registry';
import { authenticate, refusal } from './auth';
import { correlationIdOf, errorResponse, json, PATTERNS, type HttpEvent, type HttpResult } from './http';

const UUID = PATTERNS.orderId;
const ORDER_STATUSES = ['ACCEPTED', 'CONFIRMED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface ServiceStatus {
  status: string;
  updatedAt: string | null;
}

export interface OrderView {
  orderId: string;
  status: OrderStatus;
  reason?: string;
  customerId: string;
  /** Masked; null once the personal data was erased or its retention period passed (see `personalData`). */
  email: string | null;
  currency: string;
  items: { sku: string; quantity: number }[];
  total: { amountCents: number; currency: string } | null;
  shippingAddress: { country: string; postalCode: string } | null;
  /** KEPT: e-mail and address are stored (masked here); ERASED: the owner erased them; EXPIRED: retention passed. */
  personalData: 'KEPT' | 'ERASED' | 'EXPIRED';
  createdAt: string;
  updatedAt: string;
  services: Partial<Record<ServiceName, ServiceStatus>>;
}

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const requestId = event.requestContext.requestId;
  const correlationId = correlationIdOf(event);
  const orderId = event.pathParameters?.orderId ?? '';
  try {
    const auth = await authenticate(event);
    if (auth.kind === 'refused') return refusal(auth, 'order read refused', requestId, correlationId);
    const stored = UUID.test(orderId) ? await readOrder(orderId, VISIBLE_SERVICES) : undefined;
    // Someone else's order answers exactly as an unknown one does.
    const notOwner = stored !== undefined && auth.kind === 'caller' && stored.order.customerId !== auth.sub;
    if (!stored || notOwner) return notFound(requestId, correlationId, UUID.test(orderId), notOwner, auth);
    const view = orderView(stored);
    logger.info('order read', { correlationId, orderId: view.orderId, status: view.status });
    return json(200, view);
  } catch (err) {
    logger.error('order read failed', {
      correlationId,
      orderId: UUID.test(orderId) ? orderId : undefined,
      errorName: (err as Error)?.name,
      error: (err as Error)?.message,
    });
    return json(500, { error: { code: 'INTERNAL', message: 'internal error', requestId } });
  }
};

/** The client's view of the stored items: masked, with every visible service's status (PENDING until reported). */
export function orderView({ order, personalData, lifecycle, statuses }: StoredOrder): OrderView {
  const status = ORDER_STATUSES.find((s) => s === lifecycle?.status) ?? 'ACCEPTED';
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
    ...(status === 'CANCELLED' && typeof lifecycle?.reason === 'string' ? { reason: lifecycle.reason } : {}),
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

/**
 * 404 for an unknown id and for another caller's order alike. Probing someone else's order is logged at WARN (prod
 * logs at WARN), with the caller's `sub`, never a token.
 */
export function notFound(requestId: string, correlationId: string, wellFormed: boolean, notOwner: boolean, auth: { kind: string; sub?: string }): HttpResult {
  if (notOwner) logger.warn('order of another caller requested', { correlationId, status: 404, notOwner, caller: auth.sub });
  else logger.info('order not found', { correlationId, wellFormed });
  return errorResponse(404, 'NOT_FOUND', 'no such order', requestId);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const decidedAt = (lifecycle: Item | undefined) => str(lifecycle?.decidedAt) ?? str(lifecycle?.updatedAt);
