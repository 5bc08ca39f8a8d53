/**
 * Fixtures of the API tests: the environment, the API's configuration, a mocked document client, HTTP API (payload
 * 2.0) events, and handlers whose every answer is checked against the response schemas and the OpenAPI document.
 */
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { expect, vi } from 'vitest';
import { buildOpenApi } from '../../../lambdas/api/openapi';
import type { Operation } from '../../../lambdas/api/contract';
import { responseSchema } from '../../../lambdas/api/responses';
import { apiConfig, type ApiConfig } from '../../../lambdas/api/route';

export const ORDERS_TABLE = 'orders-table';
process.env.ORDERS_TABLE = ORDERS_TABLE;
// The handlers run as in the local stage (auth off unless a test sets AUTH_MODE=jwt): elsewhere a missing AUTH_MODE
// fails closed.
process.env.STAGE = 'local';
process.env.API_IDEMPOTENCY_TTL_SECONDS = '86400';
process.env.TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:order-events';

export const ddbMock = mockClient(DynamoDBDocumentClient);

/** The API's configuration as a function of the local stage gets it, with `env` on top (e.g. AUTH_MODE=jwt). */
export const configWith = (env: NodeJS.ProcessEnv = {}): ApiConfig | Error => apiConfig({ ...process.env, ...env });

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const documented = buildOpenApi('local').paths as Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
const statusesOf = (operation: Operation): string[] =>
  Object.values(documented)
    .flatMap((path) => Object.values(path))
    .filter((o) => o.operationId === operation)
    .flatMap((o) => Object.keys(o.responses));

/**
 * `handler` (of `operation`), every answer checked: a status the OpenAPI document lists for the operation, and a
 * JSON body that satisfies the schema of that status (lambdas/api/responses.ts), so no answer can drift from either.
 */
export function checked(operation: Operation, handler: Handler): Handler {
  const statuses = statusesOf(operation);
  if (statuses.length === 0) throw new Error(`no operation ${operation} in the document`);
  return async (event) => {
    const result = await handler(event);
    expect(statuses, `${operation} answered ${result.statusCode}, which its document does not list`).toContain(String(result.statusCode));
    const parsed = responseSchema(operation, result.statusCode!).safeParse(JSON.parse(String(result.body)));
    expect(parsed.error?.issues ?? [], `${operation} ${result.statusCode}: the body against its schema`).toEqual([]);
    return result;
  };
}

export const SECRETS = {
  email: 'ada.lovelace@example.com',
  token: 'tok_secret_4242',
  line1: '12 Analytical Engine Lane',
  city: 'Marylebone',
  postalCode: 'NW1 6XE',
} as const;

export const validOrder = () => ({
  customerId: 'c-1',
  email: SECRETS.email,
  currency: 'GBP',
  items: [
    { sku: 'SKU-1', quantity: 2 },
    { sku: 'SKU-2', quantity: 1 },
  ],
  paymentToken: SECRETS.token,
  shippingAddress: { line1: SECRETS.line1, city: SECRETS.city, postalCode: SECRETS.postalCode, country: 'GB' },
});

export interface EventOptions {
  body?: string;
  headers?: Record<string, string>;
  rawPath?: string;
  stage?: string;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string>;
  method?: string;
  domainName?: string;
}

export function httpEvent(o: EventOptions = {}): APIGatewayProxyEventV2 {
  const rawPath = o.rawPath ?? '/orders';
  const method = o.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: `${method} /orders`,
    rawPath,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', 'x-forwarded-proto': 'https', ...(o.headers ?? {}) },
    body: o.body,
    isBase64Encoded: o.isBase64Encoded ?? false,
    pathParameters: o.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      domainName: o.domainName ?? 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: `${method} /orders`,
      stage: o.stage ?? '$default',
      time: '01/May/2024:10:00:00 +0000',
      timeEpoch: 1714557600000,
    },
  };
}

export const postEvent = (body: unknown, o: EventOptions = {}) =>
  httpEvent({ ...o, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...(o.headers ?? {}) } });

export const bodyOf = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(String(r.body)) as Record<string, any>;

/** A TransactionCanceledException with one reason per item, like DynamoDB's (`Item` for ALL_OLD). */
export function cancelled(reasons: { Code: string; Item?: Record<string, { S?: string; N?: string }> }[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons as never });
}

/** The orders table holds exactly these items for the GET handler's BatchGetItem (any keys asked). */
export const storeHolds = (...items: Record<string, unknown>[]) => ddbMock.on(BatchGetCommand).resolves({ Responses: { [ORDERS_TABLE]: items } });

/**
 * Captures the JSON log lines (Powertools writes them through its own Console on process.stdout / process.stderr)
 * until `vi.restoreAllMocks()`: call it in a `beforeEach`, restore in an `afterEach`.
 */
export function captureLogLines() {
  const lines: Record<string, unknown>[] = [];
  const capture = (chunk: unknown) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), true);
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
  return { lines, byMessage: (message: string) => lines.filter((l) => l.message === message) };
}

/** AUTH_MODE=jwt with every setting present: enough for a refusal that needs no key (no or a malformed token). */
export const JWT_ENV = {
  AUTH_MODE: 'jwt',
  JWT_ISSUER: 'https://issuer.invalid',
  JWT_AUDIENCE: 'orders-api',
  JWKS_URL: 'https://issuer.invalid/jwks.json',
  JWT_SCOPE: 'orders/write',
} as const;
