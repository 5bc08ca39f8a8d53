/**
 * Every stage's numbers in one place. Select with `-c stage=local|dev|prod` (default dev).
 * The local stage uses short timings so that failure paths (redelivery, DLQ) are testable in seconds.
 */
export type StageName = 'local' | 'dev' | 'prod';

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
  readonly outbox: { readonly batchSize: number; readonly retryAttempts: number; readonly maxRecordAgeSeconds: number };
  readonly alarms: { readonly oldestMessageAgeSeconds: number; readonly outboxIteratorAgeMs: number };
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN';
  /** CloudWatch Logs retention; must be a value CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ...). */
  readonly logRetentionDays: number;
  /** Fault-injection hooks (tests of the failure paths). Never on outside the local stage. */
  readonly faultsEnabled: boolean;
  /** Seed the demo catalog (SKU-1..SKU-9 plus SKU-OOS). */
  readonly seedDemoCatalog: boolean;
  /** Tables are destroyed with the stack only where losing them is fine. */
  readonly destroyData: boolean;
}

const base = {
  worker: { timeoutSeconds: 10, memoryMb: 256, batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 5, maxReceiveCount: 5 },
  queue: { retentionDays: 4, dlqRetentionDays: 14, redriveGraceDays: 7 },
  api: { memoryMb: 256, timeoutSeconds: 5, throttleRatePerSecond: 100, throttleBurst: 200, idempotencyKeyHours: 24 },
  outbox: { batchSize: 50, retryAttempts: 10, maxRecordAgeSeconds: 3600 },
  alarms: { oldestMessageAgeSeconds: 300, outboxIteratorAgeMs: 60_000 },
  logRetentionDays: 14,
} as const;

export const STAGES: Record<StageName, StageConfig> = {
  local: {
    ...base,
    name: 'local',
    // 3 s timeout, 18 s visibility (6x), 3 receives: a poison message reaches its DLQ in well under a minute.
    worker: { ...base.worker, timeoutSeconds: 3, maxConcurrency: 2, maxReceiveCount: 3, maxBatchingWindowSeconds: 0 },
    queue: { ...base.queue, retentionDays: 1 },
    outbox: { ...base.outbox, retryAttempts: 3 },
    logLevel: 'INFO',
    logRetentionDays: 3,
    faultsEnabled: true,
    seedDemoCatalog: true,
    destroyData: true,
  },
  dev: { ...base, name: 'dev', logLevel: 'INFO', faultsEnabled: false, seedDemoCatalog: true, destroyData: true },
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
  },
};

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
