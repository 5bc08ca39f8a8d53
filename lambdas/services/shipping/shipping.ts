/**
 * Shipping: a confirmed order gets one shipment request. Only OrderConfirmed is routed here, so a cancelled
 * order can never ship. The shipment put, the status and the inbox record commit together.
 */
import { ENV, required } from '../../adapters/env';
import { statusWrite } from '../../adapters/status';
import type { ServiceHandler } from '../../adapters/worker';

export const shipmentKey = (orderId: string) => ({ pk: `SHIPMENT#${orderId}`, sk: 'SHIPMENT' });

export const shipping: ServiceHandler = async (event, { inbox, service }) => {
  if (event.eventType !== 'OrderConfirmed') return { outcome: 'IGNORED' };
  const { duplicate } = await inbox.once(event, async () => ({
    emits: [],
    writes: [
      {
        Put: {
          TableName: required(ENV.serviceTable),
          Item: { ...shipmentKey(event.orderId), orderId: event.orderId, state: 'REQUESTED', requestedAt: new Date().toISOString(), sourceEventId: event.eventId },
          // One shipment per order, whatever event id asked for it.
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      statusWrite(event.orderId, service, 'REQUESTED'),
    ],
  }));
  return { duplicate, outcome: 'REQUESTED' };
};
