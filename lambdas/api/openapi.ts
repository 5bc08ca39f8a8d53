/**
 * The OpenAPI 3.1 document of the API (docs/openapi.json, written by scripts/openapi.ts). The request schema is
 * generated from the same zod schema the handler validates with, and the response bodies from the schemas the
 * handlers' answers are typed by (responses.ts; their descriptions are added here, so the bundles carry no prose).
 * A unit test fails when the committed file differs from this; the handlers' unit tests check every body they
 * return against the same schemas.
 */
import { z } from 'zod';
import { FAULT_HEADER, FAULT_HOOKS, SERVICE_FAULTS } from '../core/faults';
import { orderRequestSchema, SAFE_TEXT } from '../core/order';
import { MAX_BODY_BYTES, PATTERNS } from './http';
import { ErasureResult, ErrorBody, FieldErrorSchema, OrderAccepted, OrderView, ServiceStatus } from './responses';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: Json, description: string) => ({ description, content: { 'application/json': { schema } } });
/** JSON Schema text of a RegExp; JSON Schema has no flags, so a case-insensitive one spells out both cases. */
const pattern = (re: RegExp) => (re.flags.includes('i') ? re.source.replaceAll('a-f', 'a-fA-F') : re.source);

/**
 * SAFE_TEXT as the documents state it: without the range of unpaired surrogates. Regex engines that work on code
 * points (Rust's `regex`, which jsonschema-rs and so Schemathesis validate with; Go's RE2) cannot compile
 * `\uD800-\uDFFF`, and a tool that drops a pattern it cannot compile drops all of it: Schemathesis 4.32.5 then
 * generated control characters as valid text. No JSON client loses anything: an unpaired surrogate is not a Unicode
 * scalar value and reaches the API only as a `\ud800` escape (RFC 8259 section 8.2: receivers behave unpredictably);
 * the API refuses it, and the request schema's description says so.
 */
export const DOCUMENTED_SAFE_TEXT = SAFE_TEXT.source.replace('\\uD800-\\uDFFF', '');

/** `schema` with every SAFE_TEXT pattern stated as DOCUMENTED_SAFE_TEXT. */
function documentedPatterns<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(documentedPatterns) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [k, k === 'pattern' && v === SAFE_TEXT.source ? DOCUMENTED_SAFE_TEXT : documentedPatterns(v)]),
  ) as T;
}

/**
 * The e-mail field as the validator checks it: its pattern and length, without `format: email` (which zod adds).
 * `format: email` means an RFC 5321 mailbox, with length rules the API does not apply (a local part of at most 64
 * characters, ...): a tool that checks the format (Schemathesis 4.32.5 does) sends an address that matches the
 * pattern and breaks a length rule as invalid data, and the API accepts it.
 */
function documentedEmail({ format: _format, ...email }: Json): Json {
  return { ...email, description: 'Checked against the pattern and maxLength only (not every RFC 5321 rule, e.g. the 64-character local part).' };
}

/**
 * Which deployment the document describes. `aws`: every AWS stage (docs/openapi.json): a bearer JWT on every
 * operation, and `customerId` optional (it is the token's `sub`). `local`: the local stage as `npm run local` deploys
 * it (docs/openapi.local.json, the one `npm run test:fuzz` drives): no authentication, so `customerId` is required,
 * and the local-only `X-Fault-Inject` header exists.
 */
export type OpenApiVariant = 'aws' | 'local';

/**
 * The validator's schema, with one difference the handler makes before validating: with authentication on, a missing
 * `customerId` is the token's `sub` (post-order.ts), so the AWS document lists it as optional and says when it is needed.
 */
function requestSchema(variant: OpenApiVariant): Json {
  const { $schema: _dialect, ...schema } = documentedPatterns(z.toJSONSchema(orderRequestSchema, { target: 'draft-2020-12', io: 'input' }) as Json);
  const properties = schema.properties as Record<string, Json>;
  const customerId =
    variant === 'aws'
      ? "The customer who owns the order. With a bearer token (every AWS stage) it is the token's `sub`: leave it out, or send exactly the `sub` (anything else is 403 FORBIDDEN)."
      : "The customer who owns the order. Required: the local stage runs without authentication (with `-c auth=jwt` it is the token's `sub`, as in the AWS document).";
  return {
    ...schema,
    required: variant === 'aws' ? (schema.required as string[]).filter((k) => k !== 'customerId') : schema.required,
    properties: { ...properties, customerId: { ...properties.customerId, description: customerId }, email: documentedEmail(properties.email!) },
    description:
      'An order. Unknown fields are rejected (`__proto__` and `constructor` too). Each SKU may appear once: a duplicate is a 400 naming items[i].sku (JSON Schema cannot say "unique by sku"). ' +
      'Text fields are normalised to NFC and may not hold control characters, bidirectional formatting characters, unpaired surrogates (escapes such as `\\ud800` without a pair; the pattern leaves them out, since not every regex engine can name them) or U+FFFD (the pattern); lengths count code points after normalisation. ' +
      'The body must be UTF-8: invalid bytes are a 400, never replaced.',
  };
}

/** An answer API Gateway gives itself: `{"message": ...}`. */
const gatewayMessage = (description: string, example: string) => ({
  description,
  content: { 'application/json': { schema: ref('GatewayMessage'), example: { message: example } } },
});

/** What the documents add to the response schemas: component names and descriptions. */
type Docs = { id?: string; description?: string; examples?: unknown[] };

/**
 * The response bodies as JSON Schema components, from responses.ts: `Order` refers to `ServiceStatus` by `$ref`,
 * the rest is inline.
 */
function responseSchemas(): Record<string, Json> {
  const docs = z.registry<Docs>();
  const describe = (schema: z.core.$ZodType, description: string) => docs.add(schema, { description });
  docs.add(OrderAccepted, { id: 'OrderAccepted' });
  describe(OrderAccepted.shape.statusUrl, 'Same as the Location header.');

  docs.add(OrderView, { id: 'Order' });
  const order = OrderView.shape;
  describe(order.reason, 'Why a CANCELLED order was cancelled; TIMEOUT: still undecided at its deadline.');
  describe(order.email, 'Masked: first letter and domain, e.g. j***@example.com; null once erased or past retention.');
  describe(order.total, 'In minor units, once payment has priced the order; null before.');
  describe(order.shippingAddress, 'Masked: country and the start of the postal code only; null when none was given, once erased or past retention.');
  describe(order.shippingAddress.def.innerType.shape.postalCode, 'Masked, e.g. NW***.');
  describe(order.personalData, 'Whether the e-mail and address are still stored: KEPT, ERASED by the owner, or EXPIRED (retention passed).');
  describe(order.updatedAt, 'The latest change to the order or any service status.');

  docs.add(ServiceStatus, { id: 'ServiceStatus' });
  describe(
    ServiceStatus.shape.status,
    "PENDING until the service reports; then the service's own word (e.g. CHARGED, DECLINED, REFUNDED, RESERVED, BACKORDERED, RELEASED, REQUESTED, SENT, RECORDED). Shipping of a CANCELLED order is SKIPPED.",
  );

  docs.add(ErasureResult, { id: 'ErasureResult' });

  docs.add(ErrorBody, { id: 'Error' });
  describe(ErrorBody.shape.error.shape.requestId, 'API Gateway request id: quote it when reporting a problem.');
  docs.add(FieldErrorSchema.shape.path, { examples: ['items[1].sku', 'email', 'Idempotency-Key'] });

  const { schemas } = z.toJSONSchema(docs, { target: 'draft-2020-12', metadata: docs, uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([name, { $schema: _dialect, $id: _id, ...schema }]) => [name, schema as Json]));
}

export function buildOpenApi(variant: OpenApiVariant = 'aws'): Json {
  const aws = variant === 'aws';
  return {
    openapi: '3.1.0',
    info: {
      title: 'Order pipeline API',
      version: '1.0.0',
      description:
        'Accepts orders (202: saved together with their OrderPlaced event, which is certain to be published) and shows their progress. ' +
        'Errors of the API itself have the body `{"error": {...}}`; answers produced by API Gateway itself (throttling, authorizer, timeouts) have the body `{"message": "..."}`, which cannot be customised. ' +
        (aws
          ? "Every operation needs a bearer JWT (the caller is the token's `sub`: it owns the orders it places and sees only those). The local stage is described by docs/openapi.local.json."
          : 'The local stage as `npm run local` deploys it: no authentication (anyone who reaches 127.0.0.1 may place and read orders), fault hooks on. The AWS stages are described by docs/openapi.json.'),
    },
    ...(aws ? { security: [{ jwt: [] }] } : {}),
    servers: aws
      ? [{ url: 'https://{apiId}.execute-api.{region}.amazonaws.com', variables: { apiId: { default: 'abc123' }, region: { default: 'us-east-1' } } }]
      : [
          {
            url: 'http://127.0.0.1:{port}/_aws/execute-api/{apiId}',
            description: 'MiniStack emulator (local stage)',
            variables: { port: { default: '4566' }, apiId: { default: 'abc123' } },
          },
        ],
    paths: {
      '/orders': {
        post: {
          operationId: 'placeOrder',
          summary: 'Place an order',
          parameters: [
            { $ref: '#/components/parameters/IdempotencyKey' },
            { $ref: '#/components/parameters/CorrelationId' },
            ...(aws ? [] : [{ $ref: '#/components/parameters/FaultInject' }]),
          ],
          requestBody: {
            required: true,
            description: `At most ${MAX_BODY_BYTES} bytes. Content-Type application/json (parameters such as charset=utf-8 allowed).`,
            content: { 'application/json': { schema: ref('OrderRequest') } },
          },
          responses: {
            '202': {
              ...jsonBody(ref('OrderAccepted'), 'Accepted: the order and its event are saved. Follow `Location` (or `statusUrl`) for its progress.'),
              headers: {
                Location: { description: 'Absolute URL of the order (GET /orders/{orderId}).', schema: { type: 'string', format: 'uri' } },
                'Idempotent-Replayed': {
                  description: 'Present (`true`) when this answers a replay of an earlier request with the same Idempotency-Key and body; nothing was created.',
                  schema: { type: 'string', enum: ['true'] },
                },
              },
            },
            '400': jsonBody(
              ref('Error'),
              `MALFORMED_JSON (not JSON, or not UTF-8), VALIDATION_FAILED (details list every offending field, duplicate SKUs and forbidden characters included) or INVALID_IDEMPOTENCY_KEY${aws ? '' : ', or INVALID_HEADER (X-Fault-Inject)'}.`,
            ),
            '401': { $ref: '#/components/responses/Unauthorized' },
            '403': jsonBody(ref('Error'), "FORBIDDEN: the body's customerId is not the authenticated caller (the token's sub). Leave it out, or send the sub."),
            '413': jsonBody(ref('Error'), `PAYLOAD_TOO_LARGE: the body is over ${MAX_BODY_BYTES} bytes.`),
            '415': jsonBody(ref('Error'), 'UNSUPPORTED_MEDIA_TYPE: the Content-Type is not application/json.'),
            '422': jsonBody(ref('Error'), 'IDEMPOTENCY_KEY_REUSED: this customer used the Idempotency-Key before with another body.'),
            '429': { $ref: '#/components/responses/Throttled' },
            '500': { $ref: '#/components/responses/Internal' },
            '503': { $ref: '#/components/responses/Unavailable' },
          },
        },
      },
      '/orders/{orderId}': {
        get: {
          operationId: 'getOrder',
          summary: "An order's status, total and each service's progress (personal data masked)",
          parameters: [
            { name: 'orderId', in: 'path', required: true, schema: { type: 'string', format: 'uuid', pattern: pattern(PATTERNS.orderId) } },
            { $ref: '#/components/parameters/CorrelationId' },
          ],
          responses: {
            '200': jsonBody(ref('Order'), 'The order.'),
            '401': { $ref: '#/components/responses/Unauthorized' },
            '404': jsonBody(
              ref('Error'),
              'NOT_FOUND: no order with this id, the id is not a UUID, or the order belongs to another caller (the same answer: it does not reveal that the order exists).',
            ),
            '429': { $ref: '#/components/responses/Throttled' },
            '500': { $ref: '#/components/responses/Internal' },
            '503': { $ref: '#/components/responses/Unavailable' },
          },
        },
      },
      '/orders/{orderId}/personal-data': {
        delete: {
          operationId: 'erasePersonalData',
          summary: "Erase the order's e-mail address and shipping address (owner only; idempotent)",
          description:
            "Replaces the stored e-mail and address with a tombstone; the order, its status and totals stay. An e-mail not yet sent for the order is then skipped. Without erasure they are deleted after the stage's retention period (90 days in dev and prod).",
          parameters: [
            { name: 'orderId', in: 'path', required: true, schema: { type: 'string', format: 'uuid', pattern: pattern(PATTERNS.orderId) } },
            { $ref: '#/components/parameters/CorrelationId' },
          ],
          responses: {
            '200': jsonBody(ref('ErasureResult'), 'Erased (also when it was erased before).'),
            '401': { $ref: '#/components/responses/Unauthorized' },
            '404': jsonBody(ref('Error'), 'NOT_FOUND: no order with this id, or the order belongs to another caller (the same answer).'),
            '429': { $ref: '#/components/responses/Throttled' },
            '500': { $ref: '#/components/responses/Internal' },
            '503': { $ref: '#/components/responses/Unavailable' },
          },
        },
      },
    },
    components: {
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Scoped to the customer (the authenticated caller where a token is required): keys of different callers never meet. The same key with the same body answers 202 with the first order id and `Idempotent-Replayed: true`; with another body, 422. Concurrent requests with one key create one order.',
          schema: { type: 'string', pattern: pattern(PATTERNS.idempotencyKey) },
        },
        CorrelationId: {
          name: 'X-Correlation-Id',
          in: 'header',
          required: false,
          // Not a constraint on the request: tracing headers are often set by a proxy in its own format, and an order
          // must not fail for that. So the schema is any string and the description says what is used.
          description: `Carried into logs and events when it matches \`${pattern(PATTERNS.correlationId)}\`; any other value is ignored (the request id is used instead), never refused.`,
          schema: { type: 'string' },
        },
        ...(aws
          ? {}
          : {
              FaultInject: {
                name: 'X-Fault-Inject',
                in: 'header',
                required: false,
                description: `Local stage only (the AWS stages ignore the header): a comma-separated list of fault hooks for this order: ${FAULT_HOOKS.map((f) => `\`${f}\``).join(', ')}, ${SERVICE_FAULTS.map((f) => `\`${f}:<service>\``).join(', ')} (docs/contract.md says what each does). Any other value is a 400 INVALID_HEADER.`,
                schema: { type: 'string', pattern: FAULT_HEADER.source },
              },
            }),
      },
      responses: {
        Unauthorized: {
          description:
            'A missing, malformed, wrongly signed or expired bearer token, or one of another issuer or audience. On AWS the JWT authorizer answers first, with `{"message": "Unauthorized"}` (not customisable); where the gateway does not check (an emulator), the API answers UNAUTHORIZED itself, with `WWW-Authenticate: Bearer`.',
          headers: {
            'WWW-Authenticate': {
              description: 'RFC 6750: `Bearer realm="orders"`, plus `error="invalid_token"` when a token was sent.',
              schema: { type: 'string' },
            },
          },
          content: {
            'application/json': {
              schema: { oneOf: [ref('Error'), ref('GatewayMessage')] },
              examples: {
                gateway: { value: { message: 'Unauthorized' } },
                api: { value: { error: { code: 'UNAUTHORIZED', message: 'the bearer token has expired', requestId: 'abc' } } },
              },
            },
          },
        },
        Throttled: gatewayMessage('From API Gateway: stage throttling. Body not customisable.', 'Too Many Requests'),
        Unavailable: gatewayMessage('From API Gateway: the integration timed out or is unavailable. Body not customisable.', 'Service Unavailable'),
        Internal: {
          description:
            'INTERNAL from the API (with the request id, no detail), or `{"message": "Internal Server Error"}` from API Gateway when the function itself failed.',
          content: { 'application/json': { schema: { oneOf: [ref('Error'), ref('GatewayMessage')] } } },
        },
      },
      ...(aws
        ? {
            securitySchemes: {
              jwt: {
                type: 'http',
                scheme: 'bearer',
                bearerFormat: 'JWT',
                description:
                  "A JWT of the stage's issuer (the stack's Cognito user pool, or the issuer given with -c jwtIssuer) for its audience (`aud`, or `client_id` of an access token): signature, issuer, audience, expiry and not-before are checked. The caller is its `sub`. SECURITY.md shows how to get one.",
              },
            },
          }
        : {}),
      schemas: {
        OrderRequest: requestSchema(variant),
        ...responseSchemas(),
        GatewayMessage: {
          type: 'object',
          required: ['message'],
          properties: { message: { type: 'string' } },
          description: 'The body of answers API Gateway gives itself (401, 429, 503, some 500s). Not customisable for an HTTP API.',
        },
      },
    },
  };
}

/** The committed text: two-space JSON with a final newline. */
export const renderOpenApi = (variant: OpenApiVariant = 'aws'): string => `${JSON.stringify(buildOpenApi(variant), null, 2)}\n`;

/** Where each variant is committed, relative to the repository root. */
export const OPENAPI_FILES: Record<OpenApiVariant, string> = { aws: 'docs/openapi.json', local: 'docs/openapi.local.json' };
