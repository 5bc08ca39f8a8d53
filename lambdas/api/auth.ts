/**
 * Who is calling. With `AUTH_MODE=jwt` every request needs `Authorization: Bearer <JWT>`, verified here with jose:
 * signature against the issuer's JWKS, issuer, audience (or, for an access token without `aud`, `client_id`, the
 * rule API Gateway's JWT authorizer applies), expiry (required) and not-before, with a small clock tolerance.
 * The caller is the token's `sub`: it owns the orders it places and sees only those.
 *
 * On AWS the HTTP API's JWT authorizer has already checked the token: checking again here is defence in depth
 * (a route added without the authorizer, a misconfigured stage) and the only check on an emulator that does not
 * enforce authorizers. With `AUTH_MODE=off` (the local demo) every caller is anonymous. Outside the local stage
 * (`STAGE`) `off` and a missing value fail closed (500), as does any other value anywhere, and `jwt` without issuer,
 * audience, JWKS URL or required scope.
 *
 * Only access tokens are accepted: a token with `token_use` (Cognito) must say `access` (an ID token is refused), and
 * every token must carry the required scope (`JWT_SCOPE`, in `scope` or `scp`), which the HTTP API's authorizer
 * requires too (route authorization scopes).
 *
 * Nothing of the token is ever logged or echoed; only the failure's kind and jose's error code are.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { logger } from '../adapters/logger';
import { errorResponse, header, type HttpEvent, type HttpResult } from './http';
import { ENV } from '../contract';

/** Longer `Authorization` headers are refused unparsed (a Cognito ID token is ~1 KB). */
export const MAX_TOKEN_LENGTH = 8192;
/** Accepted clock skew between the issuer and us, for `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Asymmetric algorithms only: a JWKS holds public keys; `none` and HMAC are never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
/** A `sub` longer than a customer id, or with control characters, is not an identity we can store. */
const SUB = /^[^\u0000-\u001f\u007f]{1,128}$/;

export interface AuthSettings {
  readonly mode: 'jwt' | 'off';
  readonly issuer?: string;
  readonly audience?: string;
  readonly jwksUrl?: string;
  /** The scope every token must carry (the authorizer's route scope). */
  readonly scope?: string;
}

export type AuthFailure = 'MISSING_TOKEN' | 'INVALID_TOKEN' | 'EXPIRED_TOKEN';

export type Authentication =
  /** AUTH_MODE=off: nobody is identified; the body's customerId is taken as given. */
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'caller'; readonly sub: string }
  /** `code` is jose's error code (safe to log: it never contains the token). */
  | { readonly kind: 'refused'; readonly reason: AuthFailure; readonly code?: string };

/** The settings from the environment the CDK sets (lib/constructs/order-api.ts). Throws on a misconfiguration. */
export function authSettings(env: NodeJS.ProcessEnv = process.env): AuthSettings {
  const local = env[ENV.stage] === 'local';
  const mode = env[ENV.authMode] ?? (local ? 'off' : undefined);
  if (mode === undefined) throw new Error(`${ENV.authMode} is not set: refusing every request outside the local stage`);
  if (mode === 'off') {
    if (!local) throw new Error(`${ENV.authMode}=off is refused outside the local stage (${ENV.stage}=${JSON.stringify(env[ENV.stage])})`);
    return { mode };
  }
  if (mode !== 'jwt') throw new Error(`${ENV.authMode} must be jwt or off, not ${JSON.stringify(mode)}`);
  const issuer = env[ENV.jwtIssuer];
  const audience = env[ENV.jwtAudience];
  const jwksUrl = env[ENV.jwksUrl];
  const scope = env[ENV.jwtScope];
  if (!issuer || !audience || !jwksUrl || !scope)
    throw new Error(`${ENV.authMode}=jwt needs ${ENV.jwtIssuer}, ${ENV.jwtAudience}, ${ENV.jwksUrl} and ${ENV.jwtScope}`);
  return { mode, issuer, audience, jwksUrl, scope };
}

// One key set per URL and container: jose caches the keys and refetches on an unknown `kid` (after a cooldown).
const keySets = new Map<string, JWTVerifyGetKey>();
function keysAt(url: string): JWTVerifyGetKey {
  let keys = keySets.get(url);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(url), { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    keySets.set(url, keys);
  }
  return keys;
}

/** jose errors that mean "this token is not acceptable"; anything else (JWKS unreachable, a bug) is our fault: 500. */
const INVALID_CODES = new Set([
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWS_INVALID',
  'ERR_JWT_INVALID',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
]);

/** The bearer token of the request, if there is exactly one well-formed one. */
export function bearerToken(event: Pick<HttpEvent, 'headers'>): string | undefined {
  const value = header(event, 'authorization');
  if (value === undefined) return undefined;
  const match = /^Bearer +([^\s]+)$/i.exec(value.trim());
  return match?.[1];
}

/** Who the request comes from, or why it is refused. Throws only on our own faults (configuration, JWKS fetch). */
export async function authenticate(event: Pick<HttpEvent, 'headers'>, settings: AuthSettings): Promise<Authentication> {
  if (settings.mode === 'off') return { kind: 'anonymous' };
  const raw = header(event, 'authorization');
  if (raw === undefined || raw.trim() === '') return { kind: 'refused', reason: 'MISSING_TOKEN' };
  if (raw.length > MAX_TOKEN_LENGTH) return { kind: 'refused', reason: 'INVALID_TOKEN', code: 'TOKEN_TOO_LONG' };
  const token = bearerToken(event);
  if (!token) return { kind: 'refused', reason: 'INVALID_TOKEN', code: 'NOT_A_BEARER_TOKEN' };

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keysAt(settings.jwksUrl!), {
      issuer: settings.issuer!,
      algorithms: ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (code === 'ERR_JWT_EXPIRED') return { kind: 'refused', reason: 'EXPIRED_TOKEN', code };
    if (typeof code === 'string' && INVALID_CODES.has(code)) return { kind: 'refused', reason: 'INVALID_TOKEN', code };
    throw err;
  }
  if (!audienceMatches(payload, settings.audience!)) return { kind: 'refused', reason: 'INVALID_TOKEN', code: 'WRONG_AUDIENCE' };
  // A Cognito ID token (token_use=id) identifies a user to a client; it is not a grant to call this API.
  if (payload.token_use !== undefined && payload.token_use !== 'access') return { kind: 'refused', reason: 'INVALID_TOKEN', code: 'NOT_AN_ACCESS_TOKEN' };
  if (!scopesOf(payload).includes(settings.scope!)) return { kind: 'refused', reason: 'INVALID_TOKEN', code: 'MISSING_SCOPE' };
  if (typeof payload.sub !== 'string' || !SUB.test(payload.sub)) return { kind: 'refused', reason: 'INVALID_TOKEN', code: 'BAD_SUBJECT' };
  return { kind: 'caller', sub: payload.sub };
}

/**
 * API Gateway's rule: `aud` contains the audience, or a token without `aud` (a Cognito access token) has
 * `client_id` equal to it.
 */
export function audienceMatches(payload: JWTPayload, audience: string): boolean {
  const aud = payload.aud;
  if (aud === undefined) return payload.client_id === audience;
  return (Array.isArray(aud) ? aud : [aud]).includes(audience);
}

/** OAuth scopes of a token: `scope` (space-separated, RFC 8693 / Cognito) or `scp` (a list or a string, Okta, Entra). */
function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  return Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : [];
}

const MESSAGES: Record<AuthFailure, string> = {
  MISSING_TOKEN: 'a bearer token is required (Authorization: Bearer <JWT>)',
  INVALID_TOKEN: 'the bearer token is not valid',
  EXPIRED_TOKEN: 'the bearer token has expired',
};
const authFailureMessage = (reason: AuthFailure): string => MESSAGES[reason];

/** RFC 6750: say that a bearer token is expected, and (when one was sent) that it was not good. */
const wwwAuthenticate = (reason: AuthFailure): string =>
  reason === 'MISSING_TOKEN' ? 'Bearer realm="orders"' : `Bearer realm="orders", error="invalid_token"`;

/**
 * The 401 of a refused request, logged at WARN (prod logs at WARN: probing must leave a trace) with the failure's
 * kind and jose's code, never the token.
 */
export function refusal(auth: Extract<Authentication, { kind: 'refused' }>, message: string, requestId: string, correlationId: string): HttpResult {
  logger.warn(message, { correlationId, status: 401, code: 'UNAUTHORIZED', auth: auth.reason, authError: auth.code });
  return errorResponse(401, 'UNAUTHORIZED', authFailureMessage(auth.reason), requestId, undefined, { 'www-authenticate': wwwAuthenticate(auth.reason) });
}
