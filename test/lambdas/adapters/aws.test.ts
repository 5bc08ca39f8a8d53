/**
 * The request counter of every SDK client: real clients, whose requests a last middleware answers locally (no
 * network), so the counter sees exactly what it would see in a worker.
 */
import { ListTopicsCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
const { countingRequests, ddb, sns } = await import('../../../lambdas/adapters/aws');

beforeAll(() => {
  // Answers every request after the counter (same step, lower priority) without sending it.
  const answer = () => async () => ({ output: { $metadata: {} }, response: {} });
  sns.middlewareStack.add(answer, { step: 'initialize', priority: 'low', name: 'testAnswer' });
  ddb.middlewareStack.add(answer, { step: 'initialize', priority: 'low', name: 'testAnswer' });
});

describe('countingRequests', () => {
  it('counts every request made inside it, in total and per command, through both clients', async () => {
    const { result, requests } = await countingRequests(async () => {
      await sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' }));
      await sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' }));
      await sns.send(new ListTopicsCommand({}));
      await ddb.send(new GetCommand({ TableName: 't', Key: { pk: 'a' } }));
      return 'done';
    });
    expect(result).toBe('done');
    expect(requests).toEqual({ total: 4, byCommand: { PublishCommand: 2, ListTopicsCommand: 1, GetItemCommand: 1 } });
  });

  it('each scope has its own counter; requests outside any scope are not counted', async () => {
    await sns.send(new ListTopicsCommand({}));
    const [a, b] = await Promise.all([
      countingRequests(async () => sns.send(new ListTopicsCommand({}))),
      countingRequests(async () => {
        await sns.send(new ListTopicsCommand({}));
        await sns.send(new ListTopicsCommand({}));
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
