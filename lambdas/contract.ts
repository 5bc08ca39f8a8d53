/**
 * The contract between the infrastructure (lib/, which sets and creates these) and the Lambdas (which read and use
 * them): environment variable names, the orders table's key prefixes and index, the TTL attribute, metric names and
 * the functions' service names. Each name is defined here once; lib/ imports it from here and never from a Lambda
 * adapter, so the CDK app does not load runtime code (SDK clients, loggers) to learn a string.
 *
 * Plain constants only: no imports, nothing that runs. It sits beside lambdas/core and lambdas/adapters rather than in
 * either: it is not domain logic (core), and it is not runtime code (adapters) but what the two sides agree on.
 * Key builders stay with the runtime (lambdas/adapters/keys.ts), metric writing too (lambdas/adapters/metrics.ts).
 */

/** Environment variables the constructs set and the functions read. */
export const ENV = {
  stage: 'STAGE',
  service: 'SERVICE_NAME',
  topicArn: 'TOPIC_ARN',
  ordersTable: 'ORDERS_TABLE',
  catalogTable: 'CATALOG_TABLE',
  /** The worker's own table: its inbox (idempotency) records and the records of its effects. */
  serviceTable: 'SERVICE_TABLE',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  apiIdempotencyTtlSeconds: 'API_IDEMPOTENCY_TTL_SECONDS',
  /** The outbox sweeper republishes items pending longer than this. */
  outboxSweepAfterSeconds: 'OUTBOX_SWEEP_AFTER_SECONDS',
  /** How long an order's e-mail and address are kept (its PII item's expiry). */
  personalDataTtlSeconds: 'PERSONAL_DATA_TTL_SECONDS',
  /** "true" only in the local stage: enables fault-injection hooks. */
  faultsEnabled: 'FAULTS_ENABLED',
  /** API functions: `jwt` (verify the bearer token, the caller is its `sub`) or `off` (the local demo). */
  authMode: 'AUTH_MODE',
  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  /** The OAuth scope every token must carry (also required by the authorizer). */
  jwtScope: 'JWT_SCOPE',
  /** The issuer's JSON Web Key Set (public keys). */
  jwksUrl: 'JWKS_URL',
} as const;

/**
 * Partition-key prefixes of the orders table: the unit of IAM scoping (lib/access.ts). The item layout and the key
 * builders are in lambdas/adapters/keys.ts. An OUTBOX item's sort key starts with `outbox` too (`OUTBOX#<eventId>`):
 * the relay's stream filter (lib/constructs/outbox-relay.ts) and the relay itself match on it.
 */
export const KEY_PREFIX = {
  order: 'ORDER#',
  outbox: 'OUTBOX#',
  personalData: 'PII#',
  paymentToken: 'PAYTOKEN#',
  lifecycle: 'LIFECYCLE#',
  idempotency: 'IDEMPOTENCY#',
  fault: 'FAULT#',
  status: (service: string) => `STATUS#${service}#`,
} as const;

/**
 * The sparse index of unpublished OUTBOX items: an item carries these two attributes from its insert until it is
 * published (the relay or the sweeper removes them), so the index holds exactly the pending events, oldest first.
 */
export const OUTBOX_PENDING_INDEX = 'outbox-pending';
export const OUTBOX_PENDING = { partition: 'pendingShard', since: 'pendingSince', value: 'PENDING' } as const;

/** TTL attribute name on every table that has expiring items. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The API functions' service name (POWERTOOLS_SERVICE_NAME): their logs' `service` and their metrics' dimension. */
export const API_SERVICE_NAME = 'orders-api';

/** CloudWatch namespace of every metric the functions write (lambdas/adapters/metrics.ts); the dashboard reads it. */
export const METRICS_NAMESPACE = 'OrderPipeline';

export const METRIC = {
  /** POST /orders accepted a new order (an Idempotency-Key replay is not counted). */
  ordersAccepted: 'OrdersAccepted',
  /** The aggregate's decision, counted where its conditional write succeeds: once per order. */
  ordersConfirmed: 'OrdersConfirmed',
  /** Dimension `reason` (the OrderCancelled reason). */
  ordersCancelled: 'OrdersCancelled',
  /** Minor units (cents) charged, dimension `currency`; counted once per charge (the inbox commit). */
  chargedAmount: 'ChargedAmount',
  /** Deliveries of an event the service had processed already (dropped: at-least-once at work). */
  duplicateDeliveries: 'DuplicateDeliveries',
  /** Messages a worker processed (first deliveries and duplicates). */
  messagesProcessed: 'MessagesProcessed',
  /** Messages a worker failed (left for redelivery, eventually dead-lettered). */
  messagesFailed: 'MessagesFailed',
  /** DynamoDB transactions retried after a TransactionConflict (emitted by the inbox commit's retry). */
  conflictsRetried: 'ConflictsRetried',
  /** Records a worker handed back unfinished at its batch deadline (DEADLINE_MARGIN_MS before the timeout). */
  recordsHandedBack: 'RecordsHandedBack',
} as const;
