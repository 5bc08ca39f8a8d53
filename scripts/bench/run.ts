/**
 * `npm run bench`: the pipeline against a floor, on the locally deployed stack (deployed with the bench fixtures
 * if needed). See BENCHMARKS.md for what each figure means and what it is compared against.
 *
 *   npm run bench -- [--orders 150] [--concurrency 1,8] [--rates 10,20,30,40,50,60] [--duration 60]
 *                    [--drain 30] [--out docs/bench] [--deploy] [--skip-steps] [--skip-startup]
 *   npm run bench -- --only like-for-like --rates 14,16,17,18,19,20,21,22,23,24 [--duration 60] [--drain 30] [--out docs/bench]
 *     the pipeline's throughput steps, then the same against the hollow stack (same topology, no work per order:
 *     the emulator's like-for-like ceiling), side by side (like-for-like.json, like-for-like.md); redeploys the pipeline.
 *     Give it fine --rates around the expected ceilings: the default list (10, 20, ...) is for the main bench.
 *   npm run bench -- --only startup [--baseline main] [--runs 7] [--out docs/bench]
 *     start-up only: synthesizes the local stage (no emulator), measures every bundle's size and module init; with
 *     --baseline, also the given git revision, interleaved run by run, side by side (startup.json, startup.md).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { loadavg, tmpdir } from 'node:os';
import { BatchWriteCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { orderTransaction } from '../../lambdas/adapters/order-placement';
import { BENCH_OUTPUTS } from '../../lib/constructs/bench';
import { localApiUrl, readOutputs } from '../local/deploy';
import { LAMBDA_ACCOUNT_CONCURRENCY, MINISTACK_VERSION, ownedEmulator, readState } from '../local/emulator';
import { OUTPUTS_FILE, ROOT, STACK_NAME } from '../local/paths';
import { bringUp } from '../local/up-steps';
import { closedLoop, openLoop, type Sample, type Variant } from './load';
import { cpuMeter, measureRequestCost, type CpuUse } from './cpu';
import { connect, ORDER, readUsage, reconcile, type StepResult } from './harness';
import { likeForLike } from './like-for-like';
import { checkoutRef, measureStartup, measureStartupSideBySide, synthLocal } from './startup';
import { histogram, interleave, percentile, ratio, round, summarize, type Summary } from './stats';
import { histogramSvg, lineSvg } from './svg';
import { aggregateUsage, perOrder } from './usage';
import { machine, renderMarkdown, renderStartup, STARTUP_TARGET } from './report';
import { KEY_PREFIX, OUTBOX_PENDING } from '../../lambdas/contract';

const { values: opts } = parseArgs({
  options: {
    orders: { type: 'string', default: '150' },
    concurrency: { type: 'string', default: '1,8' },
    rates: { type: 'string', default: '10,20,30,40,50,60' },
    'ceiling-rates': { type: 'string', default: '25,50,75,100,150,200' },
    duration: { type: 'string', default: '60' },
    drain: { type: 'string', default: '30' },
    out: { type: 'string', default: 'docs/bench' },
    deploy: { type: 'boolean', default: false },
    'skip-steps': { type: 'boolean', default: false },
    'skip-startup': { type: 'boolean', default: false },
    only: { type: 'string' },
    baseline: { type: 'string' },
    runs: { type: 'string', default: '7' },
  },
});
/** Where the results go: resolved, not joined, so an absolute --out (/tmp/x) stays absolute instead of landing in the checkout. */
const outDir = () => resolve(ROOT, opts.out!);

const log = (s: string) => console.log(s);

async function stack() {
  const owned = await ownedEmulator();
  if (!opts.deploy && owned && existsSync(OUTPUTS_FILE)) {
    const outputs = readOutputs();
    // Only the pipeline with the fixtures: not a stack deployed before them, nor the hollow one (--only like-for-like).
    if (outputs[BENCH_OUTPUTS.mode] === 'fixtures') {
      const endpoint = `http://127.0.0.1:${owned.port}`;
      log(`✓ reusing the deployed stack with bench fixtures on ${endpoint} (--deploy to redeploy)`);
      return { endpoint, outputs, apiUrl: localApiUrl(outputs, endpoint) };
    }
  }
  const up = await bringUp(true, 'local', { bench: 'true' });
  return { endpoint: up.emulator.endpoint, outputs: up.outputs, apiUrl: up.apiUrl };
}

async function main() {
  const started = new Date();
  const loadAtStart = Number(loadavg()[0]!.toFixed(1));
  const { endpoint, outputs, apiUrl } = await stack();
  const h = connect({ endpoint, outputs, apiUrl });
  const { ddb, ordersTable, queues, delayed, post, depths, drain } = h;

  // The client's own transaction of the same items as POST /orders (the outbox item's sort key renamed, so the
  // relay does not publish it: the floor must not feed the pipeline).
  const floorKeys: { pk: string; sk: string }[] = [];
  const clientTransact = async () => {
    const items = orderTransaction(
      { orderId: `floor-${crypto.randomUUID()}`, order: ORDER as never, correlationId: crypto.randomUUID(), now: new Date() },
      ordersTable,
    );
    for (const i of items) {
      if (!i.Put || !String(i.Put.Item!.sk).startsWith(KEY_PREFIX.outbox)) continue;
      const item = i.Put.Item!;
      item.sk = `FLOORX#${String(item.sk).slice(KEY_PREFIX.outbox.length)}`;
      // Out of the sparse pending index too (the sweeper would publish it), with attribute names of the same length.
      for (const name of [OUTBOX_PENDING.partition, OUTBOX_PENDING.since]) {
        item[`${name.slice(0, -1)}_`] = item[name];
        delete item[name];
      }
    }
    await ddb.send(new TransactWriteCommand({ TransactItems: items }));
    for (const i of items) if (i.Put) floorKeys.push({ pk: String(i.Put.Item!.pk), sk: String(i.Put.Item!.sk) });
    return { status: 200 };
  };
  /** The floor's items are not orders: removed after each phase so that reconcile sees only real orders. */
  const removeFloorItems = async () => {
    const keys = floorKeys.splice(0);
    for (let i = 0; i < keys.length; i += 25) {
      let request: Record<string, any> | undefined = { [ordersTable]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) };
      while (request && Object.keys(request).length) request = (await ddb.send(new BatchWriteCommand({ RequestItems: request }))).UnprocessedItems;
    }
  };
  const variants: Variant[] = [
    { name: 'noop', run: () => post('/bench/noop') },
    { name: 'transact', run: clientTransact },
    { name: 'post', run: () => post('/orders') },
  ];

  // Warm-up: every function started at least once (cold starts are reported by the start-up section instead).
  log('… warm-up');
  await closedLoop(
    variants,
    interleave(
      variants.map((v) => v.name),
      10,
    ),
    4,
  );
  await removeFloorItems();
  await drain(60);

  // The emulator's CPU per AWS request, alone: GetItems of an absent key from this client (4 at a time), nothing else
  // sent. With the functions' counted requests per order it says how much of the emulator's time per order is ours.
  log('… emulator CPU per AWS request (GetItem of an absent key)');
  const requestCost = await measureRequestCost(
    () => ddb.send(new GetCommand({ TableName: ordersTable, Key: { pk: 'BENCH#absent', sk: 'BENCH' } })),
    readState()?.pid,
  );
  log(`  ${requestCost.emulatorMsPerRequest} emulator CPU ms per request (${requestCost.requests} requests)`);

  // Latency: interleaved rounds, c=1 and c=8, and c=1 with a pause after each round (the pipeline idle).
  const n = Number(opts.orders);
  const latency: Record<string, Record<string, unknown>> = {};
  const rawLatency: Record<string, Sample[]> = {};
  const phases: { name: string; c: number; pauseMs: number }[] = [
    ...opts.concurrency!.split(',').map((c) => ({ name: `c=${c}`, c: Number(c), pauseMs: 0 })),
    { name: 'c=1, pipeline idle', c: 1, pauseMs: 700 },
  ];
  for (const phase of phases) {
    log(`… latency ${phase.name}: ${n} rounds of ${variants.map((v) => v.name).join(' / ')}`);
    let samples: Sample[];
    if (phase.pauseMs === 0)
      samples = await closedLoop(
        variants,
        interleave(
          variants.map((v) => v.name),
          n,
        ),
        phase.c,
      );
    else {
      samples = [];
      for (const name of interleave(
        variants.map((v) => v.name),
        Math.ceil(n / 3),
      )) {
        samples.push(...(await closedLoop(variants, [name], 1)));
        if (name === 'post') await new Promise((r) => setTimeout(r, phase.pauseMs));
      }
    }
    rawLatency[phase.name] = samples;
    const ok = (v: string) => samples.filter((s) => s.variant === v && s.status >= 200 && s.status < 300).map((s) => s.ms);
    const s = Object.fromEntries(variants.map((v) => [v.name, summarize(ok(v.name))])) as Record<string, Summary>;
    // Floor percentile: the no-op route's plus the client transaction's (two hops the order handler makes).
    const floor: Summary = {
      n: Math.min(s.noop!.n, s.transact!.n),
      p50: round(s.noop!.p50 + s.transact!.p50),
      p90: round(s.noop!.p90 + s.transact!.p90),
      p99: round(s.noop!.p99 + s.transact!.p99),
      max: Number.NaN,
      mean: round(s.noop!.mean + s.transact!.mean),
    };
    const errors = samples.filter((x) => x.status < 200 || x.status >= 300).length;
    await removeFloorItems();
    latency[phase.name] = {
      ...s,
      floor,
      ratioP50: ratio(s.post!.p50, floor.p50),
      ratioP90: ratio(s.post!.p90, floor.p90),
      ratioP99: ratio(s.post!.p99, floor.p99),
      errors: { n: errors },
    };
    await drain(60);
  }

  // The emulator's ceiling: the same open-loop steps against the no-op route (a stack that does no work per order).
  const ceiling: { rate: number; sent: number; ok: number; throttled: number; serverErrors: number; p50: number; p99: number; held: boolean; cpu: CpuUse }[] =
    [];
  // The emulator's own process: its CPU per request isolates what the emulator costs from what the functions cost.
  const emulatorPid = readState()?.pid;
  if (!opts['skip-steps']) {
    for (const rate of opts['ceiling-rates']!.split(',').map(Number)) {
      log(`… ceiling step: no-op route at ${rate}/s for ${opts.duration} s`);
      const meter = cpuMeter(emulatorPid);
      const samples = await openLoop(() => post('/bench/noop'), rate, Number(opts.duration), 'noop');
      const cpu = meter.stop(samples.length);
      const ok = samples.filter((x) => x.status === 202);
      const lat = summarize(ok.map((x) => x.ms));
      const row = {
        rate,
        sent: samples.length,
        ok: ok.length,
        throttled: samples.filter((x) => x.status === 429).length,
        serverErrors: samples.filter((x) => x.status >= 500 || x.status === 0).length,
        p50: lat.p50,
        p99: lat.p99,
        held: ok.length === samples.length,
        cpu,
      };
      ceiling.push(row);
      log(
        `  ${row.held ? 'held' : 'NOT held'}: ${row.ok}/${row.sent} answered 202, ${row.throttled} x 429, ${row.serverErrors} x 5xx/errors, p50 ${row.p50} ms, p99 ${row.p99} ms`,
      );
      if (!row.held) break;
    }
  }

  // Throughput steps: open loop, rising until a step fails.
  const steps: StepResult[] = [];
  const timeline: { t: number; sent: number; accepted: number; throttled: number; depth: Record<string, number> }[] = [];
  const benchT0 = Date.now();
  if (!opts['skip-steps']) {
    for (const rate of opts.rates!.split(',').map(Number)) {
      log(`… step ${rate} orders/s for ${opts.duration} s`);
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const at = Date.now();
          timeline.push({ t: round((at - benchT0) / 1000), sent: 0, accepted: 0, throttled: 0, depth: await depths(true) });
          await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - at))));
        }
      })();
      const stepped = await h.step(rate, { seconds: Number(opts.duration), drainS: Number(opts.drain), emulatorPid });
      const { samples, drained, cpu, functionsCpu } = stepped;
      sampling = false;
      await sampler;
      for (const s of samples) {
        const slot = timeline.find((p) => p.t === Math.floor((s.startedAt - benchT0) / 1000)) ?? nearest(timeline, (s.startedAt - benchT0) / 1000);
        if (!slot) continue;
        slot.sent += 1;
        if (s.status === 202) slot.accepted += 1;
        if (s.status === 429) slot.throttled += 1;
      }
      const evaluated = await h.evaluateStep(rate, Number(opts.duration), stepped);
      const reconciled = reconcile();
      const result = {
        ...evaluated,
        held: evaluated.held && reconciled.ok !== false,
        reconcile: reconciled,
        emulator: stepped.emulator,
        cpu,
        functionsCpu,
      };
      steps.push(result);
      log(
        `  ${result.held ? 'held' : 'NOT held'}: ${result.accepted}/${result.sent} accepted, ${result.throttled} x 429, ${result.serverErrors} x 5xx, ${result.undecided} undecided, DLQ ${result.deadLetters}, drained ${drained ?? 'no'} s; emulator: ${JSON.stringify(result.emulator)}`,
      );
      if (!result.held) break;
    }
  }

  // Cost counted from the functions' own log lines.
  log("… counting requests and capacity units from the functions' logs");
  const usageLines = await readUsage(endpoint, started.getTime());
  const usage = aggregateUsage(usageLines);
  // The orders the bench saw accepted, not the API's logged lines: the same number when every line is read.
  const orders = h.acceptedOrders();
  const apiLogged = usage.find((u) => u.source === 'api')?.units ?? 0;
  if (apiLogged !== orders) log(`  ! the API logged ${apiLogged} accepted orders, the bench counted ${orders}`);

  // Start-up: bundle sizes and module init time in a fresh node.
  const { bundles: startup, floors: startupFloors } = opts['skip-startup']
    ? { bundles: [], floors: [] }
    : (log('… bundle sizes and init times, beside the dependency floors'), measureStartup(join(ROOT, 'cdk.local.out'), STACK_NAME, 7));

  const lastReconcile = steps.at(-1)?.reconcile ?? { ran: false };

  const held = steps.filter((s) => s.held);
  const best = held.length ? held[held.length - 1] : undefined;
  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    options: opts,
    machine: machine(),
    loadAtStart,
    emulator: { name: 'MiniStack', version: MINISTACK_VERSION, lambdaAccountConcurrency: LAMBDA_ACCOUNT_CONCURRENCY, endpoint },
    latency,
    steps,
    highestHeldRate: best?.rate ?? null,
    ceiling,
    ceilingRate: ceiling.filter((c) => c.held).at(-1)?.rate ?? null,
    endToEnd: best ? { rate: best.rate, toDecided: best.toDecided, toAllFiveDone: best.toAllFiveDone } : null,
    usage,
    perOrder: perOrder(usage, orders),
    requestCost,
    startup,
    startupFloors,
    reconcile: lastReconcile,
    timeline,
  };

  const out = outDir();
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), JSON.stringify(result, null, 2));
  const histPhases = Object.keys(rawLatency).filter((p) => !p.includes('idle'));
  for (const [i, p] of histPhases.entries()) {
    const s = rawLatency[p]!;
    const upper = percentile(
      s.map((x) => x.ms),
      99,
    );
    writeFileSync(
      join(out, `latency-${i === 0 ? 'c1' : `c${p.replace(/\D/g, '')}`}.svg`),
      histogramSvg(
        `POST /orders vs floor parts, ${p} (n=${n} each)`,
        variants.map((v) => ({
          name: v.name === 'post' ? 'POST /orders' : v.name === 'noop' ? 'no-op route' : 'client TransactWrite',
          bins: histogram(
            s.filter((x) => x.variant === v.name).map((x) => x.ms),
            40,
            upper,
          ),
        })),
      ),
    );
  }
  if (timeline.length) {
    writeFileSync(
      join(out, 'throughput.svg'),
      lineSvg(
        'Open-loop steps: requests per second',
        [
          { name: 'sent', points: timeline.map((p) => [p.t, p.sent]) },
          { name: 'accepted (202)', points: timeline.map((p) => [p.t, p.accepted]) },
          { name: '429', points: timeline.map((p) => [p.t, p.throttled]) },
        ],
        'seconds since the first step',
        'requests / s',
      ),
    );
    writeFileSync(
      join(out, 'queue-depth.svg'),
      lineSvg(
        'Queue depth (visible + in flight)',
        [...Object.keys(queues), ...Object.keys(delayed)].map((q) => ({ name: q, points: timeline.map((p) => [p.t, p.depth[q] ?? 0] as [number, number]) })),
        'seconds since the first step',
        'messages',
      ),
    );
  }
  const md = renderMarkdown(result);
  writeFileSync(join(out, 'summary.md'), md);
  log(`\n${md}\nWritten: ${join(out, 'results.json')}, summary.md and the SVG charts.`);
}

function nearest<T extends { t: number }>(points: T[], t: number): T | undefined {
  let best: T | undefined;
  for (const p of points) if (p.t <= t && (!best || p.t > best.t)) best = p;
  return best;
}

/** `--only startup`: bundle sizes and module init, optionally side by side with a git revision. No emulator. */
async function startupOnly() {
  const started = new Date();
  const loadAtStart = Number(loadavg()[0]!.toFixed(1));
  const runs = Number(opts.runs);
  const work = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const rev = (ref: string) => spawnSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['diff', '--quiet', 'HEAD'], { cwd: ROOT }).status !== 0;
  const variants: { label: string; assemblyDir: string }[] = [];
  let cleanup = () => {};
  if (opts.baseline) {
    const base = checkoutRef(ROOT, opts.baseline);
    cleanup = base.cleanup;
    if (!base.sameDeps) log(`! ${opts.baseline}'s package-lock.json differs: its bundles are built with this checkout's node_modules`);
    log(`… synthesizing ${opts.baseline} (${rev(opts.baseline)}), the before`);
    synthLocal(base.dir, join(work, 'before'));
    variants.push({ label: `before: ${opts.baseline} ${rev(opts.baseline)}`, assemblyDir: join(work, 'before') });
  }
  log(`… synthesizing this checkout (${rev('HEAD')}${dirty ? ', uncommitted changes' : ''})`);
  synthLocal(ROOT, join(work, 'after'));
  variants.push({ label: `${opts.baseline ? 'after: ' : ''}${rev('HEAD')}${dirty ? '+' : ''}`, assemblyDir: join(work, 'after') });
  log(`… ${runs} fresh node processes per bundle${variants.length > 1 ? ' and variant' : ''}, round-robin`);
  const { variants: measured, floors } = measureStartupSideBySide(variants, 'OrderPipeline-local', runs);
  cleanup();
  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    options: opts,
    machine: machine(),
    loadAtStart,
    target: STARTUP_TARGET,
    variants: measured,
    floors,
  };
  const out = outDir();
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'startup.json'), JSON.stringify(result, null, 2));
  const md = renderStartup(result);
  writeFileSync(join(out, 'startup.md'), md);
  log(`\n${md}\nWritten: ${join(out, 'startup.json')} and startup.md.`);
}

const only: Record<string, () => Promise<void>> = {
  startup: startupOnly,
  'like-for-like': () =>
    likeForLike({ rates: opts.rates!.split(',').map(Number), seconds: Number(opts.duration), drainS: Number(opts.drain), out: outDir() }, log),
};
(opts.only === undefined
  ? main()
  : (only[opts.only] ?? (() => Promise.reject(new Error(`--only ${opts.only}: one of ${Object.keys(only).join(', ')}`))))()
).catch((err) => {
  console.error(err);
  process.exit(1);
});

export type { Summary };
void readFileSync;
