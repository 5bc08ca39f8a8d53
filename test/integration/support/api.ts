/** The order API over real HTTP, as a client sees it. */
import { apiUrl, pollUntil } from './stack';

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

async function toResult(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, headers: res.headers, body };
}

export function orderBody(customerId: string, overrides: Record<string, unknown> = {}) {
  return { customerId, email: 'ada@example.com', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 2 }], ...overrides };
}

export async function postOrder(body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return toResult(await fetch(`${apiUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw }));
}

/** GET by id, or by an absolute URL (a Location header, used as is). */
export async function getOrder(idOrUrl: string): Promise<HttpResult> {
  const url = idOrUrl.startsWith('http') ? idOrUrl : `${apiUrl}/orders/${idOrUrl}`;
  return toResult(await fetch(url));
}

const SERVICES_SHOWN = ['payment', 'inventory', 'shipping', 'notification', 'analytics'];

/** Polls GET until the order is decided and no service is PENDING any more. */
export function untilSettled(orderId: string, timeoutMs = 30_000) {
  return pollUntil(
    () => getOrder(orderId),
    (r) => r.status === 200 && r.body.status !== 'ACCEPTED' && SERVICES_SHOWN.every((s) => r.body.services?.[s] && r.body.services[s].status !== 'PENDING'),
    { timeoutMs, what: `order ${orderId} to settle` },
  ).then((r) => r.body);
}
