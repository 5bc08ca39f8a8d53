/**
 * The environment contract between the CDK constructs (which set these) and the Lambdas (which read them).
 * Names live here once; lib/ imports ENV to set them.
 */
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

export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`missing environment variable ${name}`);
  return v;
}

export const faultsEnabled = (): boolean => process.env[ENV.faultsEnabled] === 'true';

/** A positive integer from the environment, or undefined when unset or not one. */
export function positiveIntegerEnv(name: string): number | undefined {
  const configured = Number(process.env[name]);
  return Number.isInteger(configured) && configured > 0 ? configured : undefined;
}
