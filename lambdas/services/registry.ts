/**
 * The one registry of services. It drives the infrastructure (one queue + DLQ + subscription filtered on
 * `consumes`, one worker function, its grants) and the workers (lambdas/services/<name>/handler.ts).
 * A sixth service is one entry here and one handler file. Plain data: imported by the CDK app and by Lambdas.
 */
import type { EventType } from '../core/events';
import { KEY_PREFIX } from '../contract';

export type ServiceName = 'orders' | 'payment' | 'inventory' | 'shipping' | 'notification' | 'analytics';

/** The DynamoDB item actions a grant may name (never Scan, BatchWriteItem or a wildcard). */
export type ItemAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

/**
 * One IAM statement on one table: these actions, on items whose partition key starts with one of `keyPrefixes`
 * (`dynamodb:LeadingKeys`; absent = every item, only for a table the function owns or the catalog), reading or
 * writing only `attributes` if given (`dynamodb:Attributes`). A transaction needs the actions of its parts.
 * lib/access.ts turns these into policy statements; test/lib/access.test.ts lists them per function.
 */
export interface ItemGrant {
  /** `own`: the service's own table; `orders`: the orders table; `catalog`: the catalog. */
  readonly table: 'own' | 'orders' | 'catalog';
  /** A global secondary index of that table instead of the table itself (Query only). */
  readonly index?: string;
  readonly actions: readonly ItemAction[];
  readonly keyPrefixes?: readonly string[];
  readonly attributes?: readonly string[];
}

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
  /**
   * What the worker may touch, and nothing more (lib/access.ts). A service that shows its status also writes its own
   * `STATUS#<name>#` items (added by `grantsOf`). Uses the catalog: its table name is in the worker's environment.
   */
  readonly access: readonly ItemGrant[];
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
    access: [
      // The lifecycle item is its idempotency (no inbox): conditional updates, and a read after a lost condition.
      { table: 'orders', keyPrefixes: [KEY_PREFIX.lifecycle], actions: ['GetItem', 'UpdateItem'] },
      // The order's currency (OrderRejected carries none), and nothing else of the order.
      { table: 'orders', keyPrefixes: [KEY_PREFIX.order], actions: ['GetItem'], attributes: ['pk', 'sk', 'currency'] },
    ],
    showsStatus: false,
  },
  {
    name: 'payment',
    summary: "Fixes the order's price once, then charges it; on a cancelled order refunds whatever was charged.",
    consumes: ['OrderPlaced', 'OrderCancelled'],
    emits: ['PaymentCharged', 'PaymentDeclined', 'OrderRejected'],
    access: [
      // Inbox, ledger and the simulated provider's records.
      { table: 'own', actions: ['GetItem', 'PutItem', 'UpdateItem'] },
      { table: 'catalog', actions: ['BatchGetItem'] },
      // The payment token: read with the catalog's prices (one BatchGetItem), deleted in the transaction that records
      // the charge's result.
      { table: 'orders', keyPrefixes: [KEY_PREFIX.paymentToken], actions: ['BatchGetItem', 'DeleteItem'] },
    ],
    showsStatus: true,
  },
  {
    name: 'inventory',
    summary: 'Reserves every line in one transaction; on a cancelled order releases whatever was reserved.',
    consumes: ['OrderPlaced', 'OrderCancelled'],
    emits: ['StockReserved', 'StockBackordered'],
    access: [
      { table: 'own', actions: ['GetItem', 'PutItem', 'UpdateItem'] },
      // Which SKUs exist, then every line's stock in one transaction (conditional updates).
      { table: 'catalog', actions: ['BatchGetItem', 'UpdateItem'] },
    ],
    showsStatus: true,
  },
  {
    name: 'shipping',
    summary: 'Creates the shipment request of a confirmed order.',
    consumes: ['OrderConfirmed'],
    emits: [],
    // One conditional PutItem carries shipment and inbox marker (ALL_OLD on a duplicate: no read).
    access: [{ table: 'own', actions: ['PutItem'] }],
    showsStatus: true,
  },
  {
    name: 'notification',
    summary: 'Sends one e-mail per order and kind (confirmed / cancelled) through a deduplicating sender.',
    consumes: ['OrderConfirmed', 'OrderCancelled'],
    emits: [],
    access: [
      // Inbox (read with the address in one BatchGetItem; a dropped duplicate is noted on its record: UpdateItem) and
      // the sender's records.
      { table: 'own', actions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'] },
      // The e-mail address of the order, the only function besides the API that may read it.
      { table: 'orders', keyPrefixes: [KEY_PREFIX.personalData], actions: ['BatchGetItem'], attributes: ['pk', 'sk', 'email', 'expiresAt'] },
    ],
    showsStatus: true,
  },
  {
    name: 'analytics',
    summary: 'Counts confirmed and cancelled orders and revenue per day and currency, in sharded counters.',
    consumes: ['OrderConfirmed', 'OrderCancelled'],
    emits: [],
    // Inbox, sharded counters (transactional updates) and the day's totals (one BatchGetItem of the shards).
    access: [{ table: 'own', actions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'] }],
    showsStatus: true,
  },
];

/**
 * The services a client sees in GET /orders/{id} (`showsStatus`); the aggregator shows as the order's own status.
 * Marked pure (as is the next list), so a bundle that imports the registry without these drops them.
 */
export const VISIBLE_SERVICES: readonly ServiceName[] = /* @__PURE__ */ namesOf((s) => s.showsStatus);

/**
 * The services that undo their effect when an order is cancelled (payment refunds, inventory releases): those that
 * act on an OrderPlaced and consume its OrderCancelled. Read from the entries, so a new effectful service is one.
 */
export const COMPENSATING_SERVICES: readonly ServiceName[] = /* @__PURE__ */ namesOf(
  (s) => s.consumes.includes('OrderPlaced') && s.consumes.includes('OrderCancelled'),
);

function namesOf(test: (service: ServiceDefinition) => boolean): ServiceName[] {
  return SERVICES.filter(test).map((s) => s.name);
}

/**
 * Every grant of a service: its registry entry's, plus writing its own status items if it shows a status, plus, where
 * the stage has fault hooks (local only), reading the `faults` of the batch's orders (one BatchGetItem per batch, a
 * GetItem for what it left unprocessed: lambdas/adapters/faults.ts) and writing the hooks' FAULT# markers in its own
 * table (lambdas/adapters/worker.ts).
 */
export function grantsOf(service: ServiceDefinition, { faultsEnabled = false }: { faultsEnabled?: boolean } = {}): readonly ItemGrant[] {
  const grants: ItemGrant[] = [...service.access];
  if (service.showsStatus) grants.push({ table: 'orders', keyPrefixes: [KEY_PREFIX.status(service.name)], actions: ['PutItem'] });
  if (faultsEnabled) {
    grants.push({ table: 'orders', keyPrefixes: [KEY_PREFIX.order], actions: ['GetItem', 'BatchGetItem'], attributes: ['pk', 'sk', 'faults'] });
    if (!service.access.some((g) => g.table === 'own' && g.actions.includes('PutItem'))) grants.push({ table: 'own', actions: ['PutItem'] });
  }
  return grants;
}

export const serviceNamed = (name: string): ServiceDefinition => {
  const found = SERVICES.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service ${name}`);
  return found;
};

/** Conventional entry file of a service's worker (bundled by the CDK, one bundle per service). */
export const handlerEntry = (name: ServiceName): string => `lambdas/services/${name}/handler.ts`;
