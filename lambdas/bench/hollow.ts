/**
 * The benchmark's hollow services (deployed only with `-c bench=hollow`, local stage): the same topology as the
 * pipeline (API route, stream, relay, topic, every queue and worker, the shared worker runtime) with the work taken
 * out, so `npm run bench -- --only like-for-like` measures what the emulator can carry for this shape of stack.
 *
 * A hollow service reads and writes nothing: it emits, from the event alone, what its service emits on the happy
 * path of the bench's order (charged, reserved, confirmed), so every queue receives the same messages per order as
 * in the real pipeline. The aggregate confirms on PaymentCharged (the real one on the second of both outcomes): one
 * OrderConfirmed per order either way.
 */
import { outcomeEvent, type Envelope, type EventType } from '../core/events';
import type { ServiceName } from '../services/registry';
import type { HandlerResult, ServiceHandler } from '../adapters/worker';

type Emit = (event: Envelope) => Envelope;

const HAPPY_PATH: Partial<Record<ServiceName, Partial<Record<EventType, Emit>>>> = {
  payment: {
    OrderPlaced: (e) => outcomeEvent('PaymentCharged', e, 'payment', { amountCents: 0, currency: currencyOf(e), chargeId: `hollow-${e.orderId}` }),
  },
  inventory: {
    OrderPlaced: (e) => outcomeEvent('StockReserved', e, 'inventory', { skus: e.eventType === 'OrderPlaced' ? e.payload.items.map((i) => i.sku) : [] }),
  },
  orders: {
    PaymentCharged: (e) =>
      outcomeEvent('OrderConfirmed', e, 'orders', {
        amountCents: e.eventType === 'PaymentCharged' ? e.payload.amountCents : 0,
        currency: currencyOf(e),
        confirmedAt: new Date().toISOString(),
      }),
  },
};

function currencyOf(e: Envelope): string {
  return 'currency' in e.payload && typeof e.payload.currency === 'string' ? e.payload.currency : 'USD';
}

/** The hollow handler of a service: no I/O, the happy path's emits (none for the services that only record). */
export function hollowHandler(service: ServiceName): ServiceHandler {
  const emits = HAPPY_PATH[service] ?? {};
  return async (event): Promise<HandlerResult> => {
    const emit = emits[event.eventType];
    return { outcome: 'HOLLOW', emits: emit ? [emit(event)] : [] };
  };
}
