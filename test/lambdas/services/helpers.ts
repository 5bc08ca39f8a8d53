/**
 * Shared fixtures of the service tests: table names in the environment, a worker context, envelopes, and helpers to
 * read the commands a handler sent to the (mocked) DynamoDB document client.
 */
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Inbox } from '../../../lambdas/adapters/inbox';
import { inboxKey } from '../../../lambdas/adapters/keys';
import type { WorkerContext } from '../../../lambdas/adapters/worker';
import { SCHEMA_VERSION, type Envelope, type EventType, type Payload } from '../../../lambdas/core/events';
import type { ServiceName } from '../../../lambdas/services/registry';

export const TABLES = { service: 'service-table', orders: 'orders-table', catalog: 'catalog-table' } as const;

process.env.SERVICE_TABLE = TABLES.service;
process.env.ORDERS_TABLE = TABLES.orders;
process.env.CATALOG_TABLE = TABLES.catalog;
process.env.TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:order-events';

export const ddbMock = mockClient(DynamoDBDocumentClient);

export const context = (service: ServiceName): WorkerContext => ({ service, inbox: new Inbox(TABLES.service, 3600), remainingMs: () => 10_000 });

export function envelope<T extends EventType>(eventType: T, payload: Payload<T>, over: Partial<Envelope> = {}): Envelope<T> {
  return {
    eventId: `evt-${eventType}`,
    eventType,
    schemaVersion: SCHEMA_VERSION,
    occurredAt: '2024-05-01T10:00:00.000Z',
    correlationId: 'corr-1',
    orderId: 'order-1',
    payload,
    ...(over as object),
  } as Envelope<T>;
}

export type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/** The TransactItems of every TransactWrite the handler sent, in order. */
export const transactions = (): TransactItems[] => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);

/** The inbox record (always the last item) of the last transaction: what a redelivery would find. */
export function lastInboxRecord(): Record<string, unknown> {
  const all = transactions();
  const items = all[all.length - 1];
  if (!items) throw new Error('no transaction was sent');
  return items[items.length - 1]!.Put!.Item as Record<string, unknown>;
}

/** Make the inbox answer `record` for `eventId` (a redelivery after the first attempt committed). */
export function inboxHolds(eventId: string, record: Record<string, unknown>): void {
  ddbMock.on(GetCommand, { TableName: TABLES.service, Key: inboxKey(eventId) }).resolves({ Item: record });
}

/** A TransactionCanceledException with one reason code per item, like DynamoDB's. */
export function cancelled(codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

export function conditionalCheckFailed(): Error {
  return Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
}
