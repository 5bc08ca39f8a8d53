/**
 * Shipping: a confirmed order gets one shipment request. Only OrderConfirmed is routed here, so a cancelled
 * order can never ship. The shipment put, the status and the inbox record commit together. The shipment is keyed on
 * the order, so a redelivery after the inbox record expired (a late redrive) finds it and counts as a duplicate.
 */
import { ENV, required } from '../../adapters/env';
import { statusWrite } from '../../adapters/status';
import type { ServiceHandler } from '../../adapters/worker';

export const shipmentKey = (orderId: string) => ({ pk: `SHIPMENT#${orderId}`, sk: 'SHIPMENT' });

export const shipping: ServiceHandler = async (event, { inbox, service }) => {
  if (event.eventType !== 'OrderConfirmed') return { outcome: 'IGNORED' };
  const status = statusWrite(event.orderId, service, 'REQUESTED');
  const { duplicate } = await inbox.once(event, async () => ({
    emits: [],
    // An existing shipment (write 0) is the shipment: done before.
    doneBefore: { marker: 0, writes: [status] },
    writes: [
      {
        Put: {
          TableName: required(ENV.serviceTable),
          Item: { ...shipmentKey(event.orderId), orderId: event.orderId, state: 'REQUESTED', requestedAt: new Date().toISOString(), sourceEventId: event.eventId },
          // One shipment per order, whatever event id asked for it.
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      status,
    ],
  }));
  return { duplicate, outcome: 'REQUESTED' };
};
