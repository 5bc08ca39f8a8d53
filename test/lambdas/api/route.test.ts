/**
 * The API wrapper (lambdas/api/route.ts): configuration read once per cold start (a misconfiguration answers 500,
 * it never crashes the import), and the response schemas the other API tests check every answer against.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bodyOf, captureLogLines, checked, configWith, ddbMock, httpEvent, postEvent, validOrder } from './fixtures';
import { createHandler as createPostOrder } from '../../../lambdas/api/post-order';
import { createHandler as createGetOrder } from '../../../lambdas/api/get-order';
import { createHandler as createErasure } from '../../../lambdas/api/erase-personal-data';
import { SUCCESS_STATUS } from '../../../lambdas/api/contract';
import { ErrorBody, OrderAccepted, responseSchema } from '../../../lambdas/api/responses';
import { apiConfig, apiRoute, ownedOrder } from '../../../lambdas/api/route';

const ID = '3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f';
const INTERNAL = { error: { code: 'INTERNAL', message: 'internal error', requestId: 'req-1' } };

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
});
afterEach(() => {
  delete process.env.FAULTS_ENABLED;
});

describe('apiConfig', () => {
  it('reads the environment the CDK sets, with the defaults', () => {
    expect(apiConfig({ STAGE: 'local', ORDERS_TABLE: 't' })).toEqual({
      auth: { mode: 'off' },
      ordersTable: 't',
      faultsEnabled: false,
      idempotencyTtlSeconds: 86_400,
      personalDataTtlSeconds: undefined,
    });
    expect(
      apiConfig({ STAGE: 'local', ORDERS_TABLE: 't', FAULTS_ENABLED: 'true', API_IDEMPOTENCY_TTL_SECONDS: '60', PERSONAL_DATA_TTL_SECONDS: '120' }),
    ).toMatchObject({ faultsEnabled: true, idempotencyTtlSeconds: 60, personalDataTtlSeconds: 120 });
    // Not a positive whole number of seconds: the default (an Idempotency-Key kept for 0 s would dedupe nothing).
    for (const ttl of ['-1', '0', '1.5', 'soon'])
      expect(apiConfig({ STAGE: 'local', ORDERS_TABLE: 't', API_IDEMPOTENCY_TTL_SECONDS: ttl, PERSONAL_DATA_TTL_SECONDS: ttl })).toMatchObject({
        idempotencyTtlSeconds: 86_400,
        personalDataTtlSeconds: undefined,
      });
  });

  it('a misconfiguration is returned, not thrown (an import that throws would fail every request with the bare gateway 500)', () => {
    expect(apiConfig({ STAGE: 'prod', ORDERS_TABLE: 't' })).toEqual(new Error('AUTH_MODE is not set: refusing every request outside the local stage'));
    expect(apiConfig({ STAGE: 'local' })).toEqual(new Error('missing environment variable ORDERS_TABLE'));
  });

  it.each([
    ['POST /orders', () => checked('placeOrder', createPostOrder(configWith({ STAGE: 'prod' })))(postEvent(validOrder()))],
    [
      'GET /orders/{orderId}',
      () => checked('getOrder', createGetOrder(configWith({ STAGE: 'dev', AUTH_MODE: 'off' })))(httpEvent({ method: 'GET', pathParameters: { orderId: ID } })),
    ],
    [
      'DELETE /orders/{orderId}/personal-data',
      () => checked('erasePersonalData', createErasure(configWith({ ORDERS_TABLE: '' })))(httpEvent({ method: 'DELETE', pathParameters: { orderId: ID } })),
    ],
  ])('%s with a misconfiguration: 500 INTERNAL on every request (fail closed), nothing read or written', async (_route, call) => {
    for (let i = 0; i < 2; i++) {
      const res = await call();
      expect(res.statusCode).toBe(500);
      expect(bodyOf(res)).toEqual(INTERNAL);
    }
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('is read once, when the handler is built: the environment changing afterwards changes nothing', async () => {
    const handler = checked('placeOrder', createPostOrder(configWith()));
    process.env.FAULTS_ENABLED = 'true';
    // Hooks off when built: the header is ignored, even a value that names no hook.
    expect((await handler(postEvent(validOrder(), { headers: { 'x-fault-inject': 'no-such-hook' } }))).statusCode).toBe(202);
    expect(ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![1]!.Put!.Item).not.toHaveProperty('faults');
  });
});

describe('response schemas', () => {
  it('each operation has one success status; every other status is an ErrorBody', () => {
    expect(SUCCESS_STATUS).toEqual({ placeOrder: 202, getOrder: 200, erasePersonalData: 200 });
    for (const status of [400, 401, 403, 404, 413, 415, 422, 500]) expect(responseSchema('placeOrder', status)).toBe(ErrorBody);
    expect(responseSchema('placeOrder', 202)).toBe(OrderAccepted);
  });

  it('are strict: an extra field, a missing one or a wrong type fails', () => {
    const accepted = { orderId: ID, status: 'ACCEPTED', statusUrl: `https://x.example/orders/${ID}` };
    expect(OrderAccepted.safeParse(accepted).success).toBe(true);
    for (const bad of [
      { ...accepted, extra: 1 },
      { ...accepted, statusUrl: undefined },
      { ...accepted, status: 'CONFIRMED' },
      { ...accepted, orderId: 'x' },
    ]) {
      expect(OrderAccepted.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(ErrorBody.safeParse(INTERNAL).success).toBe(true);
    expect(ErrorBody.safeParse({ error: { ...INTERNAL.error, stack: 'at x.ts' } }).success).toBe(false);
    expect(ErrorBody.safeParse({ error: { ...INTERNAL.error, code: 'TEAPOT' } }).success).toBe(false);
  });

  it('the checked handlers of the other tests refuse an answer off its schema, and a status the document does not list', async () => {
    const answering = (statusCode: number, body: unknown) => async () => ({ statusCode, headers: {}, body: JSON.stringify(body) });
    await expect(checked('placeOrder', answering(202, { orderId: ID, status: 'ACCEPTED' }))(postEvent({}))).rejects.toThrow(/schema/);
    await expect(checked('getOrder', answering(418, INTERNAL))(httpEvent())).rejects.toThrow(/does not list/);
    await expect(checked('getOrder', answering(403, INTERNAL))(httpEvent())).rejects.toThrow(/does not list/);
    await expect(checked('getOrder', answering(404, { message: 'Not Found' }))(httpEvent())).rejects.toThrow(/schema/);
    ddbMock.on(BatchGetCommand).resolves({ Responses: {} });
    expect((await checked('getOrder', createGetOrder(configWith()))(httpEvent({ method: 'GET', pathParameters: { orderId: ID } }))).statusCode).toBe(404);
  });
});

describe('bundles', () => {
  it('the Lambda code imports only types from responses.ts (its top-level schemas would land in every API bundle)', () => {
    const dir = fileURLToPath(new URL('../../../lambdas/api/', import.meta.url));
    // openapi.ts is documentation (scripts/openapi.ts), never bundled.
    const lambdaFiles = readdirSync(dir).filter((f) => f.endsWith('.ts') && !['responses.ts', 'openapi.ts'].includes(f));
    expect(lambdaFiles).toEqual(expect.arrayContaining(['post-order.ts', 'get-order.ts', 'erase-personal-data.ts', 'route.ts', 'http.ts']));
    const importers: string[] = [];
    for (const file of lambdaFiles) {
      const imports = [...readFileSync(`${dir}${file}`, 'utf8').matchAll(/^import (type )?[^;]*from '\.\/responses';/gm)];
      if (imports.length) importers.push(file);
      for (const m of imports) expect(m[1], `${file}: ${m[0]}`).toBe('type ');
    }
    expect(importers.length).toBeGreaterThan(0);
  });
});

describe('apiRoute and ownedOrder: what they log', () => {
  let byMessage: ReturnType<typeof captureLogLines>['byMessage'];
  beforeEach(() => ({ byMessage } = captureLogLines()));
  afterEach(() => vi.restoreAllMocks());
  const route = { refused: 'test refused', failed: 'test failed' };
  const event = (orderId?: string) =>
    httpEvent({ method: 'GET', pathParameters: orderId === undefined ? undefined : { orderId }, headers: { 'x-correlation-id': 'corr-9' } });

  it("a failure: 500 and one ERROR line with the error's name and message and the path's order id, whatever was thrown", async () => {
    const boom = Object.assign(new Error('dynamodb down'), { name: 'ServiceUnavailable' });
    expect((await apiRoute(route, configWith(), () => Promise.reject(boom))(event(ID))).statusCode).toBe(500);
    expect(byMessage('test failed')).toEqual([
      expect.objectContaining({ level: 'ERROR', correlationId: 'corr-9', orderId: ID, errorName: 'ServiceUnavailable', error: 'dynamodb down' }),
    ]);
    // Not an Error at all (a library may throw anything): still the 500, not a crash of the handler.
    for (const thrown of [undefined, null, 'text']) expect((await apiRoute(route, configWith(), () => Promise.reject(thrown))(event(ID))).statusCode).toBe(500);
    expect(byMessage('test failed')).toHaveLength(4);
  });

  const read = (owner: string | undefined) => async () => (owner === undefined ? undefined : { owner });
  const answerOf = (caller: string | undefined, owner: string | undefined, orderId?: string) =>
    apiRoute(route, configWith(), (request) => ownedOrder({ ...request, caller }, read(owner), (o) => o.owner).then(() => ({ statusCode: 200 })))(
      event(orderId),
    );

  it("another caller's order: 404 and a WARN line naming the caller (probing leaves a trace at prod's log level)", async () => {
    expect((await answerOf('cust-1', 'cust-2', ID)).statusCode).toBe(404);
    expect(byMessage('order of another caller requested')).toEqual([
      expect.objectContaining({ level: 'WARN', correlationId: 'corr-9', status: 404, caller: 'cust-1', notOwner: true }),
    ]);
    expect(byMessage('order not found')).toEqual([]);
  });

  it('an unknown order, or an id that is not a UUID (never read): 404 and an INFO line saying which', async () => {
    expect((await answerOf('cust-1', undefined, ID)).statusCode).toBe(404);
    expect((await answerOf('cust-1', 'cust-1', 'not-a-uuid')).statusCode).toBe(404);
    expect(byMessage('order not found')).toEqual([
      expect.objectContaining({ level: 'INFO', correlationId: 'corr-9', wellFormed: true }),
      expect.objectContaining({ level: 'INFO', correlationId: 'corr-9', wellFormed: false }),
    ]);
    expect(byMessage('order of another caller requested')).toEqual([]);
  });

  it('the owner, or anyone with authentication off: the order, and nothing logged', async () => {
    expect((await answerOf('cust-1', 'cust-1', ID)).statusCode).toBe(200);
    expect((await answerOf(undefined, 'cust-2', ID)).statusCode).toBe(200);
    expect(byMessage('order not found')).toEqual([]);
    expect(byMessage('order of another caller requested')).toEqual([]);
  });
});
