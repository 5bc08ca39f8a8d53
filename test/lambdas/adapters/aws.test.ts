/**
 * The request counter of every SDK client: real clients, whose requests a last middleware answers locally (no
 * network), so the counter sees exactly what it would see in a worker. Sent through the SDK's base `send`, which
 * aws-sdk-client-mock (used by other test files, which may share this module cache) never stubs.
 */
import { ListTopicsCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
const { countingRequests, ddb, sns } = await import('../../../lambdas/adapters/aws');

type Sendable = { send: (command: unknown) => Promise<unknown> };
/** The base client's `send` (a mock stubs the subclass prototype's own `send`, not this one). */
const send = (client: object, command: unknown) => (Object.getPrototypeOf(Object.getPrototypeOf(client)) as Sendable).send.call(client, command);

beforeAll(() => {
  // Answers every request after the counter (same step, lower priority) without sending it.
  const answer = () => async () => ({ output: { $metadata: {} }, response: {} });
  sns.middlewareStack.add(answer, { step: 'initialize', priority: 'low', name: 'testAnswer' });
  ddb.middlewareStack.add(answer, { step: 'initialize', priority: 'low', name: 'testAnswer' });
});

describe('countingRequests', () => {
  it('counts every request made inside it, in total and per command, through both clients', async () => {
    const { result, requests } = await countingRequests(async () => {
      await send(sns, new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' }));
      await send(sns, new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' }));
      await send(sns, new ListTopicsCommand({}));
      await send(ddb, new GetCommand({ TableName: 't', Key: { pk: 'a' } }));
      return 'done';
    });
    expect(result).toBe('done');
    expect(requests).toEqual({ total: 4, byCommand: { PublishCommand: 2, ListTopicsCommand: 1, GetItemCommand: 1 } });
  });

  it('each scope has its own counter; requests outside any scope are not counted', async () => {
    await send(sns, new ListTopicsCommand({}));
    const [a, b] = await Promise.all([
      countingRequests(async () => send(sns, new ListTopicsCommand({}))),
      countingRequests(async () => {
        await send(sns, new ListTopicsCommand({}));
        await send(sns, new ListTopicsCommand({}));
      }),
    ]);
    expect(a.requests.total).toBe(1);
    expect(b.requests).toEqual({ total: 2, byCommand: { ListTopicsCommand: 2 } });
    expect((await countingRequests(async () => undefined)).requests).toEqual({ total: 0, byCommand: {} });
  });

  it('retries are bounded: 3 attempts per request on both clients', async () => {
    expect(await sns.config.maxAttempts()).toBe(3);
    expect(await ddb.config.maxAttempts()).toBe(3);
  });

  it('the document client drops undefined attributes instead of failing on them', () => {
    expect(ddb.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
  });
});
