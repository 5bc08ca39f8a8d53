/**
 * `npm run cost`: cost per million orders (this design, Powertools-style idempotency, REST API instead of HTTP API)
 * and the prod capacity model. Reads a synthesized template (default: the local deploy's, else `npm run synth`'s)
 * and the benchmark's counted usage (docs/bench/results.json); every assumption is printed with the result.
 *
 *   npm run cost -- [--template cdk.out/OrderPipeline-dev.template.json] [--results docs/bench/results.json]
 *                   [--batch-fill 5] [--gets 1] [--json out.json]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICES } from '../../lambdas/services/registry';
import { SHARDS, shardKey } from '../../lambdas/services/analytics/analytics';
import { STAGES } from '../../lib/stages';
import { ROOT } from '../local/paths';
import { capacityModel, costPerMillion, DEFAULT_ASSUMPTIONS, type MeasuredUsage, messagesPerOrder, powertoolsPerMessage, templateFacts } from './model';
import { PRICES } from './prices';

const { values: opts } = parseArgs({
  options: {
    template: { type: 'string' },
    results: { type: 'string', default: 'docs/bench/results.json' },
    'batch-fill': { type: 'string' },
    gets: { type: 'string' },
    json: { type: 'string' },
  },
});

const candidates = [opts.template, 'cdk.local.out/OrderPipeline-local.template.json', 'cdk.out/OrderPipeline-dev.template.json'].filter(Boolean) as string[];
const templatePath = candidates.find((p) => existsSync(join(ROOT, p)));
if (!templatePath) {
  console.error(`no synthesized template found (tried ${candidates.join(', ')}): run \`npm run synth\` first`);
  process.exit(1);
}
const facts = templateFacts(JSON.parse(readFileSync(join(ROOT, templatePath), 'utf8')));

const resultsPath = join(ROOT, opts.results!);
if (!existsSync(resultsPath)) {
  console.error(`${opts.results} not found: run \`npm run bench\` first (the cost model uses its counted requests and capacity units)`);
  process.exit(1);
}
const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as { startedAt: string; usage: MeasuredUsage[] };
const usage = results.usage;

const assumptions = {
  ...DEFAULT_ASSUMPTIONS,
  ...(opts['batch-fill'] ? { batchFill: Number(opts['batch-fill']) } : {}),
  ...(opts.gets ? { getsPerOrder: Number(opts.gets) } : {}),
};

const ref = usage.find((u) => u.source === 'reference')?.perUnit;
const shipping = usage.find((u) => u.source === 'shipping')?.perUnit;
if (!ref || !shipping) {
  console.error(`${opts.results} lacks the reference worker's or shipping's usage: rerun \`npm run bench\``);
  process.exit(1);
}
const powertools = powertoolsPerMessage(usage, ref);
const designs = [
  { name: 'this design', api: 'http' as const },
  { name: 'Powertools-style idempotency', api: 'http' as const, perMessage: powertools },
  { name: 'REST API instead of HTTP API', api: 'rest' as const },
];
const costs = designs.map((d) => ({ design: d.name, ...costPerMillion(facts, usage, assumptions, PRICES, d) }));

const prod = STAGES.prod;
const limits = {
  apiRatePerSecond: prod.api.throttleRatePerSecond,
  workers: Object.fromEntries(
    SERVICES.map((s) => [
      s.name,
      { maxConcurrency: s.limits?.maxConcurrency ?? prod.worker.maxConcurrency, batchSize: s.limits?.batchSize ?? prod.worker.batchSize },
    ]),
  ),
  snsPublishPerSecond: 30_000,
  lambdaAccountConcurrency: 1_000,
  partitionWcuPerSecond: 1_000,
  // The day's counter is split into SHARDS items, each its own partition key (lambdas/services/analytics/analytics.ts).
  analyticsPartitions: new Set(Array.from({ length: SHARDS }, (_, i) => shardKey('2026-01-01', 'USD', i).pk)).size,
};
const capacity = capacityModel(limits, facts, assumptions, usage);

const lines: string[] = [];
lines.push(
  `Prices: ${PRICES.region}, as of ${PRICES.asOf} (scripts/cost/prices.ts). Template: ${templatePath}. Usage counted by the benchmark run of ${results.startedAt} (${opts.results}).`,
);
lines.push(
  `Assumptions: mix ${JSON.stringify(assumptions.mix)}, ${assumptions.batchFill} messages per SQS batch, ${assumptions.getsPerOrder} GET per order, durations ${JSON.stringify(assumptions.durationsMs)} ms, log bytes ${JSON.stringify(assumptions.logBytes)}, payloads < 64 KB (one request each).`,
);
lines.push(
  `Worker messages per order: ${Object.entries(messagesPerOrder(facts.routes, assumptions.mix))
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ')}.`,
);
lines.push(
  `Per message, measured side by side: shipping ${shipping.rcu} RCU + ${shipping.wcu} WCU; Powertools reference (same effect) ${ref.rcu} RCU + ${ref.wcu} WCU.`,
);
lines.push(
  `Powertools-style per guarded message (modelled, see scripts/cost/model.ts powertoolsPerMessage): ${Object.entries(powertools)
    .map(([k, v]) => `${k} ${v.rcu.toFixed(2)} RCU + ${v.wcu.toFixed(2)} WCU`)
    .join(', ')}.`,
  '',
);
lines.push(`| line item (USD per million orders) | ${costs.map((c) => c.design).join(' | ')} |`, `|---|${costs.map(() => '---:').join('|')}|`);
for (let i = 0; i < costs[0]!.lines.length; i++)
  lines.push(`| ${costs.map((c) => c.lines[i]!.item)[0]} | ${costs.map((c) => c.lines[i]!.usdPerMillionOrders.toFixed(2)).join(' | ')} |`);
lines.push(`| **total** | ${costs.map((c) => `**${c.total.toFixed(2)}**`).join(' | ')} |`);
const top = [...costs[0]!.lines].sort((a, b) => b.usdPerMillionOrders - a.usdPerMillionOrders).slice(0, 3);
lines.push(
  '',
  `Dominant line items (this design): ${top.map((l) => `${l.item} ${((100 * l.usdPerMillionOrders) / costs[0]!.total).toFixed(0)} %`).join(', ')}.`,
);
lines.push('', '| prod limit | orders/s at which it is hit | how |', '|---|---:|---|');
for (const l of capacity) lines.push(`| ${l.limit} | ${l.ordersPerSecond} | ${l.how} |`);
lines.push('', `First bottleneck in prod: **${capacity[0]!.limit}** at ~${capacity[0]!.ordersPerSecond} orders/s.`);
console.log(lines.join('\n'));
if (opts.json) writeFileSync(opts.json, JSON.stringify({ prices: PRICES, assumptions, template: templatePath, costs, capacity }, null, 2));
