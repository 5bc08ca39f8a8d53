/**
 * Small HTTP helpers of the API handlers (API Gateway HTTP API, payload 2.0): JSON responses, the error body
 * (its schema: responses.ts), request checks (content type, size) and the correlation id.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { FieldError } from '../core/order';
import type { ErrorCode } from './contract';
import type { ErrorBody } from './responses';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Bodies above this are refused with 413 (counted in bytes, after base64 decoding). */
export const MAX_BODY_BYTES = 32 * 1024;

// Responses carry personal data (masked) and per-request state: never cache them anywhere.
const BASE_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(
  statusCode: number,
  code: ErrorCode,
  message: string,
  requestId: string,
  details?: FieldError[],
  headers: Record<string, string> = {},
): HttpResult {
  const error: ErrorBody['error'] = { code, message, requestId, ...(details?.length ? { details } : {}) };
  return json(statusCode, { error }, headers);
}

/** Header names are lower-case on AWS; an emulator may keep the client's case. */
export function header(event: Pick<HttpEvent, 'headers'>, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  if (headers[wanted] !== undefined) return headers[wanted];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** `application/json`, with parameters allowed; a charset other than UTF-8 is refused (JSON is UTF-8, RFC 8259). */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [type, ...params] = value.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || ['utf-8', 'utf8', '"utf-8"'].includes(p.slice('charset='.length)));
}

/** The body as bytes, decoded when the gateway base64-encoded it. */
export function bodyBytes(event: Pick<HttpEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as text, or undefined when it is not UTF-8. A base64-encoded body is decoded strictly (invalid bytes
 * refuse, never become U+FFFD). A text body was decoded by the gateway, which leaves U+FFFD where the bytes were
 * invalid (MiniStack does: `errors="replace"`), so U+FFFD anywhere refuses the body too; no field may hold it anyway.
 * A BOM is kept, so JSON.parse refuses it (RFC 8259: no BOM).
 */
export function bodyText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
  return text.includes('\uFFFD') ? undefined : text;
}

/** Header and path formats, shared with docs/openapi.json. */
export const PATTERNS = {
  correlationId: /^[A-Za-z0-9_-]{1,128}$/,
  idempotencyKey: /^[A-Za-z0-9_-]{1,64}$/,
  orderId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
} as const;

/** The caller's `x-correlation-id` when it is a safe token (it goes into logs and events), else the request id. */
export function correlationIdOf(event: HttpEvent): string {
  const given = header(event, 'x-correlation-id');
  return given !== undefined && PATTERNS.correlationId.test(given) ? given : event.requestContext.requestId;
}

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|[A-Za-z0-9.-]+\.localhost|\[::1\])$/i;
/** MiniStack's path-based addressing (the LocalStack form): its events carry neither this prefix nor a scheme. */
const EMULATOR_PATH_PREFIX = '/_aws/execute-api/';

const hostName = (host: string) => host.replace(/:\d{1,5}$/, '').toLowerCase();

/**
 * The absolute URL of the API's base as this client reached it, so that a `Location` works as is:
 * - scheme from `x-forwarded-proto`; without it https, except http on a loopback host (the emulator, which sets no
 *   such header over plain HTTP);
 * - the `host` header (if well-formed, else the request's domain name);
 * - the raw path before `/orders`, plus `/<stage>` for a named stage the raw path does not already carry.
 * MiniStack, called as `http://127.0.0.1:<port>/_aws/execute-api/<apiId>/orders`, strips that prefix from `rawPath`;
 * it is put back when a loopback host differs from the request's domain name (`<apiId>.execute-api.localhost`).
 * On AWS the host is never loopback and always equals the domain name, so neither rule applies there.
 */
export function apiBaseUrl(event: HttpEvent): string {
  const { apiId, domainName, stage } = event.requestContext;
  const given = header(event, 'host');
  // Only a well-formed host: anything else would let a client shape the URL we hand back.
  const host = given && HOST.test(given) ? given : domainName;
  const loopback = LOOPBACK.test(hostName(host));
  const forwarded = header(event, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const proto = forwarded === 'http' || forwarded === 'https' ? forwarded : loopback ? 'http' : 'https';

  const rawPath = event.rawPath ?? '';
  const at = rawPath.lastIndexOf('/orders');
  let prefix = at >= 0 ? rawPath.slice(0, at) : '';
  if (loopback && !prefix.includes(EMULATOR_PATH_PREFIX) && hostName(host) !== hostName(domainName ?? '')) prefix = `${EMULATOR_PATH_PREFIX}${apiId}${prefix}`;
  if (stage && stage !== '$default' && !prefix.split('/').includes(stage)) prefix = `${prefix}/${stage}`;
  return `${proto}://${host}${prefix}`;
}
