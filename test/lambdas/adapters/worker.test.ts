import { BatchProcessor } from '@aws-lambda-powertools/batch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelled, ddbMock, envelope, instantBackoff, record, TABLES, TOPIC_ARN, workerConfigFor } from '../services/helpers';
import {
  catalogTableOf,
  DEADLINE_MARGIN_MS,
  describeParseError,
  envelopeOf,
  makeWorker as makeWorkerWith,
  workerConfig,
  type ServiceHandler,
} from '../../../lambdas/adapters/worker';
import type { ServiceName } from '../../../lambdas/services/registry';
import { outcomeEvent, type Envelope } from '../../../lambdas/core/events';
import { orderKey, personalDataKey } from '../../../lambdas/adapters/keys';
import { logger } from '../../../lambdas/adapters/logger';
import { notification } from '../../../lambdas/services/notification/notification';

const snsMock = mockClient(SNSClient);

/** Whether the local stage's fault hooks are on for the workers a test builds next (off unless it says so). */
let hooks = false;
const makeWorker = (service: ServiceName, handle: ServiceHandler) => makeWorkerWith(service, handle, workerConfigFor({ faultsEnabled: hooks }));
/** The environment lib/constructs/worker.ts gives a worker. */
const workerEnv = { SERVICE_TABLE: TABLES.service, ORDERS_TABLE: TABLES.orders, CATALOG_TABLE: TABLES.catalog, TOPIC_ARN };
const lambdaContext = { getRemainingTimeInMillis: () => 10_000, functionName: 'worker', awsRequestId: 'req-1' } as unknown as Context;

const placed = (orderId: string) =>
  envelope(
    'OrderPlaced',
    { customerId: 'c-1', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1 }] },
    { orderId, eventId: `evt-${orderId}`, correlationId: `corr-${orderId}` },
  );

const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
/** The JSON log lines Powertools (and the EMF writer) printed to the captured streams. */
const jsonLines = (lines: readonly string[]) =>
  lines
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const snsWrapped = (e: Envelope) => JSON.stringify({ Type: 'Notification', MessageId: 'm', TopicArn: 'arn', Message: JSON.stringify(e) });

/** The ORDER items' fault hooks as the worker's one BatchGetItem per batch finds them. */
const ordersWithFaults = (faults: Record<string, string[]>) =>
  ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => {
    const [table, { Keys }] = Object.entries(input.RequestItems)[0]!;
    const items = Keys.flatMap((k) => {
      const id = k.pk.replace(/^ORDER#/, '');
      return faults[id] ? [{ pk: k.pk, faults: faults[id] }] : [];
    });
    return { Responses: { [table]: items } };
  });

beforeEach(() => {
  ddbMock.reset();
  snsMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(TransactWriteCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'sns-1' });
});

describe('envelopeOf', () => {
  it('parses a raw body and an SNS-wrapped body to the same envelope', () => {
    const e = placed('o-1');
    expect(envelopeOf({ body: JSON.stringify(e) })).toEqual(e);
    expect(envelopeOf({ body: snsWrapped(e) })).toEqual(e);
  });
  it('throws on a body that is not an envelope', () => {
    expect(() => envelopeOf({ body: '{"eventType":"Nope"}' })).toThrow();
  });
  it('unwraps only an SNS notification: a raw envelope that carries a string Message field is itself the envelope', () => {
    // The envelope schema ignores unknown top-level fields, so a producer may add one; only Type=Notification wraps.
    const e = placed('o-1');
    expect(envelopeOf({ body: JSON.stringify({ ...e, Message: JSON.stringify(placed('o-2')) }) })).toEqual(e);
  });
});

describe('describeParseError: why a body did not parse, without quoting it', () => {
  const failureOf = (body: string): unknown => {
    try {
      envelopeOf({ body });
    } catch (err) {
      return err;
    }
    throw new Error('the body parsed');
  };

  it('says the body is not valid JSON, and quotes nothing of it', () => {
    const described = describeParseError(failureOf('{"email":"ada.lovelace@example.com"'));
    expect(described).toBe('body is not valid JSON');
  });

  it("names each schema issue by its dotted path and code, joined by '; ', and (root) for an empty path", () => {
    const issues = [
      { path: ['payload', 'items', 0, 'sku'], code: 'invalid_type' },
      { path: [], code: 'custom' },
    ];
    expect(describeParseError({ issues })).toBe('schema: payload.items.0.sku invalid_type; (root) custom');
  });

  it('describes a real envelope failure the same way: a wrong field, and a JSON null body at the root', () => {
    const wrongOrderId = JSON.stringify({ ...placed('o-1'), orderId: 7 });
    expect(describeParseError(failureOf(wrongOrderId))).toBe('schema: orderId invalid_type');
    // `null` is valid JSON but no object: a schema issue at the root, not a TypeError of the SNS unwrapping.
    expect(describeParseError(failureOf('null'))).toBe('schema: (root) invalid_type');
  });

  it('still says (root) and gives some code for an issue that lacks its path or its code', () => {
    expect(describeParseError({ issues: [{}] })).toMatch(/^schema: \(root\) \S+$/);
  });

  it("gives the error's name for any other error, and a word (never a throw) for a thrown non-Error", () => {
    expect(describeParseError(new TypeError('cannot read x of undefined'))).toBe('TypeError');
    // The log line must not fail on the way to saying why a record failed.
    for (const thrown of [undefined, null]) expect(describeParseError(thrown)).toMatch(/\w/);
  });
});

describe('makeWorker: partial batch responses', () => {
  const failOn =
    (orderId: string): ServiceHandler =>
    async (e) => {
      if (e.orderId === orderId) throw new Error('dependency down');
      return { outcome: 'DONE' };
    };

  it('returns exactly the failed message ids', async () => {
    const worker = makeWorker('shipping', failOn('o-2'));
    const result = await worker(
      batch(record('m1', JSON.stringify(placed('o-1'))), record('m2', JSON.stringify(placed('o-2'))), record('m3', JSON.stringify(placed('o-3')))),
      lambdaContext,
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
  });

  it('fails only the malformed record', async () => {
    const seen: string[] = [];
    const worker = makeWorker('shipping', async (e) => (seen.push(e.orderId), { outcome: 'DONE' }));
    const result = await worker(
      batch(record('m1', JSON.stringify(placed('o-1'))), record('bad', 'not json at all'), record('m3', JSON.stringify(placed('o-3')))),
      lambdaContext,
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(seen.sort()).toEqual(['o-1', 'o-3']);
  });

  it('returns an empty failure list when every record succeeds, raw or SNS-wrapped', async () => {
    const seen: Envelope[] = [];
    const worker = makeWorker('shipping', async (e) => (seen.push(e), { outcome: 'DONE' }));
    const result = await worker(batch(record('m1', JSON.stringify(placed('o-1'))), record('m2', snsWrapped(placed('o-2')))), lambdaContext);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(seen.map((e) => e.orderId).sort()).toEqual(['o-1', 'o-2']);
  });

  it('publishes what the handler emits, with the routing attributes; a failed publish fails the record', async () => {
    const emitted = outcomeEvent('StockReserved', placed('o-1'), 'inventory', { skus: ['SKU-1'] });
    const worker = makeWorker('inventory', async () => ({ emits: [emitted], outcome: 'RESERVED' }));
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    const input = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC_ARN,
      Message: JSON.stringify(emitted),
      MessageAttributes: { eventType: { DataType: 'String', StringValue: 'StockReserved' }, orderId: { DataType: 'String', StringValue: 'o-1' } },
    });

    snsMock.on(PublishCommand).rejects(new Error('sns down'));
    expect(await worker(batch(record('m2', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
  });
});

describe("makeWorker: the registry's emits are binding", () => {
  it('refuses to publish an event type the service does not declare: the record fails, nothing is published', async () => {
    const stray = outcomeEvent('StockReserved', placed('o-1'), 'shipping', { skus: ['SKU-1'] });
    const worker = makeWorker('shipping', async () => ({ emits: [stray], outcome: 'REQUESTED' }));
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("refuses to record one either: the handler's inbox throws before its transaction, so no effect commits", async () => {
    const stray = outcomeEvent('OrderConfirmed', placed('o-1'), 'inventory', { amountCents: 1, currency: 'USD', confirmedAt: '2024-05-01T10:00:00.000Z' });
    const worker = makeWorker('inventory', async (e, { inbox }) => {
      await inbox.commit(e, [stray], [{ Put: { TableName: 'service-table', Item: { pk: 'EFFECT', sk: 'EFFECT' } } }]);
      return { emits: [stray] };
    });
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('publishes every type the service declares (each registry entry of an emitting service)', async () => {
    const declared = outcomeEvent('StockBackordered', placed('o-1'), 'inventory', { skus: ['SKU-1'] });
    const worker = makeWorker('inventory', async () => ({ emits: [declared], outcome: 'BACKORDERED' }));
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });
});

describe('makeWorker: log lines', () => {
  let lines: string[] = [];
  beforeEach(() => {
    lines = [];
    // Powertools writes JSON lines through its own Console on process.stdout / process.stderr.
    const capture = (chunk: unknown) => (lines.push(String(chunk)), true);
    vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
  });
  afterEach(() => vi.restoreAllMocks());

  it('carry correlationId, orderId and eventType, and never an e-mail address or payment token', async () => {
    const email = 'ada.lovelace@example.com';
    // Notification reads its inbox record and the order's address in one BatchGetItem.
    ddbMock.on(BatchGetCommand).resolves({ Responses: { [TABLES.orders]: [{ ...personalDataKey('o-1'), email }] } });
    const confirmed = envelope(
      'OrderConfirmed',
      { amountCents: 100, currency: 'USD', confirmedAt: '2024-05-01T10:00:00.000Z' },
      { orderId: 'o-1', eventId: 'evt-c', correlationId: 'corr-o-1' },
    );
    const notify = makeWorker('notification', notification);
    const failing = makeWorker('payment', async () => {
      throw new Error('dependency down');
    });

    await notify(batch(record('m1', JSON.stringify(confirmed)), record('m2', `{"email":"${email}","paymentToken":"tok_secret_4242"`)), lambdaContext);
    await failing(batch(record('m3', JSON.stringify(placed('o-2')))), lambdaContext);

    const logs = jsonLines(lines);
    const processed = logs.find((l) => l.message === 'processed');
    expect(processed).toMatchObject({
      level: 'INFO',
      correlationId: 'corr-o-1',
      orderId: 'o-1',
      eventType: 'OrderConfirmed',
      outcome: 'SENT',
      duplicate: false,
    });
    expect(logs.find((l) => l.message === 'malformed message')).toMatchObject({ level: 'ERROR', messageId: 'm2', error: 'body is not valid JSON' });
    expect(logs.find((l) => l.message === 'processing failed')).toMatchObject({
      correlationId: 'corr-o-2',
      orderId: 'o-2',
      eventType: 'OrderPlaced',
      error: 'dependency down',
    });

    const all = lines.join('');
    expect(all).not.toContain(email);
    expect(all).not.toContain('@example.com');
    expect(all).not.toContain('tok_secret_4242');
  });

  it('log a duplicate at debug level, flagged duplicate: true', async () => {
    logger.setLogLevel('DEBUG');
    try {
      const worker = makeWorker('shipping', async () => ({ emits: [], duplicate: true, outcome: 'REQUESTED' }));
      expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    } finally {
      logger.setLogLevel('INFO');
    }
    const logs = jsonLines(lines);
    expect(logs.filter((l) => String(l.message).startsWith('processed'))).toEqual([
      expect.objectContaining({ level: 'DEBUG', message: 'processed duplicate', duplicate: true, orderId: 'o-1', correlationId: 'corr-o-1' }),
    ]);
  });

  it('count each batch in one EMF line: processed, duplicates, failed; no duplicates metric without duplicates', async () => {
    const worker = makeWorker('shipping', async (e) => {
      if (e.orderId === 'o-bad') throw new Error('boom');
      return { emits: [], duplicate: e.orderId !== 'o-3', outcome: 'REQUESTED' };
    });
    await worker(
      batch(
        record('m1', JSON.stringify(placed('o-1'))),
        record('m2', JSON.stringify(placed('o-2'))),
        record('m3', JSON.stringify(placed('o-3'))),
        record('m5', JSON.stringify(placed('o-bad'))),
        record('m6', '{not json'),
      ),
      lambdaContext,
    );
    await makeWorker('shipping', async () => ({ emits: [], duplicate: false }))(batch(record('m4', JSON.stringify(placed('o-4')))), lambdaContext);
    const metrics = jsonLines(lines).filter((l) => l._aws);
    const names = (names: string[]) => names.map((Name) => ({ Name, Unit: 'Count' }));
    expect(metrics).toEqual([
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            { Namespace: 'OrderPipeline', Dimensions: [['service', 'stage']], Metrics: names(['MessagesProcessed', 'DuplicateDeliveries', 'MessagesFailed']) },
          ],
        },
        service: 'shipping',
        stage: expect.any(String),
        MessagesProcessed: 3,
        DuplicateDeliveries: 2,
        MessagesFailed: 2,
      },
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [{ Namespace: 'OrderPipeline', Dimensions: [['service', 'stage']], Metrics: names(['MessagesProcessed']) }],
        },
        service: 'shipping',
        stage: expect.any(String),
        MessagesProcessed: 1,
      },
    ]);
  });

  it("note each duplicate on the service's inbox record (for npm run trace), not for first deliveries or the orders aggregate", async () => {
    ddbMock.on(UpdateCommand).resolves({});
    await makeWorker('shipping', async (e) => ({ emits: [], duplicate: e.orderId === 'o-2' }))(
      batch(record('m1', JSON.stringify(placed('o-1'))), record('m2', JSON.stringify(placed('o-2')))),
      lambdaContext,
    );
    expect(ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input.Key)).toEqual([{ pk: 'INBOX#evt-o-2', sk: 'INBOX' }]);
    await makeWorker('orders', async () => ({ emits: [], duplicate: true }))(batch(record('m3', JSON.stringify(placed('o-3')))), lambdaContext);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it("write nothing for a duplicate whose marker is the effect item itself (putOnce: shipping's shipment), but count it", async () => {
    ddbMock.on(UpdateCommand).resolves({});
    await makeWorker('shipping', async (e) => ({ emits: [], duplicate: true, marker: { pk: `SHIPMENT#${e.orderId}`, sk: 'SHIPMENT' } }))(
      batch(record('m1', JSON.stringify(placed('o-1')))),
      lambdaContext,
    );
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    const emf = jsonLines(lines).filter((l) => l._aws);
    expect(emf).toEqual([expect.objectContaining({ service: 'shipping', DuplicateDeliveries: 1 })]);
  });

  it('count ChargedAmount (cents, by currency) for a first PaymentCharged only, not for its re-emit on a duplicate', async () => {
    snsMock.on(PublishCommand).resolves({});
    const charged = outcomeEvent('PaymentCharged', placed('o-1'), 'payment', { amountCents: 1234, currency: 'EUR', chargeId: 'ch-1' });
    const worker = makeWorker('payment', async (e) => ({ emits: [charged], duplicate: e.orderId === 'o-2', outcome: 'CHARGED' }));
    await worker(batch(record('m1', JSON.stringify(placed('o-1'))), record('m2', JSON.stringify(placed('o-2')))), lambdaContext);
    const charges = jsonLines(lines).filter((l) => l.ChargedAmount !== undefined);
    expect(charges).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            { Namespace: 'OrderPipeline', Dimensions: [['service', 'stage', 'currency']], Metrics: [{ Name: 'ChargedAmount', Unit: 'None' }] },
          ],
        }),
        service: 'payment',
        currency: 'EUR',
        ChargedAmount: 1234,
      }),
    ]);
  });

  it("say duplicate: false when the handler does not say, and list the emitted event types on the 'processed' line", async () => {
    const reserved = outcomeEvent('StockReserved', placed('o-1'), 'inventory', { skus: ['SKU-1'] });
    await makeWorker('inventory', async () => ({ emits: [reserved], outcome: 'RESERVED' }))(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext);
    expect(jsonLines(lines).find((l) => l.message === 'processed')).toMatchObject({ orderId: 'o-1', duplicate: false, emitted: ['StockReserved'] });
  });

  it('write no MessagesProcessed for a batch that processed nothing', async () => {
    await makeWorker('shipping', async () => ({ outcome: 'DONE' }))(batch(record('m1', '{not json')), lambdaContext);
    expect(jsonLines(lines).filter((l) => l._aws)).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Metrics: [{ Name: 'MessagesFailed', Unit: 'Count' }] })] }),
        MessagesFailed: 1,
      }),
    ]);
  });

  it('count the contention retried inside the commits of a batch (ConflictsRetried) and say so in one info line', async () => {
    instantBackoff();
    const effect = { Put: { TableName: TABLES.service, Item: { pk: 'EFFECT', sk: 'EFFECT' } } };
    // The first commit loses to a concurrent transaction once, then lands; the second lands at once.
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['TransactionConflict', 'None']))
      .resolves({});
    const worker = makeWorker('shipping', async (e, { inbox }) => (await inbox.commit(e, [], [effect]), { outcome: 'DONE' }));
    await worker(batch(record('m1', JSON.stringify(placed('o-1'))), record('m2', JSON.stringify(placed('o-2')))), lambdaContext);
    // The next batch retried nothing: the counter was reset, neither the metric nor the line appears.
    await worker(batch(record('m3', JSON.stringify(placed('o-3')))), lambdaContext);

    const logs = jsonLines(lines);
    expect(logs.filter((l) => l.message === 'contention retried')).toEqual([expect.objectContaining({ level: 'INFO', retried: 1, records: 2 })]);
    const emf = logs.filter((l) => l._aws);
    expect(emf).toHaveLength(2);
    expect(emf[0]).toMatchObject({ MessagesProcessed: 2, ConflictsRetried: 1 });
    expect(emf[0]!._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'ConflictsRetried', Unit: 'Count' });
    expect(emf[1]).not.toHaveProperty('ConflictsRetried');
  });

  it('warn of an injected fail:<service> with the fault, the keys and the receive count', async () => {
    hooks = true;
    try {
      ordersWithFaults({ 'o-1': ['fail:inventory'] });
      await makeWorker('inventory', async () => ({ outcome: 'RESERVED' }))(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext);
    } finally {
      hooks = false;
    }
    const logs = jsonLines(lines);
    expect(logs.find((l) => l.message === 'injected fault')).toMatchObject({
      level: 'WARN',
      fault: 'fail:inventory',
      receiveCount: '1',
      correlationId: 'corr-o-1',
      orderId: 'o-1',
      eventType: 'OrderPlaced',
      eventId: 'evt-o-1',
    });
    // The expected local test path: no error line.
    expect(logs.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('warn of an OrderPlaced dropped by drop:<service>, with its keys', async () => {
    hooks = true;
    try {
      ordersWithFaults({ 'o-1': ['drop:payment'] });
      await makeWorker('payment', async () => ({ outcome: 'CHARGED' }))(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext);
    } finally {
      hooks = false;
    }
    expect(jsonLines(lines).filter((l) => l.level === 'WARN')).toEqual([
      expect.objectContaining({ message: 'injected fault: OrderPlaced dropped without effect', orderId: 'o-1', eventId: 'evt-o-1', correlationId: 'corr-o-1' }),
    ]);
  });

  it('say in an error line when a batch handed back at its deadline then fails in the background', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const worker = makeWorker('shipping', async () => (await stuck, { outcome: 'DONE' }));
    const result = await worker(batch(record('m1', JSON.stringify(placed('o-1')))), {
      ...lambdaContext,
      getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 20,
    } as Context);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    // The batch processor itself fails once the stuck record is done (the record handler's own errors it catches).
    vi.spyOn(BatchProcessor.prototype, 'clean').mockImplementation(() => {
      throw new Error('processor broke');
    });
    release();
    await vi.waitFor(() =>
      expect(jsonLines(lines).filter((l) => l.message === 'batch handed back failed late')).toEqual([
        expect.objectContaining({ level: 'ERROR', error: 'processor broke' }),
      ]),
    );
  });
});

describe('makeWorker: the deadline timer', () => {
  afterEach(() => vi.useRealTimers());

  it('is stopped when the batch finishes first: no timer is left behind per batch', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const worker = makeWorker('shipping', async () => ({ outcome: 'DONE' }));
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('makeWorker and workerConfig: an unknown service', () => {
  it('is refused at build time, with its name', () => {
    expect(() => workerConfig('billing' as ServiceName, workerEnv)).toThrow('unknown service billing');
    // With a configuration given, makeWorker looks the service up itself.
    expect(() => makeWorkerWith('billing' as ServiceName, async () => ({}), workerConfigFor())).toThrow('unknown service billing');
  });
});

describe('catalogTableOf', () => {
  it('gives the catalog table of a service granted it, and refuses any other service, naming the variable', () => {
    expect(catalogTableOf(workerConfigFor())).toBe(TABLES.catalog);
    expect(() => catalogTableOf(workerConfigFor({ catalogTable: undefined }))).toThrow(/no catalog table.*CATALOG_TABLE/);
  });
});

describe('makeWorker: drop:<service> fault hook (local stage)', () => {
  const cancelledEvent = (orderId: string) =>
    envelope(
      'OrderCancelled',
      { reason: 'TIMEOUT', currency: 'USD', cancelledAt: '2024-05-01T10:00:40.000Z' },
      { orderId, eventId: `evt-c-${orderId}`, correlationId: `corr-${orderId}` },
    );
  const orderWith = (orderId: string, faults: string[]) => ordersWithFaults({ [orderId]: faults });
  afterEach(() => {
    hooks = false;
  });

  it("acknowledges the order's OrderPlaced at that service without running the handler; other services and its OrderCancelled run", async () => {
    hooks = true;
    orderWith('o-1', ['drop:payment']);
    const seen: string[] = [];
    const handle: ServiceHandler = async (e) => (seen.push(`${e.eventType}:${e.orderId}`), { outcome: 'DONE' });
    const payment = makeWorker('payment', handle);
    const result = await payment(
      batch(record('m1', JSON.stringify(placed('o-1'))), record('m2', JSON.stringify(placed('o-2'))), record('m3', JSON.stringify(cancelledEvent('o-1')))),
      lambdaContext,
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(seen.sort()).toEqual(['OrderCancelled:o-1', 'OrderPlaced:o-2']);
    // One read of the hooks for the whole batch (both orders), none per record.
    expect(ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input)).toEqual([
      { RequestItems: { 'orders-table': { Keys: [orderKey('o-1'), orderKey('o-2')], ProjectionExpression: 'pk, faults' } } },
    ]);
    expect(ddbMock.commandCalls(GetCommand, { Key: orderKey('o-1') })).toHaveLength(0);

    seen.length = 0;
    await makeWorker('inventory', handle)(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext);
    expect(seen).toEqual(['OrderPlaced:o-1']);
  });

  it('reads the hooks of the records that parsed only: a malformed record has no order to look up', async () => {
    hooks = true;
    orderWith('o-1', []);
    const worker = makeWorker('payment', async () => ({ outcome: 'DONE' }));
    await worker(batch(record('bad', '{not json'), record('m1', JSON.stringify(placed('o-1')))), lambdaContext);
    expect(ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems!['orders-table']!.Keys)).toEqual([[orderKey('o-1')]]);
    // A batch of malformed records only: nothing to read.
    await worker(batch(record('bad', '{not json')), lambdaContext);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(1);
  });

  it.each([undefined, 'false', 'TRUE'])('is ignored, and the ORDER item never read, when FAULTS_ENABLED is %s', async (flag) => {
    hooks = workerConfig('payment', flag === undefined ? workerEnv : { ...workerEnv, FAULTS_ENABLED: flag }).faultsEnabled;
    orderWith('o-1', ['drop:payment']);
    const seen: string[] = [];
    await makeWorker('payment', async (e) => (seen.push(e.orderId), { outcome: 'DONE' }))(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext);
    expect(seen).toEqual(['o-1']);
    expect(ddbMock.commandCalls(GetCommand, { Key: orderKey('o-1') })).toHaveLength(0);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});

describe('makeWorker: local-stage fault hooks (one mechanism for every service)', () => {
  const emitted = (orderId: string) => outcomeEvent('StockReserved', placed(orderId), 'inventory', { skus: ['SKU-1'] });
  const withFaults = (faults: string[]) => ordersWithFaults({ 'o-1': faults });
  const conditionFailed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
  beforeEach(() => {
    hooks = true;
  });
  afterEach(() => {
    hooks = false;
  });

  it('crash-after-effect: the first processing commits, then fails before publishing (marker written); the retry publishes', async () => {
    withFaults(['crash-after-effect:inventory']);
    let calls = 0;
    const worker = makeWorker('inventory', async (e) => (calls++, { emits: [emitted(e.orderId)], duplicate: calls > 1, outcome: 'RESERVED' }));
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        Item: expect.objectContaining({ pk: 'FAULT#evt-o-1#crash-after-effect:inventory', fault: 'crash-after-effect:inventory' }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ]);
    // The redelivery: the handler finds its effect (duplicate) and re-emits the same event, which is now published.
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(snsMock.commandCalls(PublishCommand).map((c) => JSON.parse(c.args[0].input.Message!).eventId)).toEqual([emitted('o-1').eventId]);
  });

  it('crash-after-effect fires once per event: a first processing that finds the marker publishes', async () => {
    withFaults(['crash-after-effect:inventory']);
    ddbMock.on(PutCommand).rejects(conditionFailed);
    const worker = makeWorker('inventory', async (e) => ({ emits: [emitted(e.orderId)], duplicate: false, outcome: 'RESERVED' }));
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('crash-after-effect of another service, or with faults disabled, changes nothing', async () => {
    withFaults(['crash-after-effect:payment']);
    const worker = makeWorker('inventory', async (e) => ({ emits: [emitted(e.orderId)], duplicate: false, outcome: 'RESERVED' }));
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    hooks = false;
    withFaults(['crash-after-effect:inventory']);
    const withoutHooks = makeWorker('inventory', async (e) => ({ emits: [emitted(e.orderId)], duplicate: false, outcome: 'RESERVED' }));
    expect(await withoutHooks(batch(record('m2', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('fail:<service> fails every receive without calling the handler; drop:<service> acknowledges and leaves a marker', async () => {
    const seen: string[] = [];
    withFaults(['fail:inventory']);
    const worker = makeWorker('inventory', async (e) => (seen.push(e.orderId), { emits: [], outcome: 'RESERVED' }));
    for (let i = 0; i < 3; i++)
      expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    withFaults(['drop:inventory']);
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual([]);
    expect(ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.pk)).toEqual(['FAULT#evt-o-1#drop:inventory']);
  });
});

describe('makeWorker: the batch deadline (records not done before the timeout are handed back, the rest acknowledged)', () => {
  const contextWith = (remainingMs: number) => ({ ...lambdaContext, getRemainingTimeInMillis: () => remainingMs }) as Context;

  it('returns before the timeout with only the unfinished record as a failure; the finished ones are acknowledged', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const worker = makeWorker('shipping', async (e) => {
      if (e.orderId === 'o-2') await stuck; // a dependency that answers too late
      return { outcome: 'DONE' };
    });
    const started = Date.now();
    // 650 ms left: the worker must answer about DEADLINE_MARGIN_MS before that, not wait for o-2.
    const result = await worker(
      batch(record('m1', JSON.stringify(placed('o-1'))), record('m2', JSON.stringify(placed('o-2'))), record('m3', JSON.stringify(placed('o-3')))),
      contextWith(650),
    );
    const took = Date.now() - started;
    release();
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(took).toBeLessThan(650);
    expect(took).toBeGreaterThanOrEqual(650 - DEADLINE_MARGIN_MS - 20);
  });

  it('hands back a record that failed and one still running alike, and says so in one warning', async () => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => (lines.push(String(chunk)), true);
    vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    try {
      const worker = makeWorker('shipping', async (e) => {
        if (e.orderId === 'o-1') throw new Error('dependency down');
        if (e.orderId === 'o-2') await stuck;
        return { outcome: 'DONE' };
      });
      const result = await worker(
        batch(record('m1', JSON.stringify(placed('o-1'))), record('m2', JSON.stringify(placed('o-2'))), record('m3', JSON.stringify(placed('o-3')))),
        contextWith(DEADLINE_MARGIN_MS + 50),
      );
      expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2']);
    } finally {
      release();
      vi.restoreAllMocks();
    }
    const warnings = lines
      .join('')
      .split('\n')
      .filter((l) => l.includes('batch deadline'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings).toEqual([expect.objectContaining({ level: 'WARN', records: 3, handedBack: 2, marginMs: DEADLINE_MARGIN_MS })]);
  });

  it('waits for a batch that finishes in time, however long it takes within the budget', async () => {
    const worker = makeWorker('shipping', async () => (await new Promise((r) => setTimeout(r, 100)), { outcome: 'DONE' }));
    expect(await worker(batch(record('m1', JSON.stringify(placed('o-1')))), contextWith(DEADLINE_MARGIN_MS + 1000))).toEqual({ batchItemFailures: [] });
  });
});

describe('workerConfig: the environment read once per cold start', () => {
  it('reads the tables, the topic, the inbox TTL and the hook switch', () => {
    expect(workerConfig('payment', { ...workerEnv, IDEMPOTENCY_TTL_SECONDS: '600', FAULTS_ENABLED: 'true' })).toEqual({
      serviceTable: TABLES.service,
      ordersTable: TABLES.orders,
      catalogTable: TABLES.catalog,
      topicArn: TOPIC_ARN,
      idempotencyTtlSeconds: 600,
      faultsEnabled: true,
    });
  });

  it('asks only for what the registry entry needs: no catalog for shipping, no topic for a service that emits nothing', () => {
    const { CATALOG_TABLE: _catalog, TOPIC_ARN: _topic, ...tables } = workerEnv;
    expect(workerConfig('analytics', tables)).toMatchObject({ catalogTable: undefined, topicArn: undefined });
    expect(() => workerConfig('shipping', tables)).not.toThrow();
    expect(() => workerConfig('payment', { ...tables, TOPIC_ARN })).toThrow('missing environment variable CATALOG_TABLE');
    expect(() => workerConfig('inventory', { ...tables, CATALOG_TABLE: TABLES.catalog })).toThrow('missing environment variable TOPIC_ARN');
  });

  it.each(['SERVICE_TABLE', 'ORDERS_TABLE'])('refuses to start without %s', (name) => {
    expect(() => workerConfig('shipping', { ...workerEnv, [name]: '' })).toThrow(`missing environment variable ${name}`);
  });

  it.each([undefined, '0', '-5', '1.5', 'soon'])('keeps inbox records 30 days when IDEMPOTENCY_TTL_SECONDS is %s', (ttl) => {
    expect(workerConfig('shipping', { ...workerEnv, IDEMPOTENCY_TTL_SECONDS: ttl }).idempotencyTtlSeconds).toBe(30 * 86_400);
  });

  it('is read at build time: a changed environment does not reach a worker already built', async () => {
    const built = makeWorkerWith('shipping', async () => ({ outcome: 'DONE' }), workerConfig('shipping', workerEnv));
    ordersWithFaults({ 'o-1': ['fail:shipping'] });
    vi.stubEnv('FAULTS_ENABLED', 'true');
    try {
      expect(await built(batch(record('m1', JSON.stringify(placed('o-1')))), lambdaContext)).toEqual({ batchItemFailures: [] });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
