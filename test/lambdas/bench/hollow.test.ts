import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { hollowHandler } from '../../../lambdas/bench/hollow';
import { makeWorker, type WorkerConfig, type WorkerContext } from '../../../lambdas/adapters/worker';
import { relayRecord } from '../../../lambdas/outbox/relay';
import { parseEnvelope, type Envelope, type EventType } from '../../../lambdas/core/events';
import { orderPlaced } from '../../../lambdas/core/order';
import { SERVICES, type ServiceName } from '../../../lambdas/services/registry';
import { ENV } from '../../../lambdas/contract';

process.env[ENV.ordersTable] = 'orders-table';
process.env[ENV.topicArn] = 'arn:aws:sns:us-east-1:000000000000:order-events';
const { handler: hollowPost } = await import('../../../lambdas/bench/hollow-post');

const ddbMock = mockClient(DynamoDBDocumentClient);
const snsMock = mockClient(SNSClient);
beforeEach(() => {
  ddbMock.reset();
  snsMock.reset();
});

const ORDER = {
  customerId: 'bench',
  email: 'bench@example.com',
  currency: 'USD',
  items: [
    { sku: 'SKU-1', quantity: 1 },
    { sku: 'SKU-2', quantity: 2 },
  ],
};
// The hollow handler touches nothing of its context: any use of it throws.
const untouchable = new Proxy(
  {},
  {
    get: () => {
      throw new Error('the hollow handler used its context');
    },
  },
) as WorkerContext;

/**
 * Delivers `first` as the topic would (to every service whose subscription lets it through) and each hollow
 * service's emits in turn, until nothing is left: every message each service receives, and every event published.
 */
async function fanOut(first: Envelope) {
  const received: Record<string, EventType[]> = {};
  const published: EventType[] = [];
  const pending = [first];
  while (pending.length) {
    const event = pending.shift()!;
    published.push(event.eventType);
    for (const service of SERVICES.filter((s) => s.consumes.includes(event.eventType))) {
      (received[service.name] ??= []).push(event.eventType);
      const { emits = [] } = await hollowHandler(service.name)(event, untouchable);
      // What the shared runtime would refuse (assertDeclared) must not be emitted here either.
      for (const e of emits) expect(service.emits).toContain(e.eventType);
      pending.push(...emits.map((e) => parseEnvelope(JSON.stringify(e))));
    }
  }
  return { received, published };
}

describe('hollow services (the like-for-like ceiling of npm run bench)', () => {
  it("publish the confirmed order's events, each once, so every queue gets the messages it gets in the pipeline", async () => {
    const { received, published } = await fanOut(orderPlaced('o-1', ORDER as never, 'corr-1', '2026-12-06T00:00:00.000Z'));
    // The happy path of the lifecycle (README): placed, charged and reserved, confirmed.
    expect(published).toEqual(['OrderPlaced', 'PaymentCharged', 'StockReserved', 'OrderConfirmed']);
    expect(received).toEqual({
      payment: ['OrderPlaced'],
      inventory: ['OrderPlaced'],
      orders: ['PaymentCharged', 'StockReserved'],
      shipping: ['OrderConfirmed'],
      notification: ['OrderConfirmed'],
      analytics: ['OrderConfirmed'],
    } satisfies Record<ServiceName, EventType[]>);
  });

  it("emit nothing for the aggregate's deadline copy of OrderPlaced, nor for a cancellation", async () => {
    const placed = orderPlaced('o-2', ORDER as never, 'corr-2', '2026-12-06T00:00:00.000Z');
    expect((await hollowHandler('orders')(placed, untouchable)).emits).toEqual([]);
    const cancelled = parseEnvelope(
      JSON.stringify({
        ...placed,
        eventId: 'e-c',
        eventType: 'OrderCancelled',
        payload: { reason: 'TIMEOUT', currency: 'USD', cancelledAt: placed.occurredAt },
      }),
    );
    for (const s of ['payment', 'inventory', 'notification', 'analytics'] as const) expect((await hollowHandler(s)(cancelled, untouchable)).emits).toEqual([]);
  });

  it('run inside the shared worker runtime: a batch is acknowledged and each emit is published once, nothing else sent', async () => {
    const config: WorkerConfig = {
      serviceTable: 'payment-table',
      ordersTable: 'orders-table',
      catalogTable: 'catalog-table',
      topicArn: process.env[ENV.topicArn],
      idempotencyTtlSeconds: 60,
      faultsEnabled: false,
    };
    const worker = makeWorker('payment', hollowHandler('payment'), config);
    const placed = orderPlaced('o-3', ORDER as never, 'corr-3', '2026-12-06T00:00:00.000Z');
    const event = {
      Records: [{ messageId: 'm-1', body: JSON.stringify(placed), attributes: { ApproximateReceiveCount: '1' } }],
    } as unknown as SQSEvent;
    const context = { getRemainingTimeInMillis: () => 10_000 } as Context;
    expect(await worker(event, context)).toEqual({ batchItemFailures: [] });
    const sent = snsMock.commandCalls(PublishCommand).map((c) => JSON.parse(c.args[0].input.Message!) as Envelope);
    expect(sent.map((e) => [e.eventType, e.orderId])).toEqual([['PaymentCharged', 'o-3']]);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('hollow POST /orders', () => {
  it("writes only the order's OUTBOX item, which the real relay publishes as the order's OrderPlaced, and answers 202", async () => {
    ddbMock.on(PutCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'x' });
    const res = await hollowPost({ body: JSON.stringify(ORDER), isBase64Encoded: false, requestContext: { requestId: 'req-1' } } as never);
    expect(res.statusCode).toBe(202);
    const { orderId } = JSON.parse(String(res.body)) as { orderId: string };
    const puts = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(1);
    expect(ddbMock.calls()).toHaveLength(1);
    expect(puts[0]!.TableName).toBe('orders-table');
    const item = puts[0]!.Item!;
    expect(item.pk).toBe(`OUTBOX#${orderId}`);

    const record = {
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: '1', NewImage: marshall(item, { removeUndefinedValues: true }) },
    } as unknown as DynamoDBRecord;
    await relayRecord(record);
    const published = snsMock.commandCalls(PublishCommand).map((c) => parseEnvelope(c.args[0].input.Message!));
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      eventType: 'OrderPlaced',
      orderId,
      correlationId: 'req-1',
      payload: { customerId: 'bench', currency: 'USD', items: ORDER.items },
    });
  });
});
