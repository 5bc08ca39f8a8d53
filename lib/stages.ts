/**
 * Every stage's numbers in one place. Select with `-c stage=local|dev|prod` (default dev).
 * The local stage uses short timings so that failure paths (redelivery, DLQ) are testable in seconds.
 */
export type StageName = 'local' | 'dev' | 'prod';

/**
 * Who may call the API. `jwt`: every route needs a bearer JWT of `issuer` for `audience` (the HTTP API's JWT
 * authorizer, and the handlers verify it again: lambdas/api/auth.ts); the order's owner is the token's `sub`.
 * `off`: anyone may call (the local demo only; SECURITY.md lists what that relaxes).
 * Issuer and audience come from context (`-c jwtIssuer=... -c jwtAudience=...`), or, with `createCognito` and no such
 * context, from a Cognito user pool and app client that the stack creates (quick start).
 */
export interface AuthConfig {
  readonly mode: 'jwt' | 'off';
  readonly issuer?: string;
  readonly audience?: string;
  /** Where the handlers fetch the issuer's keys; default `<issuer>/.well-known/jwks.json` (Cognito, Auth0, ...). */
  readonly jwksUrl?: string;
  /**
   * The OAuth scope every token must carry, required by the authorizer on every route and by the handlers: only
   * access tokens carry scopes, so an ID token is refused. Default with the stack's Cognito pool:
   * `aws.cognito.signin.user.admin`, the scope of every access token of a Cognito user pool. An external issuer must
   * name one (`-c jwtScope=...`) outside the local stage.
   */
  readonly scope?: string;
  /** Create a Cognito user pool + app client and trust it, unless an issuer is given. */
  readonly createCognito?: boolean;
  /**
   * OAuth flows of the quick-start pool's client: none unless callback URLs are given (`-c oauthCallbackUrls=
   * https://app/cb,...`), and then the authorization code grant (with PKCE) only, never the implicit flow.
   */
  readonly oauthCallbackUrls?: readonly string[];
  /** Require MFA in the quick-start pool (prod: on; an external issuer must enforce its own). */
  readonly requireMfa?: boolean;
}

/** The scope of every access token of a Cognito user pool (an ID token has no scope at all). */
export const COGNITO_ACCESS_SCOPE = 'aws.cognito.signin.user.admin';

/**
 * Encryption at rest of the event topic and the queues. `sqs-managed`: SSE-SQS on every queue, no key to manage (the
 * topic keeps messages only in flight). `customer-managed`: one KMS key (rotated) for the topic and every queue, with
 * the key policy that lets SNS deliver to the queues.
 */
export type KmsMode = 'customer-managed' | 'sqs-managed';

export interface StageConfig {
  readonly name: StageName;
  readonly worker: {
    readonly timeoutSeconds: number;
    readonly memoryMb: number;
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    readonly maxConcurrency: number; // event source mapping ScalingConfig (2..1000)
    readonly maxReceiveCount: number; // receives before a message is poison and moves to the DLQ
  };
  readonly queue: {
    readonly retentionDays: number;
    readonly dlqRetentionDays: number;
    /** Time an operator may take to redrive a DLQ; idempotency records must outlive it too. */
    readonly redriveGraceDays: number;
  };
  readonly api: {
    readonly memoryMb: number;
    readonly timeoutSeconds: number;
    readonly throttleRatePerSecond: number;
    readonly throttleBurst: number;
    /** How long an Idempotency-Key is remembered for the API. */
    readonly idempotencyKeyHours: number;
  };
  readonly outbox: {
    readonly batchSize: number;
    readonly retryAttempts: number;
    readonly maxRecordAgeSeconds: number;
    /** The sweeper republishes an OUTBOX item still pending this long after its insert (> the relay's usual delay). */
    readonly sweepAfterSeconds: number;
    /** How often the sweeper runs (EventBridge's finest schedule is a minute). */
    readonly sweepEveryMinutes: number;
  };
  /**
   * An order still undecided this long after its OrderPlaced was published is cancelled with reason TIMEOUT and
   * compensated. An SQS delivery delay carries it, so at most 900 s.
   */
  readonly orderDeadlineSeconds: number;
  readonly alarms: { readonly oldestMessageAgeSeconds: number; readonly outboxIteratorAgeMs: number };
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN';
  /**
   * How long an order's e-mail and shipping address are kept (its PII item expires by DynamoDB TTL; the owner can
   * erase them sooner: DELETE /orders/{id}/personal-data). Long enough to ship, deliver and handle a return.
   */
  readonly personalDataRetentionDays: number;
  /** CloudWatch Logs retention; must be a value CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ...). */
  readonly logRetentionDays: number;
  /**
   * X-Ray active tracing of every function and the event topic (configuration only: no X-Ray SDK in the bundles).
   * Off on the emulator, which has no X-Ray.
   */
  readonly tracing: boolean;
  /** Fault-injection hooks (tests of the failure paths). Never on outside the local stage. */
  readonly faultsEnabled: boolean;
  /** Seed the demo catalog (SKU-1..SKU-9 plus SKU-OOS). */
  readonly seedDemoCatalog: boolean;
  /** Tables are destroyed with the stack only where losing them is fine. */
  readonly destroyData: boolean;
  readonly auth: AuthConfig;
  readonly kms: KmsMode;
}

const base = {
  worker: { timeoutSeconds: 10, memoryMb: 256, batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 5, maxReceiveCount: 5 },
  queue: { retentionDays: 4, dlqRetentionDays: 14, redriveGraceDays: 7 },
  api: { memoryMb: 256, timeoutSeconds: 5, throttleRatePerSecond: 100, throttleBurst: 200, idempotencyKeyHours: 24 },
  outbox: { batchSize: 50, retryAttempts: 10, maxRecordAgeSeconds: 3600, sweepAfterSeconds: 300, sweepEveryMinutes: 1 },
  orderDeadlineSeconds: 600,
  alarms: { oldestMessageAgeSeconds: 300, outboxIteratorAgeMs: 60_000 },
  logRetentionDays: 14,
  personalDataRetentionDays: 90,
  kms: 'sqs-managed',
  tracing: true,
} as const;

/** AWS stages are never open: a JWT is required, from the stack's own Cognito pool unless an issuer is given. */
const awsAuth: AuthConfig = { mode: 'jwt', createCognito: true, scope: COGNITO_ACCESS_SCOPE };

export const STAGES: Record<StageName, StageConfig> = {
  local: {
    ...base,
    name: 'local',
    // 3 s timeout, 18 s visibility (6x), 3 receives: a poison message reaches its DLQ after 3 x 18 s = 54 s (measured
    // 55 s). A 2 s timeout would make it 36 s but leaves little room for a cold start of a bundled worker.
    worker: { ...base.worker, timeoutSeconds: 3, maxConcurrency: 2, maxReceiveCount: 3, maxBatchingWindowSeconds: 0 },
    queue: { ...base.queue, retentionDays: 1 },
    outbox: { ...base.outbox, retryAttempts: 3, sweepAfterSeconds: 10 },
    // Long enough for a burst of test orders to decide on time, short enough to test the TIMEOUT path in a minute.
    orderDeadlineSeconds: 40,
    logLevel: 'INFO',
    logRetentionDays: 3,
    personalDataRetentionDays: 1,
    tracing: false,
    faultsEnabled: true,
    seedDemoCatalog: true,
    destroyData: true,
    // Off for the demo (npm run local); `-c auth=jwt -c jwtIssuer=... -c jwtAudience=... -c jwksUrl=...` turns it on.
    auth: { mode: 'off' },
  },
  dev: { ...base, name: 'dev', logLevel: 'INFO', faultsEnabled: false, seedDemoCatalog: true, destroyData: true, auth: awsAuth },
  prod: {
    ...base,
    name: 'prod',
    worker: { ...base.worker, maxConcurrency: 20 },
    api: { ...base.api, throttleRatePerSecond: 500, throttleBurst: 1000 },
    logLevel: 'WARN',
    logRetentionDays: 90,
    faultsEnabled: false,
    seedDemoCatalog: false,
    destroyData: false,
    auth: { ...awsAuth, requireMfa: true },
    // Events at rest (topic, queues, DLQs, alarm topic) under a key the account controls and rotates.
    kms: 'customer-managed',
  },
};

/** The CDK context keys that override a stage's auth and KMS settings. */
export const CONTEXT_KEYS = {
  auth: 'auth',
  jwtIssuer: 'jwtIssuer',
  jwtAudience: 'jwtAudience',
  jwksUrl: 'jwksUrl',
  jwtScope: 'jwtScope',
  oauthCallbackUrls: 'oauthCallbackUrls',
  kms: 'kms',
} as const;

/**
 * The stage as deployed: its config with the context's overrides applied (`-c auth=jwt|off`, `-c jwtIssuer=...`,
 * `-c jwtAudience=...`, `-c jwksUrl=...`, `-c kms=customer-managed|sqs-managed`).
 * An issuer from context replaces the stack's own Cognito pool. Only the local stage may be switched off.
 */
export function withContext(cfg: StageConfig, context: (key: string) => unknown): StageConfig {
  const text = (key: string): string | undefined => {
    const v = context(key);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const mode = text(CONTEXT_KEYS.auth);
  if (mode !== undefined && mode !== 'jwt' && mode !== 'off') throw new Error(`-c auth=${mode}: use jwt or off`);
  if (mode === 'off' && cfg.name !== 'local')
    throw new Error(`-c auth=off is refused for stage ${cfg.name}: only the local stage may run without authentication`);
  const issuer = text(CONTEXT_KEYS.jwtIssuer);
  const audience = text(CONTEXT_KEYS.jwtAudience);
  const jwksUrl = text(CONTEXT_KEYS.jwksUrl);
  const scope = text(CONTEXT_KEYS.jwtScope);
  const callbacks = text(CONTEXT_KEYS.oauthCallbackUrls)
    ?.split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  let auth: AuthConfig = { ...cfg.auth, ...(mode ? { mode } : {}), ...(scope ? { scope } : {}), ...(callbacks ? { oauthCallbackUrls: callbacks } : {}) };
  if (issuer || audience || jwksUrl) {
    // An external issuer: its own scope (none assumed), its own MFA policy, no pool of ours.
    const { scope: _cognitoScope, requireMfa: _mfa, ...rest } = auth;
    auth = {
      ...rest,
      ...(scope ? { scope } : {}),
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
      ...(jwksUrl ? { jwksUrl } : {}),
      createCognito: false,
    };
  }
  if (auth.mode === 'jwt' && !auth.createCognito && (!auth.issuer || !auth.audience)) {
    throw new Error(`stage ${cfg.name}: auth=jwt needs -c jwtIssuer=... and -c jwtAudience=... (or the stack's own Cognito pool)`);
  }
  if (auth.mode === 'jwt' && !auth.scope) {
    throw new Error(
      `stage ${cfg.name}: auth=jwt with an external issuer needs -c jwtScope=... (the scope an access token for this API carries; ID tokens carry none)`,
    );
  }
  if (cfg.name !== 'local') {
    // Keys and tokens fetched over plain HTTP can be swapped in transit: https outside the emulator.
    for (const [key, url] of [
      [CONTEXT_KEYS.jwtIssuer, auth.issuer],
      [CONTEXT_KEYS.jwksUrl, auth.jwksUrl],
      ...(auth.oauthCallbackUrls ?? []).map((u) => [CONTEXT_KEYS.oauthCallbackUrls, u]),
    ] as const) {
      if (url !== undefined && !url.startsWith('https://')) throw new Error(`-c ${key}=${url}: must be an https:// URL outside the local stage`);
    }
  }
  const kms = text(CONTEXT_KEYS.kms);
  if (kms !== undefined && kms !== 'customer-managed' && kms !== 'sqs-managed') throw new Error(`-c kms=${kms}: use customer-managed or sqs-managed`);
  return { ...cfg, auth, ...(kms ? { kms } : {}) };
}

/** SQS's largest delivery delay: the deadline queue's delay. */
export const MAX_DELIVERY_DELAY_SECONDS = 900;

export function stageConfig(name: string | undefined): StageConfig {
  const key = (name ?? 'dev') as StageName;
  const cfg = STAGES[key];
  if (!cfg) throw new Error(`unknown stage "${name}": use one of ${Object.keys(STAGES).join(', ')}`);
  return cfg;
}

export const DAY_SECONDS = 86_400;

/** Visibility timeout: AWS guidance is at least 6x the function timeout. */
export const visibilityTimeoutSeconds = (cfg: StageConfig): number => cfg.worker.timeoutSeconds * 6;

/**
 * Idempotency records must outlive every copy of their message: main queue retention + DLQ retention + redrive grace.
 * (A DLQ keeps the original enqueue timestamp for standard queues, so this is generous.)
 */
export const idempotencyTtlSeconds = (cfg: StageConfig): number =>
  (cfg.queue.retentionDays + cfg.queue.dlqRetentionDays + cfg.queue.redriveGraceDays) * DAY_SECONDS;
