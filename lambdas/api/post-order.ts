/**
 * POST /orders: authenticate, validate, write the order with its OrderPlaced event in one transaction (the outbox
 * relay publishes it), answer 202 with where to follow the order. A 202 means saved and certain to be published.
 *
 * With authentication on (AUTH_MODE=jwt) the order belongs to the token's `sub`: the body's `customerId` may be left
 * out (it is then the `sub`); one that differs from the `sub` is refused with 403 FORBIDDEN. The Idempotency-Key
 * record is keyed by that customer, so one caller's keys never meet another's.
 */
import { countingRequests } from '../adapters/aws';
import { faultsEnabled, positiveIntegerEnv } from '../adapters/env';
import { logger } from '../adapters/logger';
import { count, flushMetrics } from '../adapters/metrics';
import { saveNewOrder } from '../adapters/order-store';
import { newOrderId } from '../core/ids';
import { FAULT_HEADER, parseFaults } from '../core/faults';
import { requestHash, UNKNOWN_FIELD, validateOrder } from '../core/order';
import { authenticate, refusal } from './auth';
import {
  apiBaseUrl,
  bodyBytes,
  bodyText,
  correlationIdOf,
  errorResponse,
  header,
  isJsonContentType,
  json,
  MAX_BODY_BYTES,
  PATTERNS,
  type HttpEvent,
  type HttpResult,
} from './http';
import { ENV, METRIC } from '../contract';

const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;

export interface OrderAccepted {
  orderId: string;
  status: 'ACCEPTED';
  statusUrl: string;
}

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const requestId = event.requestContext.requestId;
  const correlationId = correlationIdOf(event);
  const reject = (status: number, code: Parameters<typeof errorResponse>[1], message: string, details?: Parameters<typeof errorResponse>[4]) => {
    // Paths and codes only: a value may be personal data (and so may an unknown key's name).
    logger.info('order rejected', { correlationId, status, code, fields: details?.map((d) => (d.message === UNKNOWN_FIELD ? '(unknown field)' : d.path)) });
    return errorResponse(status, code, message, requestId, details);
  };

  try {
    // Before anything else: an unauthenticated caller learns nothing about the request's other problems.
    const auth = await authenticate(event);
    if (auth.kind === 'refused') return refusal(auth, 'order rejected', requestId, correlationId);
    const caller = auth.kind === 'caller' ? auth.sub : undefined;

    if (!isJsonContentType(header(event, 'content-type'))) return reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    const bytes = bodyBytes(event);
    if (bytes.length > MAX_BODY_BYTES) return reject(413, 'PAYLOAD_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);

    const key = header(event, 'idempotency-key');
    if (key !== undefined && !PATTERNS.idempotencyKey.test(key)) {
      return reject(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -', [
        { path: 'Idempotency-Key', message: 'expected 1 to 64 characters of [A-Za-z0-9_-]' },
      ]);
    }

    const faults = requestedFaults(event);
    if (faults === 'invalid') {
      return reject(400, 'INVALID_HEADER', 'X-Fault-Inject must be a comma-separated list of fault hook names', [
        { path: 'X-Fault-Inject', message: `expected ${FAULT_HEADER.source}` },
      ]);
    }

    // Strict UTF-8: invalid bytes are a 400, never silently U+FFFD in a stored field.
    const text = bodyText(bytes);
    if (text === undefined) return reject(400, 'MALFORMED_JSON', 'the body is not valid UTF-8 (invalid bytes, or U+FFFD)');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return reject(400, 'MALFORMED_JSON', 'the body is not valid JSON');
    }
    // An authenticated caller may leave customerId out: it is the token's subject. (A copy: JSON.parse gave us own
    // properties only, so a `__proto__` key stays a key, which the strict schema then rejects as unknown.)
    if (caller !== undefined && isRecord(body) && !Object.hasOwn(body, 'customerId')) body = { ...body, customerId: caller };
    const validation = validateOrder(body);
    if (!validation.ok) return reject(400, 'VALIDATION_FAILED', 'the order is invalid', validation.errors);
    const order = validation.order;
    if (caller !== undefined && order.customerId !== caller) {
      return reject(403, 'FORBIDDEN', "customerId must be the authenticated caller (the token's sub), or be left out");
    }

    const { result, requests } = await countingRequests(() =>
      saveNewOrder({
        orderId: newOrderId(),
        order,
        correlationId,
        now: new Date(),
        idempotency: key === undefined ? undefined : { key, requestHash: requestHash(order), ttlSeconds: idempotencyTtlSeconds() },
        faults,
        personalDataTtlSeconds: positiveIntegerEnv(ENV.personalDataTtlSeconds),
      }),
    );
    if (result.outcome === 'key-reused') {
      return reject(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request body');
    }

    const replayed = result.outcome === 'replayed';
    const statusUrl = `${apiBaseUrl(event)}/orders/${result.orderId}`;
    logger.info('order accepted', {
      correlationId,
      orderId: result.orderId,
      lines: order.items.length,
      replayed,
      sdkRequests: requests.total,
      requests: requests.byCommand,
      rcu: requests.rcu,
      wcu: requests.wcu,
    });
    if (!replayed) {
      count(METRIC.ordersAccepted);
      flushMetrics();
    }
    const accepted: OrderAccepted = { orderId: result.orderId, status: 'ACCEPTED', statusUrl };
    return json(202, accepted, { location: statusUrl, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
  } catch (err) {
    // Name and message of an SDK or runtime error, never the request; the client gets no detail at all.
    logger.error('order failed', { correlationId, errorName: (err as Error)?.name, error: (err as Error)?.message });
    return json(500, { error: { code: 'INTERNAL', message: 'internal error', requestId } });
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The local stage's fault hooks; the header means nothing anywhere else (and is not in the AWS stages' document).
 * Where hooks are on, a value that names no hook is refused: a typo must not silently test the happy path.
 */
function requestedFaults(event: HttpEvent): string[] | undefined | 'invalid' {
  if (!faultsEnabled()) return undefined;
  const value = header(event, 'x-fault-inject');
  if (value === undefined) return undefined;
  if (!FAULT_HEADER.test(value)) return 'invalid';
  const faults = parseFaults(value);
  return faults.length ? faults : undefined;
}

function idempotencyTtlSeconds(): number {
  return positiveIntegerEnv(ENV.apiIdempotencyTtlSeconds) ?? DEFAULT_IDEMPOTENCY_TTL_SECONDS;
}
