/**
 * `npm run bench -- --only like-for-like`: the emulator's ceiling for this stack's shape, beside the pipeline's.
 * The same open-loop steps run first against the pipeline, then against the hollow stack (`-c bench=hollow`: the
 * same template with POST /orders and every worker doing no work, lib/constructs/bench.ts), each rising until a step
 * is not held. The ratio of the highest held rates answers the "≥ 80 % of the emulator's ceiling".
 *
 * Held, for the pipeline: no 429/5xx, every order decided and all five services done, dead-letter queues unchanged,
 * queues drained, reconcile clean (the main bench's verdict). For the hollow stack, which keeps no order state: the
 * same, with "every service logged `processed` for every order" in place of the orders table's items.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { SERVICES } from '../../lambdas/services/registry';
import { BENCH_CONTEXT_KEY } from '../../lib/constructs/bench';
import { LAMBDA_ACCOUNT_CONCURRENCY, MINISTACK_VERSION, readState } from '../local/emulator';
import { bringUp } from '../local/up-steps';
import { connect, readUsage, reconcile, verdict } from './harness';
import { closedLoop } from './load';
import { machine } from './report';
import { ratio, round, summarize } from './stats';
import { aggregateUsage, ordersMissing, perOrder } from './usage';

export interface LikeForLikeOptions {
  readonly rates: readonly number[];
  readonly seconds: number;
  readonly drainS: number;
  readonly out: string;
}

const VARIANTS = [
  { name: 'pipeline', context: 'true', label: 'the pipeline' },
  { name: 'hollow', context: 'hollow', label: 'hollow stack: the same topology, no work per order' },
] as const;

export interface LikeForLikeStep {
  rate: number;
  sent: number;
  accepted: number;
  throttled: number;
  serverErrors: number;
  /** Orders not decided or not done by every service (pipeline), or some service never logged (hollow). */
  incomplete: number;
  deadLetters: number;
  drainedAfterS: number | undefined;
  reconcileOk?: boolean;
  /** The last lines `npm run reconcile` printed when it found a violation. */
  reconcileOutput?: string;
  held: boolean;
  postP50: number;
  postP99: number;
  /** CPU ms per accepted order: the emulator's one Python process, the whole machine, the functions' node processes. */
  emulatorMsPerOrder?: number;
  machineMsPerOrder?: number;
  functionsMsPerOrder: number;
  /** From the functions' own log lines: messages each source handled per order, and AWS requests per order. */
  messagesPerOrder: Record<string, number>;
  requestsPerOrder: number;
  coldStarts: number;
  timeouts: number;
  loadAverage1m: number;
}

export async function likeForLike(o: LikeForLikeOptions, log: (s: string) => void) {
  const started = new Date();
  const runs: { variant: string; label: string; steps: LikeForLikeStep[]; highestHeldRate: number | null }[] = [];
  for (const variant of VARIANTS) {
    log(`… deploying ${variant.label} (-c ${BENCH_CONTEXT_KEY}=${variant.context})`);
    const up = await bringUp(true, 'local', { [BENCH_CONTEXT_KEY]: variant.context });
    const endpoint = up.emulator.endpoint;
    const h = connect({ endpoint, outputs: up.outputs, apiUrl: up.apiUrl });
    const emulatorPid = readState()?.pid;
    // Warm-up: every function started (cold starts belong to the start-up section), then nothing left in flight.
    await closedLoop([{ name: 'post', run: () => h.post('/orders') }], Array<string>(20).fill('post'), 2);
    await h.drain(120, true);
    const steps: LikeForLikeStep[] = [];
    for (const rate of o.rates) {
      log(`… ${variant.name}: ${rate} orders/s for ${o.seconds} s`);
      const stepped = await h.step(rate, { seconds: o.seconds, drainS: o.drainS, emulatorPid });
      const acceptedIds = stepped.samples.filter((s) => s.status === 202 && s.orderId).map((s) => s.orderId!);
      const ids = new Set(acceptedIds);
      const lines = (await readUsage(endpoint, stepped.stepStart - 1000)).filter((l) => l.orderId && ids.has(l.orderId));
      const usage = perOrder(aggregateUsage(lines), acceptedIds.length);
      let incomplete: number;
      let reconcileOk: boolean | undefined;
      let reconcileOutput: string | undefined;
      if (variant.name === 'pipeline') {
        const evaluated = await h.evaluateStep(rate, o.seconds, stepped);
        incomplete = evaluated.undecided + evaluated.incomplete;
        const reconciled = reconcile();
        reconcileOk = reconciled.ok;
        if (reconciled.ok === false) reconcileOutput = reconciled.output;
      } else {
        incomplete = ordersMissing(
          lines,
          acceptedIds,
          SERVICES.map((s) => s.name),
        ).length;
      }
      const { throttled, serverErrors, held } = verdict(stepped, incomplete);
      const latency = summarize(stepped.samples.filter((s) => s.status === 202).map((s) => s.ms));
      const row: LikeForLikeStep = {
        rate,
        sent: stepped.samples.length,
        accepted: acceptedIds.length,
        throttled,
        serverErrors,
        incomplete,
        deadLetters: stepped.deadLetters,
        drainedAfterS: stepped.drained,
        reconcileOk,
        reconcileOutput,
        held: held && reconcileOk !== false,
        postP50: latency.p50,
        postP99: latency.p99,
        emulatorMsPerOrder: stepped.cpu.emulatorMsPerRequest,
        machineMsPerOrder: stepped.cpu.machineMsPerRequest,
        functionsMsPerOrder: round(Object.values(stepped.functionsCpu).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0)),
        messagesPerOrder: usage.invocationsByMessage,
        requestsPerOrder: usage.totalRequests,
        coldStarts: stepped.emulator.coldStarts,
        timeouts: stepped.emulator.timeouts,
        loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
      };
      steps.push(row);
      log(
        `  ${row.held ? 'held' : 'NOT held'}: ${row.accepted}/${row.sent} accepted, ${row.throttled} x 429, ${row.serverErrors} x 5xx, ${row.incomplete} incomplete, DLQ +${row.deadLetters}, drained ${row.drainedAfterS ?? 'no'} s; emulator ${row.emulatorMsPerOrder} ms/order, functions ${row.functionsMsPerOrder} ms/order, ${row.requestsPerOrder} requests/order`,
      );
      if (!row.held) break;
    }
    // Nothing of this variant may reach the next one's workers: the deadline copies too (delayed by the stage's
    // order deadline). A hollow order's copy reaching the real aggregator would be cancelled (TIMEOUT) and counted by
    // analytics, an order reconcile cannot find.
    if ((await h.drain(300, true)) === undefined) throw new Error(`the ${variant.name} stack's queues did not empty in 300 s; not switching stacks`);
    runs.push({ variant: variant.name, label: variant.label, steps, highestHeldRate: steps.filter((s) => s.held).at(-1)?.rate ?? null });
  }
  // Leave the emulator as the bench found it: the pipeline with the fixtures.
  log('… redeploying the pipeline');
  await bringUp(true, 'local', { [BENCH_CONTEXT_KEY]: 'true' });

  const [pipeline, hollow] = runs;
  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    options: o,
    machine: machine(),
    emulator: { name: 'MiniStack', version: MINISTACK_VERSION, lambdaAccountConcurrency: LAMBDA_ACCOUNT_CONCURRENCY },
    runs,
    ratioOfCeiling: pipeline?.highestHeldRate && hollow?.highestHeldRate ? ratio(pipeline.highestHeldRate, hollow.highestHeldRate) : null,
  };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'like-for-like.json'), JSON.stringify(result, null, 2));
  const md = renderLikeForLike(result);
  writeFileSync(join(o.out, 'like-for-like.md'), md);
  log(`\n${md}\nWritten: ${join(o.out, 'like-for-like.json')} and like-for-like.md.`);
}

export function renderLikeForLike(r: {
  runs: { label: string; steps: LikeForLikeStep[]; highestHeldRate: number | null }[];
  ratioOfCeiling: number | null;
}): string {
  const out: string[] = ['#### Like-for-like ceiling: the pipeline beside the hollow stack', ''];
  out.push(
    '| stack | orders/s | held | accepted / sent | 429 | 5xx | incomplete | DLQ | drained s | POST p50 / p99 ms | emulator CPU ms/order | functions CPU ms/order | AWS requests/order | messages/order | load |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const run of r.runs) {
    for (const s of run.steps) {
      const messages = Object.entries(s.messagesPerOrder)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      out.push(
        `| ${run.label} | ${s.rate} | ${s.held ? 'yes' : '**no**'} | ${s.accepted} / ${s.sent} | ${s.throttled} | ${s.serverErrors} | ${s.incomplete} | ${s.deadLetters} | ${s.drainedAfterS ?? 'no'} | ${s.postP50} / ${s.postP99} | ${s.emulatorMsPerOrder ?? '?'} | ${s.functionsMsPerOrder} | ${s.requestsPerOrder} | ${messages} | ${s.loadAverage1m} |`,
      );
    }
  }
  out.push('');
  for (const run of r.runs) out.push(`- ${run.label}: highest rate held **${run.highestHeldRate ?? 'none'}** orders/s`);
  out.push(`- the pipeline's held rate as a share of the hollow stack's: **${r.ratioOfCeiling ?? 'n/a'}** (target >= 0.8)`);
  return `${out.join('\n')}\n`;
}
