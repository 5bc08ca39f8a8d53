/**
 * The one registry of services. It drives the infrastructure (one queue + DLQ + subscription filtered on
 * `consumes`, one worker function, its grants) and the workers (lambdas/services/<name>/handler.ts).
 * A sixth service is one entry here and one handler file. Plain data: imported by the CDK app and by Lambdas.
 */
import type { EventType } from '../core/events';

export type ServiceName = 'orders' | 'payment' | 'inventory' | 'shipping' | 'notification' | 'analytics';

export interface ServiceDefinition {
  readonly name: ServiceName;
  readonly summary: string;
  /** Event types routed to this service's queue by the subscription filter policy. */
  readonly consumes: readonly EventType[];
  /**
   * Event types this service receives a second time, delayed by the stage's order deadline, through a delay queue
   * of its own (the orders aggregator: an order still undecided then is cancelled with reason TIMEOUT).
   */
  readonly afterDeadline?: readonly EventType[];
  /** Event types this service publishes (grants sns:Publish when non-empty). */
  readonly emits: readonly EventType[];
  /** What the worker may touch, for least-privilege grants. */
  readonly access: {
    readonly orders: 'read' | 'write';
    readonly catalog?: 'read' | 'write';
  };
  /** Shown to clients in GET /orders/{id} as `services.<name>`; the aggregator shows as the order status instead. */
  readonly showsStatus: boolean;
  /** Per-service overrides of the stage's worker defaults (lib/stages.ts). */
  readonly limits?: { readonly batchSize?: number; readonly maxConcurrency?: number };
}

export const SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'orders',
    summary: 'The order aggregate: records payment/inventory outcomes and decides CONFIRMED or CANCELLED once, or TIMEOUT at the deadline.',
    consumes: ['PaymentCharged', 'PaymentDeclined', 'OrderRejected', 'StockReserved', 'StockBackordered'],
    afterDeadline: ['OrderPlaced'],
    emits: ['OrderConfirmed', 'OrderCancelled'],
    access: { orders: 'write' },
    showsStatus: false,
  },
  {
    name: 'payment',
    summary: "Fixes the order's price once, then charges it; on a cancelled order refunds whatever was charged.",
    consumes: ['OrderPlaced', 'OrderCancelled'],
    emits: ['PaymentCharged', 'PaymentDeclined', 'OrderRejected'],
    access: { orders: 'write', catalog: 'read' },
    showsStatus: true,
  },
  {
    name: 'inventory',
    summary: 'Reserves every line in one transaction; on a cancelled order releases whatever was reserved.',
    consumes: ['OrderPlaced', 'OrderCancelled'],
    emits: ['StockReserved', 'StockBackordered'],
    access: { orders: 'write', catalog: 'write' },
    showsStatus: true,
  },
  {
    name: 'shipping',
    summary: 'Creates the shipment request of a confirmed order.',
    consumes: ['OrderConfirmed'],
    emits: [],
    access: { orders: 'write' },
    showsStatus: true,
  },
  {
    name: 'notification',
    summary: 'Sends one e-mail per order and kind (confirmed / cancelled) through a deduplicating sender.',
    consumes: ['OrderConfirmed', 'OrderCancelled'],
    emits: [],
    access: { orders: 'write' },
    showsStatus: true,
  },
  {
    name: 'analytics',
    summary: 'Counts confirmed and cancelled orders and revenue per day and currency, in sharded counters.',
    consumes: ['OrderConfirmed', 'OrderCancelled'],
    emits: [],
    access: { orders: 'write' },
    showsStatus: true,
  },
];

export const serviceNamed = (name: string): ServiceDefinition => {
  const found = SERVICES.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service ${name}`);
  return found;
};

/** Conventional entry file of a service's worker (bundled by the CDK, one bundle per service). */
export const handlerEntry = (name: ServiceName): string => `lambdas/services/${name}/handler.ts`;
