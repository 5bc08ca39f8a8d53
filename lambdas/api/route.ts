/**
 * The one wrapper every API route runs in (API Gateway HTTP API, payload 2.0). It owns what the routes share: the
 * correlation id, authentication (a refused caller gets the 401 with `WWW-Authenticate` before any other check, so
 * learns nothing about the request's other problems), the order a path names and whether the caller may see it
 * (`ownedOrder`), and the catch-all 500 (logged with the error's name and message; the body has no detail). A route
 * is then: parse, validate, act, answer, with its answer typed by its response schema (responses.ts).
 *
 * Runtime configuration is read once per cold start (`apiConfig` at each handler's module scope) and passed in;
 * tests build their own.
 */
import { ENV } from '../contract';
import { logger } from '../adapters/logger';
import { authenticate, authSettings, refusal, type AuthSettings } from './auth';
import { correlationIdOf, errorResponse, json, PATTERNS, type HttpEvent, type HttpResult } from './http';
import { SUCCESS_STATUS, type Operation } from './contract';
import type { SuccessBody } from './responses';

const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;

/** What the API functions read from their environment (set by lib/constructs/order-api.ts). */
export interface ApiConfig {
  readonly auth: AuthSettings;
  readonly ordersTable: string;
  /** Local stage only: the request header X-Fault-Inject is honoured. */
  readonly faultsEnabled: boolean;
  /** How long an Idempotency-Key is remembered. */
  readonly idempotencyTtlSeconds: number;
  /** How long an order's e-mail and address are kept; undefined: the store's default. */
  readonly personalDataTtlSeconds: number | undefined;
}

/**
 * The configuration from the environment, or why there is none. A misconfiguration is not thrown at import (every
 * request would then get API Gateway's bare 500): each request answers 500 INTERNAL and logs it (fail closed).
 */
export function apiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig | Error {
  try {
    const ordersTable = env[ENV.ordersTable];
    if (!ordersTable) throw new Error(`missing environment variable ${ENV.ordersTable}`);
    return {
      auth: authSettings(env),
      ordersTable,
      faultsEnabled: env[ENV.faultsEnabled] === 'true',
      idempotencyTtlSeconds: positiveInteger(env[ENV.apiIdempotencyTtlSeconds]) ?? DEFAULT_IDEMPOTENCY_TTL_SECONDS,
      personalDataTtlSeconds: positiveInteger(env[ENV.personalDataTtlSeconds]),
    };
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

const positiveInteger = (value: string | undefined): number | undefined => {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

export interface ApiRequest {
  readonly event: HttpEvent;
  readonly requestId: string;
  readonly correlationId: string;
  /** The token's `sub`, who owns what it places and sees; undefined with authentication off (the local demo). */
  readonly caller: string | undefined;
  readonly config: ApiConfig;
}

export interface Route {
  /** The log message of a 401. */
  readonly refused: string;
  /** The log message of a 500. */
  readonly failed: string;
}

/** An answer decided below the route (the 404 of `ownedOrder`): thrown, and returned by the wrapper as it is. */
class Answer {
  constructor(readonly result: HttpResult) {}
}

export function apiRoute(
  route: Route,
  config: ApiConfig | Error,
  act: (request: ApiRequest) => Promise<HttpResult>,
): (event: HttpEvent) => Promise<HttpResult> {
  return async (event) => {
    const requestId = event.requestContext.requestId;
    const correlationId = correlationIdOf(event);
    try {
      if (config instanceof Error) throw config;
      const auth = await authenticate(event, config.auth);
      if (auth.kind === 'refused') return refusal(auth, route.refused, requestId, correlationId);
      return await act({ event, requestId, correlationId, caller: auth.kind === 'caller' ? auth.sub : undefined, config });
    } catch (err) {
      if (err instanceof Answer) return err.result;
      // Name and message of an SDK or runtime error, never the request; the client gets no detail at all.
      logger.error(route.failed, { correlationId, orderId: pathOrderId(event), errorName: (err as Error)?.name, error: (err as Error)?.message });
      return errorResponse(500, 'INTERNAL', 'internal error', requestId);
    }
  };
}

/** The operation's success answer, its body typed by the operation's schema. */
export const answer = <O extends Operation>(operation: O, body: SuccessBody<O>, headers?: Record<string, string>): HttpResult =>
  json(SUCCESS_STATUS[operation], body, headers);

/** The path's `{orderId}` if it is a UUID (never read, logged or echoed otherwise). */
const pathOrderId = (event: HttpEvent): string | undefined => {
  const id = event.pathParameters?.orderId;
  return id !== undefined && PATTERNS.orderId.test(id) ? id : undefined;
};

/**
 * The order the path names, as `read` finds it, if the caller may see it. Otherwise the route answers 404: for an id
 * that is not a UUID (not read), an unknown order, and another caller's order alike, with no hint that it exists.
 * Probing someone else's order is logged at WARN (prod logs at WARN) with the caller's `sub`, never a token.
 */
export async function ownedOrder<T>(
  request: ApiRequest,
  read: (orderId: string) => Promise<T | undefined>,
  ownerOf: (found: T) => unknown,
): Promise<{ orderId: string; found: T }> {
  const orderId = pathOrderId(request.event);
  const found = orderId === undefined ? undefined : await read(orderId);
  const notOwner = found !== undefined && request.caller !== undefined && ownerOf(found) !== request.caller;
  if (orderId !== undefined && found !== undefined && !notOwner) return { orderId, found };
  const { correlationId, requestId, caller } = request;
  if (notOwner) logger.warn('order of another caller requested', { correlationId, status: 404, notOwner, caller });
  else logger.info('order not found', { correlationId, wellFormed: orderId !== undefined });
  throw new Answer(errorResponse(404, 'NOT_FOUND', 'no such order', requestId));
}
