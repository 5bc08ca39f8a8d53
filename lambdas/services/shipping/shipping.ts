/**
 * Shipping: a confirmed order gets one shipment request. Only OrderConfirmed is routed here, so a cancelled
 * order can never ship.
 *
 * One item is the effect: the shipment, keyed by order, created once. It carries the inbox marker itself and is
 * written with ONE conditional PutItem (lambdas/adapters/inbox.ts `putOnce`: 1 WCU, no read first) instead of a
 * transaction of shipment + status + inbox record (6 WCU) after a "seen it?" read (1 RCU). The status item follows
 * as a plain put of the same content on every delivery: a crash between the two writes is repaired by the
 * redelivery, which finds the shipment (duplicate) and writes the status again. Total: 2 WCU per message.
 * The marker never expires with the shipment, so a late redrive is recognised too; an existing shipment requested
 * by another event id is the shipment: done before (a duplicate), not poison.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../../adapters/aws';
import { statusWrite } from '../../adapters/status';
import type { ServiceHandler } from '../../adapters/worker';

export const shipmentKey = (orderId: string) => ({ pk: `SHIPMENT#${orderId}`, sk: 'SHIPMENT' });

export const shipping: ServiceHandler = async (event, { inbox, service, config }) => {
  if (event.eventType !== 'OrderConfirmed') return { outcome: 'IGNORED' };
  const requestedAt = new Date().toISOString();
  const shipment = { ...shipmentKey(event.orderId), orderId: event.orderId, state: 'REQUESTED', requestedAt, sourceEventId: event.eventId };
  // One shipment per order, whatever event id asked for it (PayloadMismatchError for a reused id with another payload).
  const result = await inbox.putOnce(event, [], { TableName: config.serviceTable, Item: shipment });
  // The status says when the shipment was requested: the first delivery's time, so a replay writes the same item.
  const at = result.outcome === 'committed' ? requestedAt : String(result.item.requestedAt ?? requestedAt);
  const status = statusWrite(config.ordersTable, event.orderId, service, 'REQUESTED').Put!;
  await ddb.send(new PutCommand({ TableName: status.TableName, Item: { ...status.Item, updatedAt: at } }));
  return { duplicate: result.outcome !== 'committed', outcome: 'REQUESTED', marker: shipmentKey(event.orderId) };
};
