/**
 * What every load phase of `npm run bench` needs from the deployed stack: the bench's order, POST with the count of
 * accepted orders, the queues' depths, a drain wait, one open-loop throughput step with its CPU use, and the step's
 * verdict (every order decided and every service done, dead-letter queues unchanged, reconcile clean).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from '../../lambdas/adapters/batch-get';
import { lifecycleKey, statusKey } from '../../lambdas/adapters/keys';
import { SERVICES, VISIBLE_SERVICES } from '../../lambdas/services/registry';
import { BENCH_OUTPUTS } from '../../lib/constructs/bench';
import { serviceOutputs, STACK_OUTPUTS } from '../../lib/outputs';
import { clientConfig } from '../local/aws-env';
import { LOG_FILE, ROOT, STACK_NAME } from '../local/paths';
import { cpuByFunction, cpuMeter, processes, type CpuUse } from './cpu';
import { openLoop, type Sample } from './load';
import { round, summarize, type Summary } from './stats';
import { allLogEvents, type UsageLine } from './usage';
import { listFunctions } from '../local/functions';

export const ORDER = {
  customerId: 'bench',
  email: 'bench@example.com',
  currency: 'USD',
  items: [
    { sku: 'SKU-1', quantity: 1 },
    { sku: 'SKU-2', quantity: 2 },
  ],
};
const BODY = JSON.stringify(ORDER);

export interface DeployedStack {
  readonly endpoint: string;
  readonly outputs: Record<string, string>;
  readonly apiUrl: string;
}

export type Harness = ReturnType<typeof connect>;

/** One step's length, its drain's deadline, and the emulator's process (for its CPU). */
interface StepOptions {
  readonly seconds: number;
  readonly drainS: number;
  readonly emulatorPid: number | undefined;
}

export function connect({ endpoint, outputs, apiUrl }: DeployedStack) {
  const cfg = clientConfig(endpoint);
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(cfg));
  const sqs = new SQSClient(cfg);
  const ordersTable = outputs[STACK_OUTPUTS.ordersTableName]!;
  const queues = Object.fromEntries([
    ...SERVICES.map((s) => [s.name, outputs[serviceOutputs(s.name).queueUrl]!]),
    ['reference', outputs[BENCH_OUTPUTS.referenceQueueUrl]!],
  ]) as Record<string, string>;
  // The orders deadline queue holds every order's events back until its deadline: sampled, never waited for.
  const delayed = Object.fromEntries(
    SERVICES.filter((s) => outputs[serviceOutputs(s.name).deadlineQueueUrl]).map((s) => [
      `${s.name} deadline (delayed)`,
      outputs[serviceOutputs(s.name).deadlineQueueUrl]!,
    ]),
  );
  const dlqs = [
    ...SERVICES.flatMap((s) => [outputs[serviceOutputs(s.name).dlqUrl], outputs[serviceOutputs(s.name).deadlineDlqUrl]]).filter((u): u is string => !!u),
    outputs[STACK_OUTPUTS.outboxDlqUrl]!,
  ];

  // Every order placed and answered 202 (warm-up, latency phases, steps): the divisor of the per-order usage.
  let acceptedOrders = 0;
  const post = async (path: string) => {
    const res = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
    const text = await res.text();
    let orderId: string | undefined;
    if (res.status === 202 && path === '/orders') {
      orderId = (JSON.parse(text) as { orderId: string }).orderId;
      acceptedOrders += 1;
    }
    return { status: res.status, orderId };
  };

  const depth = async (url: string) => {
    const { Attributes: a = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    // Delayed too: a deadline queue's messages are neither visible nor in flight until their delay ends.
    return (
      Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  };
  // The reference worker (a fixture of the capacity comparison, not part of the pipeline) sits out the steps.
  let referencePaused = false;
  const depths = async (withDelayed = false) =>
    Object.fromEntries(
      await Promise.all(
        Object.entries({ ...queues, ...(withDelayed ? delayed : {}) })
          .filter(([k]) => !(referencePaused && k === 'reference'))
          .map(async ([k, u]) => [k, await depth(u)] as const),
      ),
    );
  const deadLetters = async () => (await Promise.all(dlqs.map(depth))).reduce((a, b) => a + b, 0);
  /**
   * Waits until every queue (with `withDelayed`, the deadline queues too) stays empty for two polls; returns the
   * seconds it took, or undefined at the deadline.
   */
  const drain = async (deadlineS: number, withDelayed = false) => {
    const t0 = performance.now();
    let empty = 0;
    while (performance.now() - t0 < deadlineS * 1000) {
      const d = await depths(withDelayed);
      empty = Object.values(d).every((n) => n === 0) ? empty + 1 : 0;
      if (empty >= 2) return round((performance.now() - t0) / 1000);
      await new Promise((r) => setTimeout(r, 500));
    }
    return undefined;
  };

  /**
   * The reference worker's event source off (`Enabled: false`) or on again. It is the capacity comparison's fixture
   * (lambdas/bench/powertools-shipping.ts), not the pipeline: left running in a step it adds its own requests and,
   * under load, batches that time out (it has no batch deadline), whose killed and respawned processes and late
   * redeliveries were counted against the step. Back on, its queue is purged first: what arrived meanwhile is
   * measured by no one.
   */
  const lambda = new LambdaClient(cfg);
  // Looked up once per stack: the mapping does not change between steps.
  let referenceUuid: Promise<string> | undefined;
  const referenceMapping = async () => {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.reference, AttributeNames: ['QueueArn'] }));
    const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: Attributes?.QueueArn }));
    const uuid = EventSourceMappings[0]?.UUID;
    if (!uuid) throw new Error(`no event source mapping for the reference queue ${queues.reference}`);
    return uuid;
  };
  const pauseReference = async (paused: boolean) => {
    if (!queues.reference) return;
    const uuid = await (referenceUuid ??= referenceMapping());
    if (!paused) await sqs.send(new PurgeQueueCommand({ QueueUrl: queues.reference }));
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: !paused }));
    referencePaused = paused;
  };

  /**
   * One open-loop step of POST /orders at `rate` for `seconds`, then the drain (the reference worker paused for
   * both): the samples, the dead letters it
   * added, the emulator's CPU and each function's CPU per accepted order, and what the emulator logged meanwhile.
   */
  const step = async (rate: number, options: StepOptions) => {
    await pauseReference(true);
    try {
      return await measuredStep(rate, options);
    } finally {
      await pauseReference(false);
    }
  };
  const measuredStep = async (rate: number, { seconds, drainS, emulatorPid }: StepOptions) => {
    const dlqBaseline = await deadLetters();
    const logFrom = logSize();
    const stepStart = Date.now();
    const meter = cpuMeter(emulatorPid);
    const processesBefore = processes();
    const samples = await openLoop(() => post('/orders'), rate, seconds);
    const drained = await drain(drainS);
    // Over the step and its drain: every order's whole pipeline, not only its POST.
    const acceptedInStep = samples.filter((x) => x.status === 202).length;
    const cpu = meter.stop(acceptedInStep);
    // The functions' own share: each Lambda's worker processes (node), CPU ms per accepted order.
    const functionsCpu = Object.fromEntries(
      Object.entries(cpuByFunction(processesBefore, processes(), STACK_NAME)).map(([fn, ms]) => [fn, acceptedInStep ? round(ms / acceptedInStep) : Number.NaN]),
    );
    return { samples, drained, deadLetters: (await deadLetters()) - dlqBaseline, stepStart, cpu, functionsCpu, emulator: emulatorEvents(logFrom) };
  };

  /** The pipeline's verdict on a step: every accepted order decided and all five services done, in the orders table. */
  const evaluateStep = async (
    rate: number,
    seconds: number,
    { stepStart, samples, drained, deadLetters }: Pick<Awaited<ReturnType<typeof step>>, 'stepStart' | 'samples' | 'drained' | 'deadLetters'>,
  ): Promise<StepResult> => {
    const accepted = samples.filter((s) => s.status === 202 && s.orderId);
    const keys = accepted.flatMap((s) => [lifecycleKey(s.orderId!), ...VISIBLE_SERVICES.map((name) => statusKey(s.orderId!, name))]);
    const items = new Map<string, Record<string, unknown>>();
    // Unprocessed keys are asked again until none are left (a load test must not give up on its own reads).
    for (const it of await batchGetAll(ddb, ordersTable, keys, { consistentRead: true, rounds: Number.POSITIVE_INFINITY })) items.set(`${it.pk}|${it.sk}`, it);
    const decided: number[] = [];
    const allDone: number[] = [];
    let undecided = 0;
    let incomplete = 0;
    let maxItemBytes = 0;
    for (const s of accepted) {
      const at = (key: { pk: string; sk: string }) => items.get(`${key.pk}|${key.sk}`);
      const lc = at(lifecycleKey(s.orderId!));
      const statuses = VISIBLE_SERVICES.map((name) => at(statusKey(s.orderId!, name)));
      for (const it of [lc, ...statuses]) if (it) maxItemBytes = Math.max(maxItemBytes, Buffer.byteLength(JSON.stringify(it)));
      if (typeof lc?.decidedAt !== 'string') {
        undecided += 1;
        continue;
      }
      decided.push(Date.parse(lc.decidedAt) - s.startedAt);
      if (statuses.some((x) => typeof x?.updatedAt !== 'string')) {
        incomplete += 1;
        continue;
      }
      allDone.push(Math.max(...statuses.map((x) => Date.parse(String(x!.updatedAt)))) - s.startedAt);
    }
    const { throttled, serverErrors, held } = verdict({ samples, deadLetters, drained }, undecided + incomplete);
    return {
      rate,
      seconds,
      startedAt: new Date(stepStart).toISOString(),
      sent: samples.length,
      accepted: accepted.length,
      throttled,
      serverErrors,
      undecided,
      incomplete,
      deadLetters,
      drainedAfterS: drained,
      held,
      postLatency: summarize(accepted.map((s) => s.ms)),
      toDecided: summarize(decided),
      toAllFiveDone: summarize(allDone),
      maxItemBytes,
    };
  };

  return {
    cfg,
    ddb,
    sqs,
    ordersTable,
    queues,
    delayed,
    dlqs,
    post,
    depth,
    depths,
    drain,
    step,
    evaluateStep,
    acceptedOrders: () => acceptedOrders,
  };
}

/**
 * Whether a step held, the rule of every bench mode: each request answered 202 (no 429, no 5xx or dropped
 * connection), no accepted order left unfinished (`unfinished`: each mode says what finished means), no new dead
 * letter, and the queues drained after the step.
 */
export function verdict(
  { samples, deadLetters, drained }: { samples: readonly Sample[]; deadLetters: number; drained: number | undefined },
  unfinished: number,
): { throttled: number; serverErrors: number; held: boolean } {
  const accepted = samples.filter((s) => s.status === 202 && s.orderId).length;
  const throttled = samples.filter((s) => s.status === 429).length;
  const serverErrors = samples.filter((s) => s.status >= 500 || s.status === 0).length;
  const held = throttled === 0 && serverErrors === 0 && unfinished === 0 && deadLetters === 0 && drained !== undefined && accepted === samples.length;
  return { throttled, serverErrors, held };
}

export interface StepResult {
  rate: number;
  seconds: number;
  startedAt: string;
  sent: number;
  accepted: number;
  throttled: number;
  serverErrors: number;
  undecided: number;
  incomplete: number;
  deadLetters: number;
  drainedAfterS: number | undefined;
  held: boolean;
  postLatency: Summary;
  toDecided: Summary;
  toAllFiveDone: Summary;
  maxItemBytes: number;
  reconcile?: { ran: boolean; ok?: boolean; output?: string };
  emulator?: { coldStarts: number; timeouts: number; throttles: number };
  cpu?: CpuUse;
}

/** `npm run reconcile` (scripts/reconcile.ts) against the local stack: every order decided once, money and stock add up. */
export function reconcile(): { ran: boolean; ok?: boolean; output?: string } {
  if (!existsSync(join(ROOT, 'scripts', 'reconcile.ts'))) return { ran: false };
  const r = spawnSync('npm', ['run', '--silent', 'reconcile'], { cwd: ROOT, encoding: 'utf8', env: process.env });
  return { ran: true, ok: r.status === 0, output: `${r.stdout}${r.stderr}`.split('\n').filter(Boolean).slice(-12).join('\n') };
}

const logSize = () => (existsSync(LOG_FILE) ? statSync(LOG_FILE).size : 0);

/**
 * What the emulator logged since byte `from` of its log: Lambda processes it spawned (cold starts), invocations it
 * timed out (and killed, so the next one is a cold start again) and throttles. Isolates the emulator's side of a step.
 */
function emulatorEvents(from: number): { coldStarts: number; timeouts: number; throttles: number } {
  const size = logSize();
  if (size <= from) return { coldStarts: 0, timeouts: 0, throttles: 0 };
  const fd = openSync(LOG_FILE, 'r');
  const buf = Buffer.alloc(size - from);
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  const text = buf.toString('utf8');
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  return {
    coldStarts: count(/Lambda worker spawned for .*cold start/g),
    timeouts: count(/timed out after [\d.]+s — killing worker/g),
    throttles: count(/concurrency cap|Rate Exceeded/g),
  };
}

/** The usage lines of every function of the stack since `since` (epoch ms), from the emulator's CloudWatch Logs. */
export async function readUsage(endpoint: string, since: number): Promise<UsageLine[]> {
  const cfg = clientConfig(endpoint);
  const lambda = new LambdaClient(cfg);
  const logs = new CloudWatchLogsClient(cfg);
  const lines: UsageLine[] = [];
  for (const fn of await listFunctions(lambda, STACK_NAME)) {
    const service = fn.Environment?.Variables?.POWERTOOLS_SERVICE_NAME ?? '';
    const source = service === 'orders-api' ? 'api' : service === 'outbox-relay' ? 'relay' : service === 'bench-reference' ? 'reference' : service;
    const message = source === 'api' ? 'order accepted' : source === 'relay' ? 'published' : 'processed';
    if (!source || service === 'bench-noop') continue;
    const group = fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${fn.FunctionName}`;
    const events = await allLogEvents(
      (startTime, nextToken) =>
        logs.send(new FilterLogEventsCommand({ logGroupName: group, startTime, nextToken })).catch(() => ({ events: [], nextToken: undefined })),
      since,
    );
    for (const e of events) {
      const text = e.message;
      if (!text.includes(`"${message}"`)) continue;
      try {
        const j = JSON.parse(text.slice(text.indexOf('{'))) as UsageLine & { message?: string };
        if (j.message === message) lines.push({ ...j, source });
      } catch {
        /* a platform line */
      }
    }
  }
  return lines;
}

export type { Sample };
