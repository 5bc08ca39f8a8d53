import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildOpenApi, DOCUMENTED_SAFE_TEXT, OPENAPI_FILES, renderOpenApi } from '../../lambdas/api/openapi';
import { FAULT_HEADER } from '../../lambdas/core/faults';
import { ORDER_LIMITS, orderRequestSchema, SAFE_TEXT } from '../../lambdas/core/order';
import { SERVICES } from '../../lambdas/services/registry';
import { SUCCESS_STATUS } from '../../lambdas/api/contract';
import { ErrorBody, SUCCESS } from '../../lambdas/api/responses';

const committed = (file: string) => readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
const doc = buildOpenApi() as any;
const local = buildOpenApi('local') as any;

describe('docs/openapi.json', () => {
  it.each(Object.entries(OPENAPI_FILES))(
    '%s variant: the committed file is exactly what scripts/openapi.ts generates (run `npm run openapi` after changing the API)',
    (variant, file) => {
      expect(committed(file)).toBe(renderOpenApi(variant as 'aws' | 'local'));
    },
  );

  it("states every text field's forbidden characters with the validator's own pattern, and lengths as maxLength", () => {
    const schema = doc.components.schemas.OrderRequest;
    const texts = [
      schema.properties.customerId,
      schema.properties.items.items.properties.sku,
      schema.properties.paymentToken,
      ...['line1', 'line2', 'city', 'postalCode'].map((k) => schema.properties.shippingAddress.properties[k]),
    ];
    for (const t of texts) {
      expect(t.pattern).toBe(DOCUMENTED_SAFE_TEXT);
      expect(t.maxLength).toEqual(expect.any(Number));
    }
    expect(schema.description).toMatch(/Each SKU may appear once/);
    expect(schema.description).toMatch(/unpaired surrogates/);
  });

  it('states SAFE_TEXT without the surrogate range (Rust and RE2 regex engines cannot compile it); on Unicode text both agree', () => {
    const patterns = [...JSON.stringify([doc, local]).matchAll(/"pattern":("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]!) as string);
    expect(patterns.length).toBeGreaterThan(8);
    for (const p of patterns) expect(p).not.toMatch(/\\u[dD][89a-fA-F]/);
    const documented = new RegExp(DOCUMENTED_SAFE_TEXT, 'u');
    // Any text a JSON client can send, i.e. without unpaired surrogates (those the API refuses; the description says so).
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => documented.test(s) === SAFE_TEXT.test(s)),
      { numRuns: 2000 },
    );
    for (const s of ['ok', 'a\u0007b', 'x\u202Ey', '\uFFFD', 'emoji \u{1F600}']) expect([s, documented.test(s)]).toEqual([s, SAFE_TEXT.test(s)]);
    expect(SAFE_TEXT.test('c\ud800')).toBe(false);
  });

  it('states the e-mail field as the validator checks it: pattern and length, no `format: email` (RFC rules the API does not apply)', () => {
    const email = local.components.schemas.OrderRequest.properties.email;
    expect(email).not.toHaveProperty('format');
    expect(email.pattern).toEqual(expect.any(String));
    const longLocalPart = `${'a'.repeat(70)}@example.com`;
    expect(new RegExp(email.pattern).test(longLocalPart)).toBe(true);
    expect(orderRequestSchema.shape.email.safeParse(longLocalPart).success).toBe(true);
  });

  it('local variant: no authentication, customerId required, X-Fault-Inject with its values; the AWS one has neither', () => {
    expect(local.security).toBeUndefined();
    expect(local.components.securitySchemes).toBeUndefined();
    expect(local.components.schemas.OrderRequest.required).toEqual(['customerId', 'email', 'currency', 'items']);
    expect(local.components.parameters.FaultInject.schema).toEqual({ type: 'string', pattern: FAULT_HEADER.source });
    expect(local.paths['/orders'].post.parameters).toContainEqual({ $ref: '#/components/parameters/FaultInject' });
    expect(local.servers[0].url).toMatch(/^http:\/\/127\.0\.0\.1/);
    expect(doc.components.parameters.FaultInject).toBeUndefined();
    expect(JSON.stringify(doc.paths)).not.toContain('FaultInject');
    // Ignored when malformed, never refused: so the document constrains nothing.
    expect(doc.components.parameters.CorrelationId.schema).toEqual({ type: 'string' });
  });

  it('is OpenAPI 3.1 with the three operations', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/orders', '/orders/{orderId}', '/orders/{orderId}/personal-data']);
    expect(doc.paths['/orders/{orderId}/personal-data'].delete.operationId).toBe('erasePersonalData');
    expect(doc.paths['/orders'].post.operationId).toBe('placeOrder');
    expect(doc.paths['/orders/{orderId}'].get.operationId).toBe('getOrder');
  });

  it('takes the request schema from the zod schema: same fields, strict, the exported limits', () => {
    const schema = doc.components.schemas.OrderRequest;
    expect(schema).not.toHaveProperty('$schema');
    expect(Object.keys(schema.properties)).toEqual(Object.keys(orderRequestSchema.shape));
    expect(schema.additionalProperties).toBe(false);
    // customerId is optional on the wire: with a bearer token the handler takes it from the token's sub.
    expect(schema.required).toEqual(['email', 'currency', 'items']);
    expect(orderRequestSchema.shape.customerId.safeParse(undefined).success).toBe(false);
    expect(schema.properties.customerId.description).toMatch(/sub/);
    expect(schema.properties.items).toMatchObject({ minItems: ORDER_LIMITS.minItems, maxItems: ORDER_LIMITS.maxItems });
    expect(schema.properties.items.items.properties.quantity).toEqual({
      type: 'integer',
      minimum: ORDER_LIMITS.minQuantity,
      maximum: ORDER_LIMITS.maxQuantity,
    });
    expect(schema.properties.shippingAddress.additionalProperties).toBe(false);
  });

  it("documents the gateway's own 401/429/503 answers as {message}, and every status the handlers give", () => {
    const post = doc.paths['/orders'].post.responses;
    const get = doc.paths['/orders/{orderId}'].get.responses;
    expect(Object.keys(post)).toEqual(['202', '400', '401', '403', '413', '415', '422', '429', '500', '503']);
    expect(Object.keys(get)).toEqual(['200', '401', '404', '429', '500', '503']);
    // 401: the gateway's JWT authorizer ({message}) or, where the gateway does not check, the handler's UNAUTHORIZED.
    expect(doc.components.responses.Unauthorized.content['application/json'].schema).toEqual({
      oneOf: [{ $ref: '#/components/schemas/Error' }, { $ref: '#/components/schemas/GatewayMessage' }],
    });
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(expect.arrayContaining(['UNAUTHORIZED', 'FORBIDDEN']));
    expect(doc.security).toEqual([{ jwt: [] }]);
    for (const name of ['Throttled', 'Unavailable']) {
      expect(doc.components.responses[name].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/GatewayMessage' });
    }
    expect(doc.components.schemas.GatewayMessage).toMatchObject({ required: ['message'], properties: { message: { type: 'string' } } });
    expect(post['202'].headers).toHaveProperty('Location');
    expect(post['202'].headers).toHaveProperty('Idempotent-Replayed');
  });

  it('takes every response body from the schemas the handlers answer with (lambdas/api/responses.ts)', () => {
    const component = (ref: string) => doc.components.schemas[ref.replace('#/components/schemas/', '')];
    const keysOf = (schema: { shape: Record<string, unknown> }) => Object.keys(schema.shape);
    for (const [operation, schema] of Object.entries(SUCCESS)) {
      const status = SUCCESS_STATUS[operation as keyof typeof SUCCESS];
      const op = Object.values(doc.paths as Record<string, Record<string, any>>)
        .flatMap((path) => Object.values(path))
        .find((o) => o.operationId === operation);
      const body = component(op.responses[String(status)].content['application/json'].schema.$ref);
      expect(Object.keys(body.properties), operation).toEqual(keysOf(schema));
      expect(body.additionalProperties, operation).toBe(false);
      // Every answer of the API's own that is not the success is the Error component, directly or as one option.
      for (const [code, response] of Object.entries(op.responses as Record<string, any>)) {
        if (code === String(status)) continue;
        const resolved = response.$ref ? doc.components.responses[response.$ref.replace('#/components/responses/', '')] : response;
        const refs = JSON.stringify(resolved.content['application/json'].schema);
        expect(refs, `${operation} ${code}`).toMatch(/#\/components\/schemas\/(Error|GatewayMessage)"/);
      }
    }
    expect(Object.keys(doc.components.schemas.Error.properties.error.properties)).toEqual(keysOf(ErrorBody.shape.error));
    expect(doc.components.schemas.Order.properties.services.properties.payment).toEqual({ $ref: '#/components/schemas/ServiceStatus' });
  });

  it("lists the registry's visible services in the order view", () => {
    expect(doc.components.schemas.Order.properties.services.required).toEqual(SERVICES.filter((s) => s.showsStatus).map((s) => s.name));
  });
});
