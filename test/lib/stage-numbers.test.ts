/**
 * The absolute numbers each stage promises, typed in from docs/stage-numbers.md: never read from lib/stages.ts, so a
 * changed number there (maxReceiveCount 5 -> 1, a retention, a throttle) fails here unless the promise changes too.
 * Each number is checked on the synthesized template of its stage, and the documented table must say the same.
 */
import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../lambdas/services/registry';
import type { PipelineStack } from '../../lib/pipeline-stack';
import { projectPath } from '../../lib/paths';
import type { StageName } from '../../lib/stages';
import { logicalId, propsOf, referencedIds, STAGE_NAMES, synth } from './synth';

type PerStage = Readonly<Record<StageName, number>>;
const all = (n: number): PerStage => ({ local: n, dev: n, prod: n });

/** The promise, by the key column of docs/stage-numbers.md. */
const PROMISED: Readonly<Record<string, PerStage>> = {
  'worker.timeoutSeconds': { local: 3, dev: 10, prod: 10 },
  'worker.memoryMb': all(256),
  'worker.batchSize': all(10),
  'worker.maxBatchingWindowSeconds': { local: 0, dev: 1, prod: 1 },
  'worker.maxConcurrency': { local: 2, dev: 5, prod: 20 },
  'queue.maxReceiveCount': { local: 3, dev: 5, prod: 5 },
  'queue.visibilityTimeoutSeconds': { local: 18, dev: 60, prod: 60 },
  'queue.retentionSeconds': { local: 86_400, dev: 345_600, prod: 345_600 },
  'dlq.retentionSeconds': all(1_209_600),
  'worker.idempotencyTtlSeconds': { local: 1_900_800, dev: 2_160_000, prod: 2_160_000 },
  'api.timeoutSeconds': all(5),
  'api.memoryMb': all(256),
  'api.throttleRatePerSecond': { local: 100, dev: 100, prod: 500 },
  'api.throttleBurst': { local: 200, dev: 200, prod: 1000 },
  'api.idempotencyTtlSeconds': all(86_400),
  'api.personalDataTtlSeconds': { local: 86_400, dev: 7_776_000, prod: 7_776_000 },
  'relay.timeoutSeconds': { local: 3, dev: 10, prod: 10 },
  'relay.batchSize': all(50),
  'relay.retryAttempts': { local: 3, dev: 10, prod: 10 },
  'relay.maxRecordAgeSeconds': all(3600),
  'sweeper.sweepAfterSeconds': { local: 10, dev: 300, prod: 300 },
  'sweeper.everyMinutes': all(1),
  'orders.deadlineSeconds': { local: 40, dev: 600, prod: 600 },
  'alarm.oldestMessageAgeSeconds': all(300),
  'alarm.outboxIteratorAgeMs': all(60_000),
  'logs.retentionDays': { local: 3, dev: 14, prod: 90 },
};

const PROMISED_TEXT: Readonly<Record<StageName, { logLevel: string; faultsEnabled: string; tablesKept: boolean }>> = {
  local: { logLevel: 'INFO', faultsEnabled: 'true', tablesKept: false },
  dev: { logLevel: 'INFO', faultsEnabled: 'false', tablesKept: false },
  prod: { logLevel: 'WARN', faultsEnabled: 'false', tablesKept: true },
};

describe('docs/stage-numbers.md', () => {
  it('lists exactly the promised numbers', () => {
    const rows = readFileSync(projectPath('docs/stage-numbers.md'), 'utf8')
      .split('\n')
      .map((line) => /^\|[^|]+\|\s*`([^`]+)`\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null);
    const documented = Object.fromEntries(rows.map(([, key, local, dev, prod]) => [key, { local: Number(local), dev: Number(dev), prod: Number(prod) }]));
    expect(rows).toHaveLength(Object.keys(PROMISED).length);
    expect(documented).toEqual(PROMISED);
  });
});

/** Every distinct value of `read` over the given resources: one value means all of them agree. */
const distinct = (values: unknown[]): unknown[] => [...new Set(values.map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v));

describe.each(STAGE_NAMES)('numbers promised by stage %s', (stageName) => {
  let stack: PipelineStack, template: Template;
  beforeAll(() => ({ stack, template } = synth(stageName)));
  const promised = (key: string) => PROMISED[key]![stageName];

  const resources = (type: string) => Object.entries(template.findResources(type)) as [string, any][];
  /** The event source mapping(s) feeding a function. */
  const mappingsOf = (fnId: string) =>
    resources('AWS::Lambda::EventSourceMapping')
      .filter(([, r]) => referencedIds(r.Properties.FunctionName).has(fnId))
      .map(([, r]) => r.Properties);
  const workerIds = () => SERVICES.map((s) => logicalId(stack.workers.get(s.name)!.fn));

  it('every worker: timeout, memory, batch size, batching window, maximum concurrency', () => {
    expect(workerIds()).toHaveLength(SERVICES.length);
    const fns = workerIds().map((id) => propsOf(template, id));
    expect(distinct(fns.map((f) => f.Timeout))).toEqual([promised('worker.timeoutSeconds')]);
    expect(distinct(fns.map((f) => f.MemorySize))).toEqual([promised('worker.memoryMb')]);
    // One mapping per worker, plus one per deadline queue (drained by the same worker).
    const mappings = workerIds().flatMap(mappingsOf);
    expect(mappings.length).toBeGreaterThanOrEqual(SERVICES.length);
    expect(distinct(mappings.map((m) => m.BatchSize))).toEqual([promised('worker.batchSize')]);
    expect(distinct(mappings.map((m) => m.MaximumBatchingWindowInSeconds ?? 0))).toEqual([promised('worker.maxBatchingWindowSeconds')]);
    expect(distinct(mappings.map((m) => m.ScalingConfig?.MaximumConcurrency))).toEqual([promised('worker.maxConcurrency')]);
    expect(distinct(fns.map((f) => Number(f.Environment.Variables.IDEMPOTENCY_TTL_SECONDS)))).toEqual([promised('worker.idempotencyTtlSeconds')]);
  });

  it('every service queue: receives before the DLQ, visibility timeout, retention; every DLQ: retention', () => {
    const queues = SERVICES.map((s) => stack.serviceQueues.get(s.name)!);
    const main = queues.map((q) => propsOf(template, logicalId(q.queue)));
    expect(distinct(main.map((q) => q.RedrivePolicy.maxReceiveCount))).toEqual([promised('queue.maxReceiveCount')]);
    expect(distinct(main.map((q) => q.VisibilityTimeout))).toEqual([promised('queue.visibilityTimeoutSeconds')]);
    expect(distinct(main.map((q) => q.MessageRetentionPeriod))).toEqual([promised('queue.retentionSeconds')]);
    const dlqs = [...queues.flatMap((q) => [q.dlq, q.subscriptionDlq]), stack.relay.dlq].map((q) => propsOf(template, logicalId(q)));
    expect(distinct(dlqs.map((q) => q.MessageRetentionPeriod))).toEqual([promised('dlq.retentionSeconds')]);
  });

  it('API functions: timeout, memory, Idempotency-Key and personal-data TTLs; the API stage: throttling', () => {
    const fns = [stack.api.postOrder, stack.api.getOrder].map((f) => propsOf(template, logicalId(f)));
    expect(distinct(fns.map((f) => f.Timeout))).toEqual([promised('api.timeoutSeconds')]);
    expect(distinct(fns.map((f) => f.MemorySize))).toEqual([promised('api.memoryMb')]);
    expect(distinct(fns.map((f) => Number(f.Environment.Variables.API_IDEMPOTENCY_TTL_SECONDS)))).toEqual([promised('api.idempotencyTtlSeconds')]);
    expect(distinct(fns.map((f) => Number(f.Environment.Variables.PERSONAL_DATA_TTL_SECONDS)))).toEqual([promised('api.personalDataTtlSeconds')]);
    const stages = resources('AWS::ApiGatewayV2::Stage').map(([, r]) => r.Properties.DefaultRouteSettings);
    expect(stages).toEqual([{ ThrottlingRateLimit: promised('api.throttleRatePerSecond'), ThrottlingBurstLimit: promised('api.throttleBurst') }]);
  });

  it('outbox relay: timeout, batch size, retry attempts, maximum record age', () => {
    const id = logicalId(stack.relay.fn);
    expect(propsOf(template, id).Timeout).toBe(promised('relay.timeoutSeconds'));
    const [mapping, ...more] = mappingsOf(id);
    expect(more).toEqual([]);
    expect(mapping).toMatchObject({
      BatchSize: promised('relay.batchSize'),
      MaximumRetryAttempts: promised('relay.retryAttempts'),
      MaximumRecordAgeInSeconds: promised('relay.maxRecordAgeSeconds'),
    });
  });

  it('outbox sweeper: how long an item may stay pending, how often it runs; the order deadline (a delivery delay)', () => {
    const sweeper = propsOf(template, logicalId(stack.relay.sweeper));
    expect(Number(sweeper.Environment.Variables.OUTBOX_SWEEP_AFTER_SECONDS)).toBe(promised('sweeper.sweepAfterSeconds'));
    const minutes = promised('sweeper.everyMinutes');
    expect(propsOf(template, logicalId(stack.relay.sweepSchedule)).ScheduleExpression).toBe(`rate(${minutes} minute${minutes === 1 ? '' : 's'})`);
    const delayed = resources('AWS::SQS::Queue')
      .map(([, r]) => r.Properties.DelaySeconds)
      .filter((d) => d !== undefined);
    expect(delayed.length).toBeGreaterThan(0);
    expect(distinct(delayed)).toEqual([promised('orders.deadlineSeconds')]);
  });

  it('alarm thresholds: oldest message age on every service queue, iterator age on the relay', () => {
    const alarms = resources('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const age = alarms.filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(age).toHaveLength(SERVICES.length);
    expect(distinct(age.map((a) => a.Threshold))).toEqual([promised('alarm.oldestMessageAgeSeconds')]);
    const iterator = alarms.filter((a) => a.MetricName === 'IteratorAge');
    expect(iterator.map((a) => a.Threshold)).toEqual([promised('alarm.outboxIteratorAgeMs')]);
  });

  it('log retention of every log group; log level, fault hooks and table removal', () => {
    const groups = resources('AWS::Logs::LogGroup').map(([, r]) => r.Properties.RetentionInDays);
    expect(groups.length).toBeGreaterThan(SERVICES.length);
    expect(distinct(groups)).toEqual([promised('logs.retentionDays')]);
    const fns = resources('AWS::Lambda::Function').map(([, r]) => r.Properties.Environment?.Variables ?? {});
    const ours = fns.filter((v) => v.STAGE === stageName);
    expect(ours.length).toBe(SERVICES.length + 5); // workers, relay, sweeper, POST, GET and the erasure
    expect(distinct(ours.map((v) => v.POWERTOOLS_LOG_LEVEL))).toEqual([PROMISED_TEXT[stageName].logLevel]);
    expect(distinct(ours.map((v) => v.FAULTS_ENABLED))).toEqual([PROMISED_TEXT[stageName].faultsEnabled]);
    const tables = resources('AWS::DynamoDB::Table');
    expect(tables.length).toBe(SERVICES.length + 2);
    for (const [, t] of tables) expect(t.DeletionPolicy).toBe(PROMISED_TEXT[stageName].tablesKept ? 'Retain' : 'Delete');
  });
});
