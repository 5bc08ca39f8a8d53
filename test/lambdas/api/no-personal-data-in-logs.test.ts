/**
 * Every handler path of the API and the relay logs at least one line (MiniStack charges ~46 ms to a silent handler)
 * and never the e-mail address, the shipping address or the payment token, at any level.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand, BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelled, checked, configWith, ddbMock, httpEvent, postEvent, SECRETS, storeHolds, validOrder } from './fixtures';
import { createHandler as createPostOrder } from '../../../lambdas/api/post-order';
import { createHandler as createGetOrder } from '../../../lambdas/api/get-order';
import { handler as relay } from '../../../lambdas/outbox/relay';
import { logger } from '../../../lambdas/adapters/logger';
import { orderTransaction } from '../../../lambdas/adapters/order-placement';

const snsMock = mockClient(SNSClient);
// As in the local stage, where the fault hooks are on (the relay reads FAULTS_ENABLED itself: set below).
const postOrder = checked('placeOrder', createPostOrder(configWith({ FAULTS_ENABLED: 'true' })));
const getOrder = checked('getOrder', createGetOrder(configWith()));
const ID = '3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f';
const context = { functionName: 'relay', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const secrets = [...Object.values(SECRETS), 'ada.lovelace', 'Analytical'];

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  ddbMock.reset();
  snsMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  logger.setLogLevel('DEBUG');
  process.env.FAULTS_ENABLED = 'true';
  // Powertools writes JSON lines through its own Console on process.stdout / process.stderr.
  const capture = (chunk: unknown) => (lines.push(String(chunk)), true);
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.FAULTS_ENABLED;
});

function expectCleanLogs(): void {
  expect(lines.length).toBeGreaterThan(0);
  const all = lines.join('\n');
  for (const s of secrets) expect(all).not.toContain(s);
}

const raw = JSON.stringify(validOrder());

describe('POST /orders logs', () => {
  it.each([
    ['202', () => postEvent(validOrder(), { headers: { 'x-fault-inject': 'publish-fail-once' } })],
    ['415', () => httpEvent({ body: raw, headers: { 'content-type': 'text/plain' } })],
    ['413', () => postEvent(JSON.stringify({ ...validOrder(), pad: 'x'.repeat(40_000) }))],
    ['400 malformed JSON quoting the secrets', () => postEvent(raw.slice(0, -1))],
    [
      '400 schema with secrets in the offending fields',
      () =>
        postEvent({
          ...validOrder(),
          email: `${SECRETS.email}@@`,
          paymentToken: SECRETS.token.repeat(20),
          shippingAddress: { line1: SECRETS.line1, city: SECRETS.city, postalCode: SECRETS.postalCode.repeat(5), country: 'GB' },
        }),
    ],
    ['400 bad key', () => postEvent(validOrder(), { headers: { 'idempotency-key': SECRETS.email } })],
    ['400 with an e-mail address as an unknown key', () => postEvent({ ...validOrder(), [SECRETS.email]: true })],
  ])('%s', async (_name, event) => {
    await postOrder(event());
    expectCleanLogs();
  });

  it('replay and 422', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }]));
    ddbMock.on(GetCommand).resolves({ Item: { orderId: ID, requestHash: 'other', expiresAt: Date.now() / 1000 + 60 } });
    expect((await postOrder(postEvent(validOrder(), { headers: { 'idempotency-key': 'k' } }))).statusCode).toBe(422);
    expectCleanLogs();
  });

  it('500', async () => {
    ddbMock.on(TransactWriteCommand).rejects(new Error('service unavailable'));
    expect((await postOrder(postEvent(validOrder()))).statusCode).toBe(500);
    expectCleanLogs();
  });
});

describe('GET /orders/{id} logs', () => {
  const get = () => getOrder(httpEvent({ method: 'GET', rawPath: `/orders/${ID}`, pathParameters: { orderId: ID } }));

  it('200, 404, 500', async () => {
    storeHolds(
      { sk: 'ORDER', orderId: ID, customerId: 'c-1', currency: 'GBP', items: [], createdAt: '2024-05-01T10:00:00.000Z' },
      { sk: 'PII', orderId: ID, email: SECRETS.email, shippingAddress: validOrder().shippingAddress },
    );
    expect((await get()).statusCode).toBe(200);
    storeHolds();
    expect((await get()).statusCode).toBe(404);
    ddbMock.on(BatchGetCommand).rejects(new Error('down'));
    expect((await get()).statusCode).toBe(500);
    expectCleanLogs();
  });
});

describe('outbox relay logs', () => {
  const outbox = orderTransaction(
    { orderId: ID, order: validOrder(), correlationId: 'corr-1', now: new Date(), faults: ['publish-fail-once'] },
    'orders-table',
  )[1]!.Put!.Item!;
  const stream = (item: Record<string, unknown>): DynamoDBStreamEvent => ({
    Records: [{ eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: marshall(item) as never } }],
  });

  it('published, injected fault, publish failure, malformed item', async () => {
    ddbMock.on(PutCommand).resolves({});
    expect(await relay(stream(outbox), context)).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }] });
    ddbMock.on(PutCommand).rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' }));
    expect(await relay(stream(outbox), context)).toEqual({ batchItemFailures: [] });
    snsMock.on(PublishCommand).rejects(new Error('sns down'));
    expect(await relay(stream(outbox), context)).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }] });
    const broken = { ...outbox, event: { ...(outbox.event as object), schemaVersion: 2 } };
    expect(await relay(stream(broken), context)).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }] });
    expect(lines.some((l) => l.includes('"message":"published"') && l.includes(ID) && l.includes('corr-1'))).toBe(true);
    expectCleanLogs();
  });
});
