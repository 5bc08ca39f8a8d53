/** The order API over real HTTP, as a client sees it. */
import { expect } from 'vitest';
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

/**
 * POST with a retry on 429 (the emulator's Lambda concurrency cap answers 429 to a burst, as API Gateway would);
 * expects 202 and returns the order id.
 */
export async function placeOrder(body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const res = await postWithRetry(body, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.orderId as string;
}

/**
 * POST, retried with jittered backoff while the answer is 429 (and, when the request carries an Idempotency-Key, a
 * 5xx: a gateway timeout may or may not have stored the order, and the key makes the retry safe, as for any client).
 * Returns the last answer.
 */
export async function postWithRetry(body: unknown, headers: Record<string, string> = {}, attempts = 10): Promise<HttpResult> {
  const keyed = Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key');
  let res: HttpResult | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    res = await postOrder(body, headers);
    if (res.status !== 429 && !(keyed && res.status >= 500)) break;
    await new Promise((r) => setTimeout(r, 200 * 2 ** Math.min(attempt, 5) * Math.random()));
  }
  return res!;
}
