/**
 * Where the emulators disagree with each other (or with AWS) on the messaging layer. Each test states what AWS does,
 * branches on EMULATOR only where an emulator is known to differ (with the reason), and so says which one differs.
 * When an emulator starts behaving like AWS, its branch fails: delete the branch and the row in docs/emulators.md.
 * None of these differences changes what the pipeline does; they constrain how tools and tests may talk to it.
 */
import { GetSubscriptionAttributesCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ListDeadLetterSourceQueuesCommand, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { dlqUrl, emulator, endpoint, queueUrl, sns, sqs, subscribedQueues, topicArn } from './support';

/** The error name of a call, or 'ok'. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (err) {
    return (err as Error).name;
  }
}

describe(`emulator differences (EMULATOR=${emulator})`, () => {
  it('DLQ redrive APIs: StartMessageMoveTask and ListDeadLetterSourceQueues', async () => {
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl('shipping'), AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    // The dead-letter test deletes what reaches this DLQ, so a move task finds it empty (or moves a leftover back).
    const moveTask = await outcome(() => sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn })));
    const sources = await outcome(() => sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl('shipping') })));
    if (emulator === 'ministack') {
      // MiniStack 1.5.33 answers InvalidAction to both: the reason lambdas/ops/redrive.ts exists.
      expect({ moveTask, sources }).toEqual({ moveTask: 'InvalidAction', sources: 'InvalidAction' });
    } else {
      // AWS and LocalStack 4.14 (host mode) have both.
      expect({ moveTask, sources }).toEqual({ moveTask: 'ok', sources: 'ok' });
      const { queueUrls = [] } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl('shipping') }));
      expect(queueUrls.map((u) => u.split('/').pop())).toEqual([queueUrl('shipping').split('/').pop()]);
    }
  });

  it('queue URLs in stack outputs: on which host', () => {
    const host = new URL(queueUrl('payment')).host;
    if (emulator === 'localstack') {
      // LocalStack 4.14 builds queue URLs on sqs.<region>.localhost.localstack.cloud:<port>, a public DNS name that
      // resolves to 127.0.0.1. An SQS client without an explicit `endpoint` would resolve it through DNS (the SDK
      // uses the QueueUrl's host then): every client of this project's tests and tools sets `endpoint`.
      expect(host).toBe(`sqs.us-east-1.localhost.localstack.cloud:${new URL(endpoint).port}`);
    } else if (emulator === 'ministack') {
      expect(host).toBe(new URL(endpoint).host); // the endpoint itself (127.0.0.1:<port>)
    } else {
      expect(host).toMatch(/^sqs\.[a-z0-9-]+\.amazonaws\.com$/);
    }
  });

  it('the topic reports its confirmed subscriptions', async () => {
    const { Attributes = {} } = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn() }));
    if (emulator === 'localstack') {
      // LocalStack 4.14 reports 0 although its subscriptions are confirmed and deliver (routing.test.ts).
      expect(Attributes.SubscriptionsConfirmed).toBe('0');
    } else {
      expect(Attributes.SubscriptionsConfirmed).toBe(String(subscribedQueues().length));
    }
  });

  it('GetSubscriptionAttributes describes the subscription itself', async () => {
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn() }));
    const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: Subscriptions[0]!.SubscriptionArn! }));
    const identity = ['SubscriptionArn', 'TopicArn', 'Endpoint', 'Protocol', 'PendingConfirmation'].filter((k) => k in Attributes);
    if (emulator === 'ministack') {
      // MiniStack 1.5.33 returns only the settable attributes (FilterPolicy, RawMessageDelivery, RedrivePolicy, ...).
      expect(identity).toEqual([]);
    } else {
      expect(identity).toEqual(['SubscriptionArn', 'TopicArn', 'Endpoint', 'Protocol', 'PendingConfirmation']);
      expect(Attributes.PendingConfirmation).toBe('false');
    }
  });

  it('physical names that CloudFormation generates', async () => {
    const topicName = topicArn().split(':').pop()!;
    if (emulator === 'localstack') {
      // LocalStack 4.14 names a topic without TopicName `topic-<8 hex>`; AWS and MiniStack `<stack>-<logicalId>-<suffix>`.
      // Harmless: everything here finds resources through stack outputs, never by name.
      expect(topicName).toMatch(/^topic-[0-9a-f]{8}$/);
    } else {
      expect(topicName).toMatch(/^OrderMessaging-local-EventTopic/);
    }
  });
});
