import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { envelope, TOPIC_ARN } from '../services/helpers';
import { publish, sns } from '../../../lambdas/adapters/publisher';

const snsMock = mockClient(SNSClient);
const placed = envelope('OrderPlaced', { customerId: 'c-1', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1 }] }, { orderId: 'o-1' });

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => vi.unstubAllEnvs());

describe('the SNS client', () => {
  // 3 attempts is the retry budget the Lambda timeouts are sized for (aws.ts): stated in code, not left to the environment.
  it('makes at most 3 attempts per publish, whatever AWS_MAX_ATTEMPTS says', async () => {
    // The SDK reads the variable on first use where the client states no budget.
    vi.stubEnv('AWS_MAX_ATTEMPTS', '10');
    expect(await sns.config.maxAttempts()).toBe(3);
  });
});

describe('publish', () => {
  it('publishes each envelope as JSON to the topic, with eventType and orderId as message attributes for the filter policies', async () => {
    await publish([placed], TOPIC_ARN);
    expect(snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: TOPIC_ARN,
        Message: JSON.stringify(placed),
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: 'OrderPlaced' },
          orderId: { DataType: 'String', StringValue: 'o-1' },
        },
      },
    ]);
  });

  it('publishes to TOPIC_ARN by default, and refuses to run without it', async () => {
    vi.stubEnv('TOPIC_ARN', TOPIC_ARN);
    await publish([placed]);
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.TopicArn).toBe(TOPIC_ARN);
    vi.stubEnv('TOPIC_ARN', undefined);
    await expect(publish([placed])).rejects.toThrow(/missing environment variable TOPIC_ARN/);
  });
});
