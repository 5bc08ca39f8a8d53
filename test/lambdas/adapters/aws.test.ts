/**
 * The request and capacity counters are SDK middlewares, which aws-sdk-client-mock would skip (it replaces `send`):
 * these tests send through the real clients' stacks, and a test-only middleware at `finalizeRequest` answers each
 * request in place of AWS (or fails it), so nothing is sent. Region, credentials and an endpoint on 127.0.0.1 are
 * set only so that the SDK can build the request.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { countingRequests, ddb, dynamo, withRequestCounter } from '../../../lambdas/adapters/aws';

// Read by the exported client on its first request.
vi.stubEnv('AWS_REGION', 'us-east-1');
vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
vi.stubEnv('AWS_PROFILE', undefined);
vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', 'http://127.0.0.1:9');

type Stack = { add: (mw: any, opts: any) => void; remove: (name: string) => boolean };
type Answer = (input: Record<string, any>) => Record<string, unknown>;

/** Runs `fn` while `answer` answers (or fails, by throwing) every request of the client in place of AWS. */
async function answering<T>(client: { middlewareStack: Stack }, answer: Answer, fn: () => Promise<T>): Promise<T> {
  client.middlewareStack.add(
    (_next: unknown) => async (args: { input: Record<string, any> }) => ({ output: { $metadata: {}, ...answer(args.input) }, response: {} }),
    {
      step: 'finalizeRequest',
      priority: 'low',
      name: 'testAnswer',
    },
  );
  try {
    return await fn();
  } finally {
    client.middlewareStack.remove('testAnswer');
  }
}
const answered = <T>(answer: Answer, fn: () => Promise<T>) => answering(dynamo, answer, fn);
const ok: Answer = () => ({});
const failing =
  (err: Error): Answer =>
  () => {
    throw err;
  };

const put = (item: Record<string, unknown>, condition?: string) =>
  ddb.send(new PutCommand({ TableName: 'orders-table', Item: item, ...(condition ? { ConditionExpression: condition } : {}) }));
const ORDER = { pk: 'ORDER#o-1', sk: 'ORDER' };
/** An item of about 1.5 KB (over one write unit, under two). */
const bigItem = { ...ORDER, note: 'x'.repeat(1500) };

describe('countingRequests', () => {
  it('counts every request made inside it, by command', async () => {
    const { requests } = await answered(ok, () =>
      countingRequests(async () => {
        await put(ORDER);
        await put(ORDER);
        await ddb.send(new GetCommand({ TableName: 'orders-table', Key: ORDER }));
      }),
    );
    expect(requests.total).toBe(3);
    expect(requests.byCommand).toEqual({ PutItemCommand: 2, GetItemCommand: 1 });
  });

  it('counts nothing outside it, and each scope counts only its own requests', async () => {
    await answered(ok, async () => {
      await put(ORDER); // no scope: nothing to count into, and the request still goes through
      const [a, b] = await Promise.all([countingRequests(() => put(ORDER)), countingRequests(async () => (await put(ORDER), await put(ORDER)))]);
      expect([a.requests.total, b.requests.total]).toEqual([1, 2]);
    });
  });

  it("counts the requests of any client it is added to (the SNS publisher's), with no DynamoDB capacity", async () => {
    const sns = withRequestCounter(
      new SNSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    );
    const { requests } = await answering(sns, ok, () =>
      countingRequests(() => sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: '{}' }))),
    );
    expect(requests).toEqual({ total: 1, byCommand: { PublishCommand: 1 }, rcu: 0, wcu: 0 });
  });

  it('counts a request that has no command name under a name all the same', async () => {
    let counter: ((next: unknown, context: object) => (args: object) => Promise<unknown>) | undefined;
    withRequestCounter({ middlewareStack: { add: (mw: typeof counter) => void (counter = mw) } });
    const { requests } = await countingRequests(() => counter!(async () => ({ output: {} }), {})({ input: {} }));
    expect(requests.total).toBe(1);
    expect(Object.entries(requests.byCommand)).toEqual([[expect.stringMatching(/\S/), 1]]);
  });

  // Wrapping a client that already counts would count each of its requests twice.
  it('is added to a client once: wrapping a counted client again is refused', () => {
    expect(() => withRequestCounter(dynamo)).toThrow();
  });
});

// AWS's on-demand billing (lambdas/adapters/capacity.ts has the rules unit by unit; here: that the client applies them).
describe('the DynamoDB capacity a scope consumed', () => {
  it('a write: 1 WCU per started KB of the item', async () => {
    const small = await answered(ok, () => countingRequests(() => put(ORDER)));
    const big = await answered(ok, () => countingRequests(() => put(bigItem)));
    expect([small.requests, big.requests]).toMatchObject([
      { wcu: 1, rcu: 0 },
      { wcu: 2, rcu: 0 },
    ]);
  });

  it('a read: half an RCU per started 4 KB read eventually consistent, a whole one strongly consistent', async () => {
    const found: Answer = () => ({ Item: { pk: { S: ORDER.pk }, sk: { S: ORDER.sk } } });
    const eventual = await answered(found, () => countingRequests(() => ddb.send(new GetCommand({ TableName: 'orders-table', Key: ORDER }))));
    const strong = await answered(found, () =>
      countingRequests(() => ddb.send(new GetCommand({ TableName: 'orders-table', Key: ORDER, ConsistentRead: true }))),
    );
    expect([eventual.requests, strong.requests]).toMatchObject([
      { rcu: 0.5, wcu: 0 },
      { rcu: 1, wcu: 0 },
    ]);
  });

  it('a write whose condition fails is billed like a write, and still fails with ConditionalCheckFailedException', async () => {
    const ccf = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    const { result, requests } = await answered(failing(ccf), () =>
      countingRequests(() => put(bigItem, 'attribute_not_exists(pk)').catch((err: unknown) => err)),
    );
    expect(result).toBe(ccf);
    expect(requests).toMatchObject({ total: 1, wcu: 2 });
  });

  it('a cancelled transaction is billed as the writes it attempted (2 WCU per KB inside a transaction)', async () => {
    const cancelled = new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
    const transaction = () =>
      ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'orders-table', Item: ORDER } },
            { Put: { TableName: 'orders-table', Item: { pk: 'OUTBOX#o-1', sk: 'OUTBOX#evt-1' }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
    const { result, requests } = await answered(failing(cancelled), () => countingRequests(() => transaction().catch((err: unknown) => err)));
    expect(result).toBe(cancelled);
    expect(requests).toMatchObject({ total: 1, wcu: 4 });
  });

  it('a request refused for any other reason is counted as a request but not billed', async () => {
    const invalid = Object.assign(new Error('One or more parameter values were invalid'), {
      name: 'ValidationException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    const { result, requests } = await answered(failing(invalid), () => countingRequests(() => put(ORDER).catch((err: unknown) => err)));
    expect(result).toBe(invalid);
    expect(requests).toEqual({ total: 1, byCommand: { PutItemCommand: 1 }, rcu: 0, wcu: 0 });
  });
});

describe('the document client', () => {
  it('leaves an undefined field out of a nested map instead of refusing the whole write', async () => {
    // An optional field of the domain (an address's second line) is often undefined; the SDK's marshaller throws on
    // one inside a map unless removeUndefinedValues is set (a top-level one it drops by itself).
    const sent: Record<string, any>[] = [];
    await answered(
      (input) => {
        sent.push(input);
        return {};
      },
      () => put({ ...ORDER, shippingAddress: { line1: '1 Main St', line2: undefined } }),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]!.Item).toEqual({ pk: { S: ORDER.pk }, sk: { S: ORDER.sk }, shippingAddress: { M: { line1: { S: '1 Main St' } } } });
  });
});
