/**
 * POST /orders: authenticate, validate, write the order with its OrderPlaced event in one transaction (the outbox
 * relay publishes it), answer 202 with where to follow the order. A 202 means saved and certain to be published.
 *
 * With authentication on (AUTH_MODE=jwt) the order belongs to the token's `sub`: the body's `customerId` may be left
 * out (it is then the `sub`); one that differs from the `sub` is refused with 403 FORBIDDEN. The Idempotency-Key
 * record is keyed by that customer, so one caller's keys never meet another's.
 */
import { countingRequests } from '../adapters/aws';
import { logger } from '../adapters/logger';
import { count, flushMetrics } from '../adapters/metrics';
import { METRIC } from '../contract';
import { saveNewOrder } from '../adapters/order-placement';
import { newOrderId } from '../core/ids';
import { FAULT_HEADER, parseFaults } from '../core/faults';
import { requestHash, UNKNOWN_FIELD, validateOrder, type FieldError } from '../core/order';
import { apiBaseUrl, bodyBytes, bodyText, errorResponse, header, isJsonContentType, MAX_BODY_BYTES, PATTERNS, type HttpEvent } from './http';
import type { ErrorCode } from './contract';
import { answer, apiConfig, apiRoute, type ApiConfig, type ApiRequest } from './route';

export const createHandler = (config: ApiConfig | Error) =>
  apiRoute({ refused: 'order rejected', failed: 'order failed' }, config, async (request) => {
    const { event, correlationId, caller } = request;
    const reject = rejecter(request);

    if (!isJsonContentType(header(event, 'content-type'))) return reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    const bytes = bodyBytes(event);
    if (bytes.length > MAX_BODY_BYTES) return reject(413, 'PAYLOAD_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);

    const key = header(event, 'idempotency-key');
    if (key !== undefined && !PATTERNS.idempotencyKey.test(key)) {
      return reject(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -', [
        { path: 'Idempotency-Key', message: 'expected 1 to 64 characters of [A-Za-z0-9_-]' },
      ]);
    }

    const faults = requestedFaults(event, request.config);
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

    const { ordersTable, idempotencyTtlSeconds, personalDataTtlSeconds } = request.config;
    const { result, requests } = await countingRequests(() =>
      saveNewOrder(
        {
          orderId: newOrderId(),
          order,
          correlationId,
          now: new Date(),
          idempotency: key === undefined ? undefined : { key, requestHash: requestHash(order), ttlSeconds: idempotencyTtlSeconds },
          faults,
          personalDataTtlSeconds,
        },
        ordersTable,
      ),
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
    return answer(
      'placeOrder',
      { orderId: result.orderId, status: 'ACCEPTED', statusUrl },
      { location: statusUrl, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) },
    );
  });

export const handler = createHandler(apiConfig());

/** A 4xx of this request, logged with the offending paths and codes only: a value may be personal data (and so may an unknown key's name). */
const rejecter =
  ({ correlationId, requestId }: ApiRequest) =>
  (status: number, code: ErrorCode, message: string, details?: FieldError[]) => {
    logger.info('order rejected', { correlationId, status, code, fields: details?.map((d) => (d.message === UNKNOWN_FIELD ? '(unknown field)' : d.path)) });
    return errorResponse(status, code, message, requestId, details);
  };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The local stage's fault hooks; the header means nothing anywhere else (and is not in the AWS stages' document).
 * Where hooks are on, a value that names no hook is refused: a typo must not silently test the happy path.
 */
function requestedFaults(event: HttpEvent, config: ApiConfig): string[] | undefined | 'invalid' {
  if (!config.faultsEnabled) return undefined;
  const value = header(event, 'x-fault-inject');
  if (value === undefined) return undefined;
  if (!FAULT_HEADER.test(value)) return 'invalid';
  const faults = parseFaults(value);
  return faults.length ? faults : undefined;
}
