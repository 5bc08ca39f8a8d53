/**
 * Shared fixtures of the service tests: a worker configuration and context (no environment), envelopes, and helpers to
 * read the commands a handler sent to the (mocked) DynamoDB document client.
 */
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { SQSRecord } from 'aws-lambda';
import { Inbox } from '../../../lambdas/adapters/inbox';
import { inboxKey } from '../../../lambdas/adapters/keys';
import type { WorkerConfig, WorkerContext } from '../../../lambdas/adapters/worker';
import { SCHEMA_VERSION, type Envelope, type EventType, type Payload } from '../../../lambdas/core/events';
import { SERVICES, type ServiceName } from '../../../lambdas/services/registry';

export const TABLES = { service: 'service-table', orders: 'orders-table', catalog: 'catalog-table' } as const;

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:order-events';

/** What `workerConfig` would read from a worker's environment; fault hooks off unless a test turns them on. */
export const workerConfigFor = (over: Partial<WorkerConfig> = {}): WorkerConfig => ({
  serviceTable: TABLES.service,
  ordersTable: TABLES.orders,
  catalogTable: TABLES.catalog,
  topicArn: TOPIC_ARN,
  idempotencyTtlSeconds: 3600,
  faultsEnabled: false,
  ...over,
});

/**
 * For a test that imports a Lambda entry file: it builds its worker at import, reading the environment once as on a
 * cold start, so the environment gets what lib/constructs/worker.ts would set (undone by `vi.unstubAllEnvs`).
 */
export function stubWorkerEnvironment(): void {
  vi.stubEnv('SERVICE_TABLE', TABLES.service);
  vi.stubEnv('ORDERS_TABLE', TABLES.orders);
  vi.stubEnv('CATALOG_TABLE', TABLES.catalog);
  vi.stubEnv('TOPIC_ARN', TOPIC_ARN);
}

export const ddbMock = mockClient(DynamoDBDocumentClient);

/** The context the worker runtime gives a service's handler: its inbox records only what its registry entry emits. */
export const context = (service: ServiceName, config: WorkerConfig = workerConfigFor()): WorkerContext => ({
  service,
  config,
  inbox: new Inbox(TABLES.service, 3600, SERVICES.find((s) => s.name === service)!.emits),
  remainingMs: () => 10_000,
});

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

/** How many times the handler read an inbox record (a GetItem on INBOX#...). */
export const inboxReads = (): number => ddbMock.commandCalls(GetCommand).filter((c) => String(c.args[0].input.Key?.pk).startsWith('INBOX#')).length;

/**
 * Make the inbox hold `record` for `eventId` (a redelivery after the first attempt committed), as DynamoDB would
 * answer it: a read finds it, and a transaction whose inbox record (last) is this one is cancelled by that record's
 * condition, with the record handed back on its reason when the Put asks for ALL_OLD. Replaces any earlier
 * TransactWrite behaviour of the test; other transactions resolve.
 */
export function inboxHolds(eventId: string, record: Record<string, unknown>): void {
  ddbMock.on(GetCommand, { TableName: TABLES.service, Key: inboxKey(eventId) }).resolves({ Item: record });
  ddbMock.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
    const items = input.TransactItems ?? [];
    const put = items[items.length - 1]?.Put;
    if (put?.TableName !== TABLES.service || put.Item?.pk !== inboxKey(eventId).pk) return {};
    const returned = put.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? record : undefined;
    throw cancelled(
      items.map((_, i) => (i === items.length - 1 ? 'ConditionalCheckFailed' : 'None')),
      returned,
    );
  });
}

/**
 * A TransactionCanceledException with one reason code per item, like DynamoDB's; `lastItem` is the item DynamoDB
 * hands back on the last reason (a failed condition of a write that asked for ALL_OLD), marshalled as on the wire.
 */
export function cancelled(codes: string[], lastItem?: Record<string, unknown>): TransactionCanceledException {
  const item = lastItem && marshall(lastItem, { removeUndefinedValues: true });
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code, i) => (item && i === codes.length - 1 ? { Code, Item: item } : { Code })),
  });
}

export function conditionalCheckFailed(): Error {
  return Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
}

/**
 * Contention retries inside commits wait a random (full-jitter) time; with Math.random at 0 every wait is 0 ms, so a
 * test of the retry path is fast and its attempt count is still the real one. Restored by vi.restoreAllMocks().
 */
export function instantBackoff(): void {
  vi.spyOn(Math, 'random').mockReturnValue(0);
}

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

/**
 * A small in-memory DynamoDB behind the mocked document client, for tests whose point is what happens across
 * attempts and concurrent copies (a retry after a catalog edit, a cancellation racing a charge): Get, Put, Delete,
 * BatchGet and TransactWrite with the condition and update expressions the services use (anything else throws, so a
 * test never passes on an expression the fake silently misread). A transaction checks every condition first and
 * is cancelled with per-item reason codes like DynamoDB's; otherwise all its writes apply.
 */
export class FakeTables {
  readonly items = new Map<string, Item>();
  /** Make the next TransactWrite fail with this error before it applies anything (a crash, a timeout). */
  failNextTransact?: Error;

  static id(table: string, key: Item): string {
    return `${table}|${String(key.pk)}|${String(key.sk ?? '')}`;
  }

  get(table: string, key: Item): Item | undefined {
    const item = this.items.get(FakeTables.id(table, key));
    return item && structuredClone(item);
  }

  put(table: string, item: Item): void {
    this.items.set(FakeTables.id(table, item), structuredClone(item));
  }

  delete(table: string, key: Item): void {
    this.items.delete(FakeTables.id(table, key));
  }

  /** Every stored item of a table. */
  all(table: string): Item[] {
    return [...this.items].filter(([id]) => id.startsWith(`${table}|`)).map(([, item]) => item);
  }

  install(): this {
    ddbMock.on(GetCommand).callsFake((input: { TableName: string; Key: Item }) => ({ Item: this.get(input.TableName, input.Key) }));
    ddbMock
      .on(PutCommand)
      .callsFake(
        (input: { TableName: string; Item: Item; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values }) => {
          if (!holds(input.ConditionExpression, input.ExpressionAttributeNames, input.ExpressionAttributeValues, this.get(input.TableName, input.Item)))
            throw conditionalCheckFailed();
          this.put(input.TableName, input.Item);
          return {};
        },
      );
    ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => ({
      Responses: Object.fromEntries(
        Object.entries(input.RequestItems).map(([table, { Keys }]) => [table, Keys.map((k) => this.get(table, k)).filter(Boolean)]),
      ),
    }));
    ddbMock.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
      const failure = this.failNextTransact;
      if (failure) {
        this.failNextTransact = undefined;
        throw failure;
      }
      const items = input.TransactItems ?? [];
      const codes = items.map((t) => {
        const op = (t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck)!;
        const key = t.Put ? t.Put.Item! : (op as { Key: Item }).Key;
        return holds(op.ConditionExpression, op.ExpressionAttributeNames, op.ExpressionAttributeValues, this.get(op.TableName!, key))
          ? 'None'
          : 'ConditionalCheckFailed';
      });
      if (codes.includes('ConditionalCheckFailed')) throw cancelled(codes);
      for (const t of items) {
        if (t.Put) this.put(t.Put.TableName!, t.Put.Item!);
        else if (t.Delete) this.delete(t.Delete.TableName!, t.Delete.Key!);
        else if (t.Update) {
          const { TableName, Key, UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues } = t.Update;
          const item = this.get(TableName!, Key!) ?? { ...Key };
          applySet(item, UpdateExpression!, ExpressionAttributeNames, ExpressionAttributeValues);
          this.put(TableName!, item);
        }
      }
      return {};
    });
    return this;
  }
}

function holds(expression: string | undefined, names: Names, values: Values, item: Item | undefined): boolean {
  if (!expression) return true;
  const name = (n: string) => names?.[n] ?? n;
  let m: RegExpExecArray | null;
  if ((m = /^attribute_not_exists\((\S+)\)$/.exec(expression))) return item?.[name(m[1]!)] === undefined;
  if ((m = /^attribute_exists\((\S+)\)$/.exec(expression))) return item?.[name(m[1]!)] !== undefined;
  if ((m = /^(\S+) = (:\w+)$/.exec(expression))) return item !== undefined && item[name(m[1]!)] === values?.[m[2]!];
  if ((m = /^(\S+) IN \(([^)]*)\)$/.exec(expression))) return item !== undefined && m[2]!.split(/,\s*/).some((v) => item[name(m![1]!)] === values?.[v]);
  throw new Error(`FakeTables: unsupported condition ${expression}`);
}

function applySet(item: Item, expression: string, names: Names, values: Values): void {
  const m = /^SET (.+)$/.exec(expression);
  if (!m) throw new Error(`FakeTables: unsupported update ${expression}`);
  for (const part of m[1]!.split(/,\s*/)) {
    const [lhs, rhs] = part.split(/\s*=\s*/);
    if (!lhs || !rhs?.startsWith(':')) throw new Error(`FakeTables: unsupported update ${part}`);
    item[names?.[lhs] ?? lhs] = values?.[rhs];
  }
}

/** An SQS record as the event source mapping hands it to a worker. */
export function record(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 's', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
    awsRegion: 'us-east-1',
  };
}

type Expressed = {
  ConditionExpression?: string;
  UpdateExpression?: string;
  ProjectionExpression?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
};

/**
 * Why DynamoDB would refuse a request's expressions with a ValidationException, if it would: an empty expression, a
 * placeholder (`:value`, `#name`) the request does not define, or one it defines that no expression uses.
 * FakeTables does not check this (it reads an undefined value as undefined); this does, for any request.
 */
export function expressionProblems(input: Expressed): string[] {
  const fields = ['ConditionExpression', 'UpdateExpression', 'ProjectionExpression', 'KeyConditionExpression', 'FilterExpression'] as const;
  const problems = fields.filter((f) => input[f] !== undefined && input[f]!.trim() === '').map((f) => `empty ${f}`);
  const text = fields.map((f) => input[f] ?? '').join(' ');
  for (const [sigil, defined] of [
    [':', Object.keys(input.ExpressionAttributeValues ?? {})],
    ['#', Object.keys(input.ExpressionAttributeNames ?? {})],
  ] as const) {
    const used = new Set(text.match(new RegExp(`${sigil}[A-Za-z0-9_]+`, 'g')) ?? []);
    for (const u of used) if (!defined.includes(u)) problems.push(`${u} is not defined`);
    for (const d of defined) if (!used.has(d)) problems.push(`${d} is defined but unused`);
  }
  return problems;
}

/** The problems of every request sent to the mocked client (each item of a TransactWrite on its own), by request. */
export function refusedRequests(): { request: unknown; problems: string[] }[] {
  const inputs = ddbMock.calls().flatMap((c) => {
    const input = c.args[0].input as Expressed & TransactWriteCommandInput;
    return input.TransactItems ? input.TransactItems.map((t) => (t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck) as Expressed) : [input];
  });
  return inputs.map((request) => ({ request, problems: expressionProblems(request) })).filter((r) => r.problems.length > 0);
}
