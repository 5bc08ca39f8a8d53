/**
 * DELETE /orders/{orderId}/personal-data: only the owner, the PII item replaced by a tombstone, nothing else touched;
 * another caller's order is the 404 of an unknown one (logged at WARN with the caller's sub).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bodyOf, captureLogLines, checked, configWith, ddbMock, httpEvent, ORDERS_TABLE } from './fixtures';
import { bearer, TestIssuer } from '../../integration/support/auth';
import { createHandler } from '../../../lambdas/api/erase-personal-data';
import { orderKey, paymentTokenKey, personalDataKey } from '../../../lambdas/adapters/keys';

const ID = '3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f';
let issuer: Awaited<ReturnType<typeof TestIssuer.start>>;
let handler: ReturnType<typeof checked>;
const erase = (headers: Record<string, string> = {}, orderId = ID) =>
  handler(httpEvent({ method: 'DELETE', rawPath: `/orders/${orderId}/personal-data`, pathParameters: { orderId }, headers }));

beforeAll(async () => {
  issuer = await TestIssuer.start();
  handler = checked('erasePersonalData', createHandler(configWith(issuer.env())));
});
afterAll(() => issuer.stop());
beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({ Item: { customerId: 'cust-7' } });
  ddbMock.on(PutCommand).resolves({});
});

describe('DELETE /orders/{orderId}/personal-data', () => {
  it('the owner: the PII item becomes a tombstone without e-mail or address; 200, twice alike', async () => {
    const token = await issuer.token({ sub: 'cust-7' });
    for (let i = 0; i < 2; i++) {
      const res = await erase(bearer(token));
      expect(res.statusCode).toBe(200);
      expect(bodyOf(res)).toEqual({ orderId: ID, personalData: 'ERASED', erasedAt: expect.any(String) });
    }
    expect(ddbMock.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: ORDERS_TABLE,
      Key: orderKey(ID),
      ProjectionExpression: 'customerId',
      ConsistentRead: true,
    });
    const puts = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input);
    // Per erasure: the PII tombstone, then a token tombstone that only overwrites an existing token item.
    expect(puts).toHaveLength(4);
    expect(puts[1]).toMatchObject({ Item: { ...paymentTokenKey(ID), erasedAt: expect.any(String) }, ConditionExpression: 'attribute_exists(pk)' });
    expect(Object.keys(puts[1]!.Item!).sort()).toEqual(['erasedAt', 'expiresAt', 'orderId', 'pk', 'sk']);
    expect(puts[0]).toMatchObject({
      TableName: ORDERS_TABLE,
      Item: { ...personalDataKey(ID), orderId: ID, erasedAt: expect.any(String), expiresAt: expect.any(Number) },
    });
    expect(Object.keys(puts[0]!.Item!).sort()).toEqual(['erasedAt', 'expiresAt', 'orderId', 'pk', 'sk']);
  });

  it("another caller's order and an unknown order: the same 404, nothing written", async () => {
    const token = await issuer.token({ sub: 'cust-8' });
    const foreign = await erase(bearer(token));
    ddbMock.on(GetCommand).resolves({});
    const unknown = await erase(bearer(token));
    expect(foreign.statusCode).toBe(404);
    expect(foreign).toEqual(unknown);
    expect(await erase(bearer(token), 'not-a-uuid')).toEqual(unknown);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('401 without a valid token, before any read', async () => {
    for (const headers of [{}, bearer(await issuer.token({ foreignKey: true })), bearer(await issuer.token({ omitScope: true }))]) {
      expect((await erase(headers)).statusCode).toBe(401);
    }
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('DELETE /orders/{orderId}/personal-data: its log lines', () => {
  let byMessage: ReturnType<typeof captureLogLines>['byMessage'];
  beforeEach(() => ({ byMessage } = captureLogLines()));
  afterEach(() => vi.restoreAllMocks());

  it("an audit line per erasure: which order, who asked (the token's sub), and no data", async () => {
    await erase(bearer(await issuer.token({ sub: 'cust-7' })));
    expect(byMessage('personal data erased')).toEqual([expect.objectContaining({ orderId: ID, caller: 'cust-7', correlationId: expect.any(String) })]);
  });

  it('without authentication (the local demo) the audit line names no caller', async () => {
    const open = checked('erasePersonalData', createHandler(configWith({ AUTH_MODE: 'off', STAGE: 'local' })));
    expect((await open(httpEvent({ method: 'DELETE', rawPath: `/orders/${ID}/personal-data`, pathParameters: { orderId: ID } }))).statusCode).toBe(200);
    const [audit, ...more] = byMessage('personal data erased');
    expect(more).toEqual([]);
    expect(audit).toMatchObject({ orderId: ID });
    expect(audit).not.toHaveProperty('caller');
  });

  it("a refusal and a failure are logged as the erasure route's own", async () => {
    await erase({});
    expect(byMessage('erasure refused')).toHaveLength(1);
    ddbMock.on(PutCommand).rejects(new Error('dynamodb down'));
    expect((await erase(bearer(await issuer.token({ sub: 'cust-7' })))).statusCode).toBe(500);
    expect(byMessage('erasure failed')).toHaveLength(1);
  });
});
