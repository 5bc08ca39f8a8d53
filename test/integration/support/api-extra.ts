/**
 * Helpers shared by the idempotency, rejection, business-outcome and publish-failure suites: what the orders table
 * holds for one customer, service-table lookups, catalog stock, DLQ depth, and polling an order to an expected state.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand, paginateScan, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { SERVICES, type ServiceName } from '../../../lambdas/services/registry';
import { STACK_OUTPUTS } from '../../../lib/outputs';
import { getOrder } from './api';
import { ddb, dlqUrl, output, pollUntil, queueUrl, sqs } from './stack';

export type Item = Record<string, any>;

export const ordersTable = () => output(STACK_OUTPUTS.ordersTableName);
export const catalogTable = () => output(STACK_OUTPUTS.catalogTableName);

/** Every item of a (paginated) Scan with the given filter, strongly consistent. */
export async function scanAll(input: Omit<ScanCommandInput, 'ExclusiveStartKey' | 'ConsistentRead'>): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateScan({ client: ddb }, { ...input, ConsistentRead: true })) items.push(...((page.Items ?? []) as Item[]));
  return items;
}

export interface CustomerItems {
  orders: Item[];
  outbox: Item[];
  idempotency: Item[];
  /** Everything the filter matched, whatever its kind. */
  all: Item[];
}

/**
 * The orders-table items that belong to a customer: ORDER items carry `customerId`, OUTBOX items carry it in the
 * event's payload (`event.payload.customerId`), API idempotency records carry it in their key
 * (`IDEMPOTENCY#<customer>#<key>`).
 */
export async function customerItems(customerId: string): Promise<CustomerItems> {
  const all = await scanAll({
    TableName: ordersTable(),
    FilterExpression: 'customerId = :c OR #event.#payload.customerId = :c OR begins_with(pk, :idem)',
    ExpressionAttributeNames: { '#event': 'event', '#payload': 'payload' },
    ExpressionAttributeValues: { ':c': customerId, ':idem': `IDEMPOTENCY#${customerId}#` },
  });
  return {
    orders: all.filter((i) => i.sk === 'ORDER'),
    outbox: all.filter((i) => typeof i.sk === 'string' && i.sk.startsWith('OUTBOX#')),
    idempotency: all.filter((i) => i.sk === 'IDEMPOTENCY'),
    all,
  };
}

/** One item of a table by key, strongly consistent. */
export async function getItem(table: string, key: Record<string, unknown>): Promise<Item | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
  return Item as Item | undefined;
}

/** Items of a table whose `pk` starts with the given prefix. */
export const itemsWithPkPrefix = (table: string, prefix: string) =>
  scanAll({ TableName: table, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': prefix } });

/** The catalog's current stock of a SKU. */
export async function stockOf(sku: string): Promise<number> {
  const item = await getItem(catalogTable(), { pk: sku });
  if (typeof item?.stock !== 'number') throw new Error(`catalog has no stock for ${sku}: ${JSON.stringify(item)}`);
  return item.stock;
}

/** ApproximateNumberOfMessages of every registry service's DLQ. */
export async function dlqDepths(): Promise<Record<ServiceName, number>> {
  const entries = await Promise.all(
    SERVICES.map(async (s) => {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl(s.name), AttributeNames: ['ApproximateNumberOfMessages'] }));
      return [s.name, Number(Attributes?.ApproximateNumberOfMessages ?? NaN)] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<ServiceName, number>;
}

export const serviceStatuses = (view: { services?: Record<string, { status: string }> }) =>
  Object.fromEntries(Object.entries(view.services ?? {}).map(([k, v]) => [k, v.status]));

/**
 * Polls GET until the order has the given status and every listed service shows its expected status (a compensation
 * such as RELEASED or REFUNDED comes after the decision, so "no longer PENDING" is not enough).
 */
export function untilOrderState(orderId: string, status: string, services: Record<string, string>, timeoutMs = 45_000) {
  return pollUntil(
    () => getOrder(orderId),
    (r) => r.status === 200 && r.body.status === status && Object.entries(services).every(([s, want]) => r.body.services?.[s]?.status === want),
    { timeoutMs, what: `order ${orderId} to be ${status} with ${JSON.stringify(services)}` },
  ).then((r) => r.body);
}

/** Visible + in-flight messages of every registry service's main queue (in flight = being processed or awaiting retry). */
export async function queueBacklogs(): Promise<Record<ServiceName, number>> {
  const entries = await Promise.all(
    SERVICES.map(async (s) => {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl(s.name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return [s.name, Number(Attributes?.ApproximateNumberOfMessages ?? NaN) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? NaN)] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<ServiceName, number>;
}
