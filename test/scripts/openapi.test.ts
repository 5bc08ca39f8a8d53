import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, renderOpenApi } from '../../lambdas/api/openapi';
import { ORDER_LIMITS, orderRequestSchema } from '../../lambdas/core/order';
import { SERVICES } from '../../lambdas/services/registry';

const committed = readFileSync(fileURLToPath(new URL('../../docs/openapi.json', import.meta.url)), 'utf8');
const doc = buildOpenApi() as any;

describe('docs/openapi.json', () => {
  it('is exactly what scripts/openapi.ts generates (run `npm run openapi` after changing the API)', () => {
    expect(committed).toBe(renderOpenApi());
  });

  it('is OpenAPI 3.1 with both operations', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/orders', '/orders/{orderId}']);
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
    expect(schema.properties.items.items.properties.quantity).toEqual({ type: 'integer', minimum: ORDER_LIMITS.minQuantity, maximum: ORDER_LIMITS.maxQuantity });
    expect(schema.properties.shippingAddress.additionalProperties).toBe(false);
  });

  it("documents the gateway's own 401/429/503 answers as {message}, and every status the handlers give", () => {
    const post = doc.paths['/orders'].post.responses;
    const get = doc.paths['/orders/{orderId}'].get.responses;
    expect(Object.keys(post)).toEqual(['202', '400', '401', '403', '413', '415', '422', '429', '500', '503']);
    expect(Object.keys(get)).toEqual(['200', '401', '404', '429', '500', '503']);
    // 401: the gateway's JWT authorizer ({message}) or, where the gateway does not check, the handler's UNAUTHORIZED.
    expect(doc.components.responses.Unauthorized.content['application/json'].schema).toEqual({ oneOf: [{ $ref: '#/components/schemas/Error' }, { $ref: '#/components/schemas/GatewayMessage' }] });
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(expect.arrayContaining(['UNAUTHORIZED', 'FORBIDDEN']));
    expect(doc.security).toEqual([{ jwt: [] }]);
    for (const name of ['Throttled', 'Unavailable']) {
      expect(doc.components.responses[name].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/GatewayMessage' });
    }
    expect(doc.components.schemas.GatewayMessage).toMatchObject({ required: ['message'], properties: { message: { type: 'string' } } });
    expect(post['202'].headers).toHaveProperty('Location');
    expect(post['202'].headers).toHaveProperty('Idempotent-Replayed');
  });

  it("lists the registry's visible services in the order view", () => {
    expect(doc.components.schemas.Order.properties.services.required).toEqual(SERVICES.filter((s) => s.showsStatus).map((s) => s.name));
  });
});
