import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ddbMock, envelope, stubWorkerEnvironment, TABLES, transactions } from './helpers';
import { handlerEntry, type ServiceName } from '../../../lambdas/services/registry';

const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const OWNED: ServiceName[] = ['orders', 'payment', 'inventory', 'shipping', 'notification', 'analytics'];

beforeAll(stubWorkerEnvironment);
afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
});

describe('worker entry points', () => {
  it.each(OWNED)('%s: the registry entry file exports an SQS handler', async (name) => {
    const mod = (await import(`../../../${handlerEntry(name)}`)) as { handler: (e: SQSEvent, c: Context) => Promise<unknown> };
    expect(await mod.handler({ Records: [] }, context)).toEqual({ batchItemFailures: [] });
  });

  it('analytics handler: one SQS record in, one transaction on the service table out', async () => {
    const { handler } = await import('../../../lambdas/services/analytics/handler');
    const e = envelope('OrderConfirmed', { amountCents: 100, currency: 'USD', confirmedAt: '2024-05-01T10:00:00.000Z' });
    const record = { messageId: 'm1', body: JSON.stringify(e), attributes: { ApproximateReceiveCount: '1' } };
    expect(await handler({ Records: [record] } as unknown as SQSEvent, context)).toEqual({ batchItemFailures: [] });
    const [items] = transactions();
    expect(items).toHaveLength(4);
    expect(items![0]!.Update!.TableName).toBe(TABLES.service);
    expect(items![3]!.Put!.Item).toMatchObject({ pk: `INBOX#${e.eventId}` });
  });
});
