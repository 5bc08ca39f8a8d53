/**
 * The deployed queues and subscriptions have the attributes the template asks for: what the emulator made of the
 * CloudFormation template, compared with the template synthesized from the same code (and with lib/stages.ts).
 */
import { GetSubscriptionAttributesCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, type Subscription } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../../lambdas/services/registry';
import { serviceOutputs } from '../../lib/outputs';
import { DAY_SECONDS, visibilityTimeoutSeconds } from '../../lib/stages';
import { dlqUrl, messagingTemplate, queueUrl, resourceBehindOutput, sns, sqs, stage, subscribedQueues, topicArn } from './support';

const attributesOf = async (url: string) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};

describe('queue attributes are those of the template', () => {
  it('the template itself carries the stage numbers (so comparing with it checks lib/stages.ts too)', () => {
    for (const s of SERVICES) {
      const q = resourceBehindOutput(serviceOutputs(s.name).queueUrl).props;
      expect(q.VisibilityTimeout).toBe(visibilityTimeoutSeconds(stage));
      expect(q.MessageRetentionPeriod).toBe(stage.queue.retentionDays * DAY_SECONDS);
      expect(q.RedrivePolicy.maxReceiveCount).toBe(stage.worker.maxReceiveCount);
      expect(q.SqsManagedSseEnabled).toBe(true);
    }
  });

  for (const s of SERVICES) {
    it(`${s.name}: queue and DLQ (visibility, retention, encryption, redrive)`, async () => {
      const keys = serviceOutputs(s.name);
      const qt = resourceBehindOutput(keys.queueUrl);
      const dt = resourceBehindOutput(keys.dlqUrl);
      expect(qt.props.RedrivePolicy.deadLetterTargetArn, "template: the redrive target is this service's DLQ").toEqual({ 'Fn::GetAtt': [dt.logicalId, 'Arn'] });

      const [q, d] = await Promise.all([attributesOf(queueUrl(s.name)), attributesOf(dlqUrl(s.name))]);
      expect(Number(q.VisibilityTimeout), 'VisibilityTimeout').toBe(qt.props.VisibilityTimeout);
      expect(Number(q.MessageRetentionPeriod), 'MessageRetentionPeriod').toBe(qt.props.MessageRetentionPeriod);
      expect(q.SqsManagedSseEnabled, 'SqsManagedSseEnabled').toBe(String(qt.props.SqsManagedSseEnabled));
      const redrive = JSON.parse(q.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
      expect(redrive.deadLetterTargetArn, 'RedrivePolicy.deadLetterTargetArn').toBe(d.QueueArn);
      expect(Number(redrive.maxReceiveCount), 'RedrivePolicy.maxReceiveCount').toBe(qt.props.RedrivePolicy.maxReceiveCount);

      expect(Number(d.MessageRetentionPeriod), 'DLQ MessageRetentionPeriod').toBe(dt.props.MessageRetentionPeriod);
      expect(d.SqsManagedSseEnabled, 'DLQ SqsManagedSseEnabled').toBe(String(dt.props.SqsManagedSseEnabled));
      expect(d.RedrivePolicy, 'a DLQ has no DLQ of its own').toBeUndefined();
    });
  }
});

describe('subscriptions are those of the template', () => {
  it('one per subscribed queue (every service queue and the deadline queue): raw delivery, the filter policy on eventType, a subscription DLQ that exists', async () => {
    const subs: Subscription[] = [];
    let next: string | undefined;
    do {
      const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn(), NextToken: next }));
      subs.push(...(page.Subscriptions ?? []));
      next = page.NextToken;
    } while (next);
    const queues = subscribedQueues();
    expect(queues.length, 'a deadline queue besides the service queues').toBeGreaterThan(SERVICES.length);
    expect(subs).toHaveLength(queues.length);

    const templateSubs = Object.values(messagingTemplate().Resources).filter((r: any) => r.Type === 'AWS::SNS::Subscription');
    expect(templateSubs).toHaveLength(queues.length);

    for (const q of queues) {
      const queueArn = (await attributesOf(q.url)).QueueArn;
      const sub = subs.find((x) => x.Endpoint === queueArn);
      expect(sub, `${q.label}: a subscription to its queue`).toBeDefined();
      expect(sub!.Protocol).toBe('sqs');
      const attrs = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub!.SubscriptionArn! }))).Attributes ?? {};
      expect(attrs.RawMessageDelivery, `${q.label}: RawMessageDelivery`).toBe('true');
      const policy = JSON.parse(attrs.FilterPolicy ?? '{}') as { eventType?: string[] };
      expect(Object.keys(policy), `${q.label}: filters on eventType only`).toEqual(['eventType']);
      expect([...policy.eventType!].sort(), `${q.label}: FilterPolicy.eventType`).toEqual([...q.consumes].sort());

      // The subscription's own DLQ (messages SNS cannot deliver): not a stack output, so find it by its ARN.
      const target = (JSON.parse(attrs.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string }).deadLetterTargetArn;
      expect(target, `${q.label}: subscription RedrivePolicy`).toMatch(/^arn:aws:sqs:/);
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: target!.split(':').pop()! }));
      expect(Number((await attributesOf(QueueUrl!)).MessageRetentionPeriod), `${q.label}: subscription DLQ retention`).toBe(14 * DAY_SECONDS);
    }
  });

  it("the deadline queue holds each message back for the stage's order deadline", async () => {
    const deadline = SERVICES.filter((s) => s.afterDeadline?.length);
    expect(deadline.length).toBeGreaterThan(0);
    for (const s of deadline) {
      const delay = Number((await attributesOf(subscribedQueues().find((q) => q.label === `${s.name} deadline`)!.url)).DelaySeconds);
      expect(delay, `${s.name} deadline queue DelaySeconds`).toBe(stage.orderDeadlineSeconds);
    }
  });
});

describe('the topic is that of the template', () => {
  it('refuses publishing without TLS (enforceSSL: a Deny on aws:SecureTransport = false)', async () => {
    const policies = Object.values(messagingTemplate().Resources).filter((r: any) => r.Type === 'AWS::SNS::TopicPolicy');
    expect(policies, 'template: one topic policy').toHaveLength(1);
    const { Attributes = {} } = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn() }));
    const statements = (JSON.parse(Attributes.Policy ?? '{}') as { Statement?: any[] }).Statement ?? [];
    const tlsOnly = statements.find((st) => st.Effect === 'Deny' && JSON.stringify(st.Condition ?? {}).includes('"aws:SecureTransport":"false"'));
    expect(tlsOnly, `topic policy as deployed: ${Attributes.Policy}`).toBeDefined();
  });
});
