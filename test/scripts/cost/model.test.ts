import { describe, expect, it } from 'vitest';
import {
  capacityModel,
  costPerMillion,
  DEFAULT_ASSUMPTIONS,
  messagesPerOrder,
  powertoolsPerMessage,
  publishesPerOrder,
  templateFacts,
} from '../../../scripts/cost/model';
import { PRICES } from '../../../scripts/cost/prices';

// A minimal template of the shape CDK synthesizes: two functions, their queues, subscriptions with filter policies.
const template = {
  Resources: {
    ShipFn: {
      Type: 'AWS::Lambda::Function',
      Properties: { MemorySize: 256, Architectures: ['arm64'], Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'shipping' } } },
    },
    PayFn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512, Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'payment' } } } },
    ShipEsm: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { FunctionName: { Ref: 'ShipFn' }, EventSourceArn: { 'Fn::GetAtt': ['ShipQ', 'Arn'] }, BatchSize: 10 },
    },
    PayEsm: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { FunctionName: { Ref: 'PayFn' }, EventSourceArn: { 'Fn::GetAtt': ['PayQ', 'Arn'] }, BatchSize: 5 },
    },
    ShipSub: {
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': ['ShipQ', 'Arn'] }, FilterPolicy: { eventType: ['OrderConfirmed'] } },
    },
    PaySub: {
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': ['PayQ', 'Arn'] }, FilterPolicy: { eventType: ['OrderPlaced', 'OrderCancelled'] } },
    },
    // The bench's reference worker (-c bench=true) is left out of the pipeline's facts.
    RefFn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256, Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'bench-reference' } } } },
    RefEsm: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { FunctionName: { Ref: 'RefFn' }, EventSourceArn: { 'Fn::GetAtt': ['RefQ', 'Arn'] }, BatchSize: 10 },
    },
    RefSub: {
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': ['RefQ', 'Arn'] }, FilterPolicy: { eventType: ['OrderConfirmed'] } },
    },
  },
};

describe('templateFacts', () => {
  it('reads memory, architecture, batch sizes and which events reach which service', () => {
    const f = templateFacts(template);
    expect(f.functions).toEqual({ shipping: { memoryMb: 256, arm: true }, payment: { memoryMb: 512, arm: false } });
    expect(f.batchSize).toEqual({ shipping: 10, payment: 5 });
    expect(f.routes).toEqual({ OrderConfirmed: ['shipping'], OrderPlaced: ['payment'], OrderCancelled: ['payment'] });
  });
});

describe('messages and publishes per order', () => {
  const mix = { confirmed: 0.5, declined: 0.25, backordered: 0.25 };
  it('weights each outcome path by the mix', () => {
    const m = messagesPerOrder(templateFacts(template).routes, mix);
    expect(m.shipping).toBeCloseTo(0.5, 10); // only confirmed orders ship
    expect(m.payment).toBeCloseTo(1.5, 10); // every OrderPlaced, plus the cancelled half's OrderCancelled
  });
  it('every path publishes four events', () => expect(publishesPerOrder(mix)).toBeCloseTo(4, 10));
});

describe('costPerMillion', () => {
  const facts = templateFacts(template);
  const usage = [
    { source: 'api', perUnit: { requests: 1, rcu: 0, wcu: 4 } },
    { source: 'shipping', perUnit: { requests: 2, rcu: 0, wcu: 2 } },
    { source: 'payment', perUnit: { requests: 4, rcu: 2, wcu: 6 } },
  ];
  const a = { ...DEFAULT_ASSUMPTIONS, mix: { confirmed: 1, declined: 0, backordered: 0 }, getsPerOrder: 0 };
  it('prices the DynamoDB units counted per message', () => {
    const { lines } = costPerMillion(facts, usage, a, PRICES, { name: 'x', api: 'http' });
    // 4 (api) + 1 shipping message x 2 + 1 payment message x 6 = 12 WCU per order
    expect(lines.find((l) => l.item.startsWith('DynamoDB writes'))!.usdPerMillionOrders).toBeCloseTo(12 * PRICES.dynamodb.perMillionWriteUnits, 2);
    expect(lines.find((l) => l.item.startsWith('DynamoDB reads'))!.usdPerMillionOrders).toBeCloseTo(2 * PRICES.dynamodb.perMillionReadUnits, 2);
  });
  it('a REST API costs 3.5x per request, the rest unchanged', () => {
    const http = costPerMillion(facts, usage, a, PRICES, { name: 'h', api: 'http' });
    const rest = costPerMillion(facts, usage, a, PRICES, { name: 'r', api: 'rest' });
    expect(rest.lines[0]!.usdPerMillionOrders).toBeCloseTo(PRICES.apiGateway.restPerMillion, 2);
    expect(http.lines[0]!.usdPerMillionOrders).toBeCloseTo(PRICES.apiGateway.httpPerMillion, 2);
    expect(rest.total - http.total).toBeCloseTo(PRICES.apiGateway.restPerMillion - PRICES.apiGateway.httpPerMillion, 2);
  });
  it('a design may replace the measured units of some services', () => {
    const base = costPerMillion(facts, usage, a, PRICES, { name: 'b', api: 'http' });
    const pt = costPerMillion(facts, usage, a, PRICES, { name: 'p', api: 'http', perMessage: { shipping: { rcu: 0, wcu: 4 } } });
    // one shipping message per confirmed order: 2 -> 4 WCU
    const w = (c: typeof base) => c.lines.find((l) => l.item.startsWith('DynamoDB writes'))!.usdPerMillionOrders;
    expect(w(pt) - w(base)).toBeCloseTo(2 * PRICES.dynamodb.perMillionWriteUnits, 2);
  });
  it('Powertools-style: shipping = the reference; others drop the inbox read and record and pay claim + complete', () => {
    const pt = powertoolsPerMessage(
      [
        { source: 'payment', perUnit: { requests: 5, rcu: 2, wcu: 7 } },
        { source: 'orders', perUnit: { requests: 2, rcu: 0, wcu: 1.5 } },
      ],
      { rcu: 0, wcu: 4 },
    );
    expect(pt).toEqual({ shipping: { rcu: 0, wcu: 4 }, payment: { rcu: 1, wcu: 7 } });
  });
  it('SNS: four publishes per order', () => {
    const { lines } = costPerMillion(facts, usage, a, PRICES, { name: 'x', api: 'http' });
    expect(lines.find((l) => l.item === 'SNS publishes')!.usdPerMillionOrders).toBeCloseTo(4 * PRICES.sns.perMillionPublishes, 2);
  });
});

describe('capacityModel', () => {
  it('sorts limits so the first bottleneck comes first, with the arithmetic stated', () => {
    const facts = templateFacts(template);
    const a = {
      ...DEFAULT_ASSUMPTIONS,
      mix: { confirmed: 1, declined: 0, backordered: 0 },
      getsPerOrder: 1,
      durationsMs: { api: 25, relay: 30, workerPerBatch: 30, workerPerMessage: 20 },
    };
    const limits = capacityModel(
      {
        apiRatePerSecond: 500,
        workers: { shipping: { maxConcurrency: 2, batchSize: 10 }, payment: { maxConcurrency: 20, batchSize: 10 } },
        snsPublishPerSecond: 30_000,
        lambdaAccountConcurrency: 1000,
        partitionWcuPerSecond: 1000,
        analyticsPartitions: 1,
      },
      facts,
      a,
      [],
    );
    // shipping: 2 x 10 messages per (30 + 10 x 20) ms = 86.9 messages/s, one per confirmed order
    expect(limits[0]).toMatchObject({ limit: 'shipping worker (maxConcurrency x batch)', ordersPerSecond: 86 });
    expect(limits.find((l) => l.limit.startsWith('API'))!.ordersPerSecond).toBe(250);
    expect(limits.find((l) => l.limit.startsWith('SNS'))!.ordersPerSecond).toBe(7500);
    expect(limits.find((l) => l.limit.startsWith('hot SKU'))!.ordersPerSecond).toBe(500);
    expect(limits.map((l) => l.ordersPerSecond)).toEqual([...limits.map((l) => l.ordersPerSecond)].sort((x, y) => x - y));
  });
});
