/**
 * Cost per million orders and the capacity model: pure arithmetic over (a) what the synthesized template says
 * (memory, architecture, which queues each event type reaches, batch sizes), (b) what the benchmark counted
 * (requests and capacity units per message) and (c) stated traffic assumptions. Unit-tested.
 */
import type { Prices } from './prices';

export type Outcome = 'confirmed' | 'declined' | 'backordered';

/** The events one order publishes, by outcome (fixed by the lifecycle: lambdas/core/lifecycle.ts). */
const EVENTS_BY_OUTCOME: Record<Outcome, string[]> = {
  confirmed: ['OrderPlaced', 'PaymentCharged', 'StockReserved', 'OrderConfirmed'],
  declined: ['OrderPlaced', 'PaymentDeclined', 'StockReserved', 'OrderCancelled'],
  backordered: ['OrderPlaced', 'PaymentCharged', 'StockBackordered', 'OrderCancelled'],
};

export interface TemplateFacts {
  /** eventType -> the services whose subscription filter lets it through. */
  routes: Record<string, string[]>;
  /** service name (POWERTOOLS_SERVICE_NAME) -> memory MB and architecture of its function. */
  functions: Record<string, { memoryMb: number; arm: boolean }>;
  /** service -> SQS batch size of its event source mapping. */
  batchSize: Record<string, number>;
}

export interface Assumptions {
  mix: Record<Outcome, number>;
  /** Messages per SQS batch a worker receives on average (1 at a trickle, up to the batch size under load). */
  batchFill: number;
  /** GET /orders/{id} calls per order (a client following the Location). */
  getsPerOrder: number;
  durationsMs: { api: number; relay: number; workerPerBatch: number; workerPerMessage: number };
  /** CloudWatch Logs bytes: the platform's START/END/REPORT lines per invocation, and one app line per unit of work. */
  logBytes: { platformPerInvocation: number; perLine: number };
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  mix: { confirmed: 0.9, declined: 0.05, backordered: 0.05 },
  batchFill: 5,
  getsPerOrder: 1,
  durationsMs: { api: 25, relay: 30, workerPerBatch: 30, workerPerMessage: 20 },
  logBytes: { platformPerInvocation: 350, perLine: 400 },
};

/** Measured usage per unit of work by source (api, relay, each service, reference), from `npm run bench`. */
export interface MeasuredUsage {
  source: string;
  perUnit: { requests: number; rcu: number; wcu: number };
}

/** Template facts from a synthesized CloudFormation template. */
export function templateFacts(template: { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> }): TemplateFacts {
  const res = template.Resources;
  const idToService = new Map<string, string>();
  const functions: TemplateFacts['functions'] = {};
  for (const [id, r] of Object.entries(res)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const service = String(r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME ?? id);
    idToService.set(id, service);
    functions[service] = { memoryMb: Number(r.Properties?.MemorySize ?? 128), arm: (r.Properties?.Architectures ?? []).includes('arm64') };
  }
  // queue logical id -> service, through the event source mappings.
  const queueToService = new Map<string, string>();
  const batchSize: Record<string, number> = {};
  for (const r of Object.values(res)) {
    if (r.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const fnId = r.Properties?.FunctionName?.Ref;
    const queueId = r.Properties?.EventSourceArn?.['Fn::GetAtt']?.[0];
    const service = idToService.get(fnId);
    if (!service || !queueId) continue;
    queueToService.set(queueId, service);
    batchSize[service] = Number(r.Properties?.BatchSize ?? 10);
  }
  const routes: Record<string, string[]> = {};
  for (const r of Object.values(res)) {
    if (r.Type !== 'AWS::SNS::Subscription' || r.Properties?.Protocol !== 'sqs') continue;
    const queueId = r.Properties?.Endpoint?.['Fn::GetAtt']?.[0];
    const service = queueToService.get(queueId);
    const allow: string[] = r.Properties?.FilterPolicy?.eventType ?? [];
    if (!service) continue;
    for (const e of allow) (routes[e] ??= []).push(service);
  }
  for (const k of Object.keys(routes)) routes[k]!.sort();
  // The benchmark's own fixtures (-c bench=true) are not part of the pipeline.
  for (const k of Object.keys(routes)) routes[k] = routes[k]!.filter((svc) => !svc.startsWith('bench-'));
  for (const k of Object.keys(functions)) if (k.startsWith('bench-')) delete functions[k];
  for (const k of Object.keys(batchSize)) if (k.startsWith('bench-')) delete batchSize[k];
  return { routes, functions, batchSize };
}

/** Worker messages per order by service, weighted by the outcome mix. */
export function messagesPerOrder(routes: TemplateFacts['routes'], mix: Assumptions['mix']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [outcome, share] of Object.entries(mix) as [Outcome, number][]) {
    for (const e of EVENTS_BY_OUTCOME[outcome]) for (const s of routes[e] ?? []) out[s] = (out[s] ?? 0) + share;
  }
  return out;
}

export const publishesPerOrder = (mix: Assumptions['mix']): number =>
  (Object.entries(mix) as [Outcome, number][]).reduce((n, [o, share]) => n + share * EVENTS_BY_OUTCOME[o].length, 0);

export interface Design {
  name: string;
  api: 'http' | 'rest';
  /** DynamoDB units per message for some services, replacing the measured ones (a modelled alternative). */
  perMessage?: Record<string, { rcu: number; wcu: number }>;
}

export interface CostLine {
  item: string;
  usdPerMillionOrders: number;
}

/** Services whose messages go through an idempotency guard (the aggregator's conditional writes are its own). */
const GUARDED = ['payment', 'inventory', 'shipping', 'notification', 'analytics'];

/**
 * The same lifecycle with Powertools-style idempotency, per guarded message: shipping's effect is what the reference
 * worker measured; every other guarded service keeps its measured effect writes but drops the inbox's share (the
 * "seen it?" read, 1 RCU, and the inbox record inside its transaction, 2 WCU) and pays Powertools' claim + complete
 * instead (the reference's units minus its two effect puts). Conservative for Powertools: its effect writes stay
 * transactional where ours are.
 */
export function powertoolsPerMessage(
  usage: readonly MeasuredUsage[],
  reference: { rcu: number; wcu: number },
  referenceEffectWcu = 2,
): Record<string, { rcu: number; wcu: number }> {
  const claimComplete = { rcu: reference.rcu, wcu: reference.wcu - referenceEffectWcu };
  const out: Record<string, { rcu: number; wcu: number }> = { shipping: { rcu: reference.rcu, wcu: reference.wcu } };
  for (const s of GUARDED) {
    if (s === 'shipping') continue;
    const ours = usage.find((u) => u.source === s)?.perUnit;
    if (!ours) continue;
    out[s] = { rcu: Math.max(0, ours.rcu - 1) + claimComplete.rcu, wcu: Math.max(0, ours.wcu - 2) + claimComplete.wcu };
  }
  return out;
}

export function costPerMillion(
  facts: TemplateFacts,
  usage: readonly MeasuredUsage[],
  a: Assumptions,
  p: Prices,
  design: Design,
): { lines: CostLine[]; total: number } {
  const M = 1_000_000;
  const msgs = messagesPerOrder(facts.routes, a.mix);
  const use = (s: string) => usage.find((u) => u.source === s)?.perUnit ?? { requests: 0, rcu: 0, wcu: 0 };
  const gbs = (service: string, ms: number) => {
    const f = facts.functions[service] ?? { memoryMb: 256, arm: true };
    return (f.memoryMb / 1024) * (ms / 1000) * (f.arm ? p.lambda.perGbSecondArm : p.lambda.perGbSecondX86);
  };

  const apiRequests = 1 + a.getsPerOrder;
  const workerInvocations = Object.values(msgs).reduce((n, m) => n + m / a.batchFill, 0);
  const relayInvocations = 1; // one stream batch per order at worst (batches only lower it)
  const invocations = apiRequests + relayInvocations + workerInvocations;

  const lambdaCompute =
    apiRequests * gbs('orders-api', a.durationsMs.api) +
    relayInvocations * gbs('outbox-relay', a.durationsMs.relay) +
    Object.entries(msgs).reduce((n, [s, m]) => n + (m / a.batchFill) * gbs(s, a.durationsMs.workerPerBatch) + m * gbs(s, a.durationsMs.workerPerMessage), 0);

  let rcu = use('api').rcu + use('relay').rcu;
  let wcu = use('api').wcu + use('relay').wcu;
  for (const [s, m] of Object.entries(msgs)) {
    const units = design.perMessage?.[s] ?? use(s);
    rcu += m * units.rcu;
    wcu += m * units.wcu;
  }
  // The GET reads one order partition with a strongly consistent Query (a few small items: 1 unit).
  rcu += a.getsPerOrder * 1;

  const totalMessages = Object.values(msgs).reduce((n, m) => n + m, 0);
  const sqsRequests = totalMessages /* SNS -> SendMessage */ + 2 * (totalMessages / a.batchFill); /* receive + delete */
  const logLines = apiRequests + relayInvocations + totalMessages;
  const logGb = (invocations * a.logBytes.platformPerInvocation + logLines * a.logBytes.perLine) / 1024 ** 3;

  const lines: CostLine[] = [
    {
      item: `API Gateway (${design.api === 'http' ? 'HTTP' : 'REST'} API)`,
      usdPerMillionOrders: apiRequests * (design.api === 'http' ? p.apiGateway.httpPerMillion : p.apiGateway.restPerMillion),
    },
    { item: 'Lambda requests', usdPerMillionOrders: invocations * p.lambda.perMillionRequests },
    { item: 'Lambda compute (GB-s)', usdPerMillionOrders: lambdaCompute * M },
    { item: 'DynamoDB writes (WRU)', usdPerMillionOrders: wcu * p.dynamodb.perMillionWriteUnits },
    { item: 'DynamoDB reads (RRU)', usdPerMillionOrders: rcu * p.dynamodb.perMillionReadUnits },
    { item: 'SNS publishes', usdPerMillionOrders: publishesPerOrder(a.mix) * p.sns.perMillionPublishes },
    { item: 'SQS requests', usdPerMillionOrders: sqsRequests * p.sqs.perMillionRequests },
    { item: 'CloudWatch Logs ingestion', usdPerMillionOrders: logGb * M * p.cloudwatchLogs.perGbIngested },
  ].map((l) => ({ ...l, usdPerMillionOrders: Number(l.usdPerMillionOrders.toFixed(2)) }));
  return { lines, total: Number(lines.reduce((n, l) => n + l.usdPerMillionOrders, 0).toFixed(2)) };
}

export interface StageLimits {
  apiRatePerSecond: number;
  workers: Record<string, { maxConcurrency: number; batchSize: number }>;
  /** SNS Publish quota of the account and region (us-east-1: 30,000 per second, soft). */
  snsPublishPerSecond: number;
  /** Lambda concurrent executions of the account (default 1,000, soft). */
  lambdaAccountConcurrency: number;
  /** A DynamoDB partition serves about 1,000 write units per second. */
  partitionWcuPerSecond: number;
  /** How many partitions one day's analytics counters spread over (1 when shards share a partition key). */
  analyticsPartitions: number;
}

export interface Limit {
  limit: string;
  ordersPerSecond: number;
  how: string;
}

/** The order rate at which each limit is hit, lowest first (the first bottleneck). */
export function capacityModel(limits: StageLimits, facts: TemplateFacts, a: Assumptions, usage: readonly MeasuredUsage[]): Limit[] {
  const msgs = messagesPerOrder(facts.routes, a.mix);
  const out: Limit[] = [];
  out.push({
    limit: 'API throttle (stage rate limit)',
    ordersPerSecond: limits.apiRatePerSecond / (1 + a.getsPerOrder),
    how: `${limits.apiRatePerSecond} requests/s / (1 POST + ${a.getsPerOrder} GET per order)`,
  });
  for (const [s, w] of Object.entries(limits.workers)) {
    const perOrder = msgs[s] ?? 0;
    if (!perOrder) continue;
    const batchSeconds = (a.durationsMs.workerPerBatch + w.batchSize * a.durationsMs.workerPerMessage) / 1000;
    const messagesPerSecond = (w.maxConcurrency * w.batchSize) / batchSeconds;
    out.push({
      limit: `${s} worker (maxConcurrency x batch)`,
      ordersPerSecond: messagesPerSecond / perOrder,
      how: `${w.maxConcurrency} x ${w.batchSize} messages per ${batchSeconds.toFixed(2)} s batch / ${perOrder.toFixed(2)} messages per order`,
    });
  }
  const pubs = publishesPerOrder(a.mix);
  out.push({
    limit: 'SNS Publish quota',
    ordersPerSecond: limits.snsPublishPerSecond / pubs,
    how: `${limits.snsPublishPerSecond}/s / ${pubs.toFixed(2)} publishes per order`,
  });
  // Each reservation (and release) decrements the SKU's catalog item inside a transaction: 2 units.
  out.push({
    limit: "hot SKU's catalog partition",
    ordersPerSecond: limits.partitionWcuPerSecond / 2,
    how: `${limits.partitionWcuPerSecond} WCU/s / 2 WCU (transactional decrement) per order containing the SKU`,
  });
  out.push({
    limit: "a day's analytics partition(s)",
    ordersPerSecond: (limits.analyticsPartitions * limits.partitionWcuPerSecond) / 2,
    how: `${limits.analyticsPartitions} partition(s) x ${limits.partitionWcuPerSecond} WCU/s / 2 WCU (transactional ADD) per decided order and currency`,
  });
  const workerSlots = Object.values(limits.workers).reduce((n, w) => n + w.maxConcurrency, 0);
  const perOrderSeconds = ((1 + a.getsPerOrder) * a.durationsMs.api + a.durationsMs.relay) / 1000;
  out.push({
    limit: 'Lambda account concurrency',
    ordersPerSecond: (limits.lambdaAccountConcurrency - workerSlots) / perOrderSeconds,
    how: `(${limits.lambdaAccountConcurrency} - ${workerSlots} worker slots at maxConcurrency) / ${perOrderSeconds.toFixed(3)} s of API + relay execution per order`,
  });
  void usage;
  return out.map((l) => ({ ...l, ordersPerSecond: Math.floor(l.ordersPerSecond) })).sort((x, y) => x.ordersPerSecond - y.ordersPerSecond);
}
