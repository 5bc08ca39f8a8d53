/**
 * Property-based tests of envelope parsing (fast-check), in the shared parser (envelopeOf / parseEnvelope), in every
 * service's real worker entry point and in the outbox relay:
 * - every well-formed envelope round-trips, raw or SNS-wrapped;
 * - every malformed body (not JSON, not an envelope, a field broken, a payload of the wrong shape or version) throws;
 * - a worker given a batch with malformed records fails exactly those (poison: retried, then dead-lettered), never
 *   calls the service for them and never half-applies: no DynamoDB write and no publish happens for a malformed one.
 */
import { outboxKey } from '../../../lambdas/adapters/keys';
import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ddbMock, record, stubWorkerEnvironment } from '../services/helpers';
import { envelopeOf } from '../../../lambdas/adapters/worker';
import { logger } from '../../../lambdas/adapters/logger';
import { CANCEL_REASONS, EVENT_TYPES, parseEnvelope, SCHEMA_VERSION, type Envelope, type EventType } from '../../../lambdas/core/events';
import { handlerEntry, SERVICES, type ServiceName } from '../../../lambdas/services/registry';
import { relayRecord } from '../../../lambdas/outbox/relay';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1500);
const snsMock = mockClient(SNSClient);
const context = { getRemainingTimeInMillis: () => 10_000, functionName: 'worker', awsRequestId: 'req-1' } as unknown as Context;

const sku = fc.string({ minLength: 1, maxLength: 64 });
const currency = fc.constantFrom('USD', 'EUR');
const line = fc.record({ sku, quantity: fc.integer({ min: 1, max: 1000 }) });
const cents = fc.nat({ max: 10_000_000 });
const iso = fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());

/** A payload of each type as PAYLOADS accepts it. */
const PAYLOAD: { [T in EventType]: fc.Arbitrary<unknown> } = {
  OrderPlaced: fc.record({ customerId: fc.string(), currency, items: fc.array(line, { minLength: 1, maxLength: 50 }) }),
  PaymentCharged: fc.record({ amountCents: cents, currency, chargeId: fc.string() }),
  PaymentDeclined: fc.record({ amountCents: cents, currency, reason: fc.string() }),
  OrderRejected: fc.record({ reason: fc.constant('UNKNOWN_SKU'), skus: fc.array(sku) }),
  StockReserved: fc.record({ skus: fc.array(sku) }),
  StockBackordered: fc.record({ skus: fc.array(sku) }),
  OrderConfirmed: fc.record({ amountCents: cents, currency, confirmedAt: iso }),
  OrderCancelled: fc.record({ reason: fc.constantFrom(...CANCEL_REASONS), currency, cancelledAt: iso }),
};

const envelopeOfType = (eventType: EventType) =>
  fc.record({
    eventId: fc.string({ minLength: 1, maxLength: 128 }),
    eventType: fc.constant(eventType),
    schemaVersion: fc.constant(SCHEMA_VERSION),
    occurredAt: iso,
    correlationId: fc.string({ minLength: 1, maxLength: 128 }),
    orderId: fc.string({ minLength: 1, maxLength: 64 }),
    payload: PAYLOAD[eventType],
  }) as fc.Arbitrary<Envelope>;
const anyEnvelope = fc.constantFrom(...EVENT_TYPES).chain(envelopeOfType);

/** Ways to break a well-formed envelope, each malformed by construction. */
const ENVELOPE_KEYS = ['eventId', 'eventType', 'schemaVersion', 'occurredAt', 'correlationId', 'orderId', 'payload'] as const;
const breakEnvelope = (e: Envelope): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(...ENVELOPE_KEYS).map((k) => {
      const { [k]: _gone, ...rest } = e;
      return rest;
    }),
    fc.constantFrom('eventId', 'correlationId', 'orderId').map((k) => ({ ...e, [k]: '' })),
    fc
      .constantFrom('eventId', 'correlationId', 'orderId', 'occurredAt')
      .chain((k) => fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string())).map((v) => ({ ...e, [k]: v }))),
    fc
      .integer()
      .filter((v) => v !== SCHEMA_VERSION)
      .map((v) => ({ ...e, schemaVersion: v })),
    fc.constant({ ...e, schemaVersion: String(SCHEMA_VERSION) }),
    fc
      .string()
      .filter((t) => !(EVENT_TYPES as readonly string[]).includes(t))
      .map((t) => ({ ...e, eventType: t })),
    fc.constant({ ...e, eventId: 'x'.repeat(129) }),
    fc.oneof(fc.constant(null), fc.constant([]), fc.string(), fc.integer()).map((p) => ({ ...e, payload: p })),
    // A payload with a required key removed (every payload key is required: PAYLOADS).
    fc.constant(e.payload as Record<string, unknown>).chain((p) =>
      fc.constantFrom(...Object.keys(p)).map((k) => {
        const { [k]: _gone, ...rest } = p;
        return { ...e, payload: rest };
      }),
    ),
  );

const malformedBody: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'undefined'),
  anyEnvelope.chain(breakEnvelope).map((v) => JSON.stringify(v)),
  // The same breakage inside an SNS notification (non-raw delivery).
  anyEnvelope.chain(breakEnvelope).map((v) => JSON.stringify({ Type: 'Notification', MessageId: 'm', TopicArn: 'arn', Message: JSON.stringify(v) })),
  fc.constant(JSON.stringify({ Type: 'Notification', Message: 42 })),
);

const WRITES = [PutCommand, UpdateCommand, DeleteCommand, TransactWriteCommand] as const;
const writes = () => WRITES.reduce((n, c) => n + ddbMock.commandCalls(c as never).length, 0);
const publishes = () => snsMock.commandCalls(PublishCommand).length + snsMock.commandCalls(PublishBatchCommand).length;

beforeAll(() => {
  stubWorkerEnvironment();
  for (const level of ['debug', 'info', 'warn', 'error'] as const) vi.spyOn(logger, level).mockImplementation(() => undefined);
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  ddbMock.reset();
  snsMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(QueryCommand).resolves({ Items: [] });
  snsMock.on(PublishCommand).resolves({ MessageId: 'sns-1' });
});

describe('envelope parsing under generated input', { timeout: 120_000 }, () => {
  it('a well-formed envelope parses to itself, raw or SNS-wrapped', () => {
    fc.assert(
      fc.property(anyEnvelope, (e) => {
        expect(envelopeOf({ body: JSON.stringify(e) })).toEqual(e);
        expect(envelopeOf({ body: JSON.stringify({ Type: 'Notification', Message: JSON.stringify(e) }) })).toEqual(e);
      }),
      { numRuns: RUNS },
    );
  });

  it('a malformed body always throws (the worker then reports it failed: poison), never returns a partial envelope', () => {
    fc.assert(
      fc.property(malformedBody, (body) => {
        expect(() => envelopeOf({ body })).toThrow();
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

// Every service with a queue, through its real entry point (lambdas/services/<name>/handler.ts).
const WORKERS = SERVICES.filter((s) => s.consumes.length > 0).map((s) => s.name);

describe('every worker under generated malformed records', { timeout: 120_000 }, () => {
  it.each(WORKERS)('%s: fails exactly the malformed records and writes or publishes nothing for them', async (name: ServiceName) => {
    const { handler } = (await import(`../../../${handlerEntry(name)}`)) as {
      handler: (e: SQSEvent, c: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
    };
    await fc.assert(
      fc.asyncProperty(fc.array(malformedBody, { minLength: 1, maxLength: 10 }), async (bodies) => {
        ddbMock.resetHistory();
        snsMock.resetHistory();
        const records = bodies.map((b, i) => record(`m-${i}`, b));
        const res = await handler({ Records: records }, context);
        expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(records.map((r) => r.messageId));
        expect(writes()).toBe(0);
        expect(publishes()).toBe(0);
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  });
});

describe('outbox relay under generated malformed OUTBOX items', { timeout: 120_000 }, () => {
  it('throws for every malformed event (the stream retries it, then the on-failure queue gets it) and publishes nothing', async () => {
    const outboxItem = (event: unknown) => ({ ...outboxKey('o-1', 'e-1'), eventId: 'e-1', eventType: 'OrderPlaced', orderId: 'o-1', event });
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyEnvelope.chain(breakEnvelope), fc.jsonValue()), async (event) => {
        snsMock.resetHistory();
        let image: unknown;
        try {
          image = marshall(outboxItem(event), { removeUndefinedValues: true });
        } catch {
          fc.pre(false); // DynamoDB cannot hold it (e.g. an integer above 2^53), so no stream record can carry it
        }
        const r: DynamoDBRecord = { eventName: 'INSERT', dynamodb: { NewImage: image as never, SequenceNumber: '1' } };
        await expect(relayRecord(r)).rejects.toThrow();
        expect(publishes()).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('publishes every well-formed OrderPlaced exactly once, unchanged, and no other event type at all', async () => {
    await fc.assert(
      fc.asyncProperty(anyEnvelope, async (e) => {
        snsMock.resetHistory();
        const item = { ...outboxKey(e.orderId, e.eventId), eventId: e.eventId, eventType: e.eventType, orderId: e.orderId, event: e };
        await relayRecord({ eventName: 'INSERT', dynamodb: { NewImage: marshall(item, { removeUndefinedValues: true }) as never, SequenceNumber: '1' } });
        const sent = [
          ...snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Message),
          ...snsMock.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries!.map((x) => x.Message)),
        ];
        expect(sent.map((m) => parseEnvelope(m!))).toEqual(e.eventType === 'OrderPlaced' ? [e] : []);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});
