/**
 * The benchmark's hollow POST /orders (deployed only with `-c bench=hollow`, local stage; see ./hollow.ts): no
 * validation, no order, no personal data, no transaction; one PutItem of the OrderPlaced event's OUTBOX item, the
 * same item the real handler writes in its transaction, so the stream, the relay and the fan-out behind it are the
 * pipeline's own. Logs its one line like the real handler and answers 202 with the order id.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { countingRequests, ddb } from '../adapters/aws';
import { required } from '../adapters/env';
import { logger } from '../adapters/logger';
import { outboxItem } from '../adapters/order-placement';
import { newOrderId } from '../core/ids';
import { orderPlaced, type OrderRequest } from '../core/order';
import { bodyBytes, bodyText, type HttpEvent } from '../api/http';
import { ENV } from '../contract';

const table = required(ENV.ordersTable);

export const handler = async (event: HttpEvent): Promise<APIGatewayProxyStructuredResultV2> => {
  // The bench's own body, trusted: parsing it is all the hollow handler does with it.
  const order = JSON.parse(bodyText(bodyBytes(event)) ?? '{}') as OrderRequest;
  const orderId = newOrderId();
  const correlationId = event.requestContext?.requestId ?? orderId;
  const now = new Date();
  const placed = orderPlaced(orderId, order, correlationId, now.toISOString());
  const { requests } = await countingRequests(() => ddb.send(new PutCommand({ TableName: table, Item: outboxItem(placed, now) })));
  logger.info('order accepted', { correlationId, orderId, sdkRequests: requests.total, requests: requests.byCommand, rcu: requests.rcu, wcu: requests.wcu });
  return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId, status: 'ACCEPTED' }) };
};
