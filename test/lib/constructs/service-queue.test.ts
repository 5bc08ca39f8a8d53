import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../../lambdas/services/registry';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import { DAY_SECONDS, type StageConfig, visibilityTimeoutSeconds } from '../../../lib/stages';
import { logicalId, propsOf, referencedIds, STAGE_NAMES, synth, type Statement } from '../synth';

const FOURTEEN_DAYS = 14 * DAY_SECONDS;

describe.each(STAGE_NAMES)('service queues (%s)', (stageName) => {
  let stack: PipelineStack, stage: StageConfig, template: Template;
  let queues: Record<string, any>, queuePolicies: any[], subscriptions: any[], topicId: string;
  beforeAll(() => {
    ({ stack, stage, template } = synth(stageName));
    queues = template.findResources('AWS::SQS::Queue');
    queuePolicies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    subscriptions = Object.values(template.findResources('AWS::SNS::Subscription'));
    topicId = logicalId(stack.topic);
  });

  it.each(SERVICES.map((s) => s.name))('%s: main queue dead-letters after maxReceiveCount receives', (name) => {
    const parts = stack.serviceQueues.get(name)!;
    const redrive = propsOf(template, logicalId(parts.queue)).RedrivePolicy;
    expect(redrive.maxReceiveCount).toBe(stage.worker.maxReceiveCount);
    expect(referencedIds(redrive.deadLetterTargetArn)).toEqual(new Set([logicalId(parts.dlq)]));
  });

  it.each(SERVICES.map((s) => s.name))('%s: visibility >= 6x the worker timeout, retention from the stage', (name) => {
    const parts = stack.serviceQueues.get(name)!;
    const queue = propsOf(template, logicalId(parts.queue));
    const worker = propsOf(template, logicalId(stack.workers.get(name)!.fn));
    expect(queue.VisibilityTimeout).toBe(visibilityTimeoutSeconds(stage));
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * worker.Timeout);
    expect(queue.MessageRetentionPeriod).toBe(stage.queue.retentionDays * DAY_SECONDS);
  });

  it.each(SERVICES)('$name: subscription delivers raw, filtered on what the service consumes, with its own DLQ', (service) => {
    const parts = stack.serviceQueues.get(service.name)!;
    const mine = subscriptions.filter((s) => referencedIds(s.Properties.Endpoint).has(logicalId(parts.queue)));
    expect(mine).toHaveLength(1);
    const sub = mine[0].Properties;
    expect(sub.Protocol).toBe('sqs');
    expect(referencedIds(sub.TopicArn)).toEqual(new Set([topicId]));
    expect(sub.RawMessageDelivery).toBe(true);
    expect(sub.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
    expect(sub.FilterPolicy).toEqual({ eventType: [...service.consumes] });
    expect(referencedIds(sub.RedrivePolicy.deadLetterTargetArn)).toEqual(new Set([logicalId(parts.subscriptionDlq)]));
  });

  it('every subscription of the topic has a dead-letter queue', () => {
    expect(subscriptions.length).toBeGreaterThanOrEqual(SERVICES.length);
    for (const sub of subscriptions) expect(sub.Properties.RedrivePolicy?.deadLetterTargetArn).toBeDefined();
  });

  it('every queue with a consumer has a dead-letter queue; every DLQ keeps messages 14 days', () => {
    const dlqIds = new Set(Object.values(queues).flatMap((q) => [...referencedIds(q.Properties?.RedrivePolicy?.deadLetterTargetArn ?? {})]));
    for (const service of SERVICES) {
      const parts = stack.serviceQueues.get(service.name)!;
      expect(dlqIds.has(logicalId(parts.dlq))).toBe(true);
      for (const dlq of [parts.dlq, parts.subscriptionDlq]) {
        expect(propsOf(template, logicalId(dlq)).MessageRetentionPeriod).toBe(FOURTEEN_DAYS);
      }
    }
    expect(propsOf(template, logicalId(stack.relay.dlq)).MessageRetentionPeriod).toBe(FOURTEEN_DAYS);
  });

  it('every queue is encrypted: SSE-SQS (usable by SNS, unlike alias/aws/sqs), or the customer-managed key (prod)', () => {
    expect(Object.keys(queues).length).toBeGreaterThan(0);
    for (const q of Object.values(queues)) {
      if (stack.messagingKey) expect(referencedIds(q.Properties.KmsMasterKeyId)).toEqual(new Set([logicalId(stack.messagingKey)]));
      else {
        expect(q.Properties.SqsManagedSseEnabled).toBe(true);
        expect(q.Properties.KmsMasterKeyId).toBeUndefined();
      }
    }
  });

  it('dead-letter queues are retained where the stage keeps data (prod), deleted elsewhere', () => {
    const dlqs = [...stack.serviceQueues.values()].flatMap((p) => [p.dlq, p.subscriptionDlq]);
    for (const dlq of dlqs) expect(template.toJSON().Resources[logicalId(dlq)].DeletionPolicy).toBe(stack.config.destroyData ? 'Delete' : 'Retain');
  });

  it('every queue denies requests without TLS', () => {
    for (const id of Object.keys(queues)) {
      const policies = queuePolicies.filter((p) => referencedIds(p.Properties.Queues).has(id));
      const denies = policies
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}');
      expect(denies, `TLS-only policy on ${id}`).toHaveLength(1);
      expect(referencedIds(denies[0].Resource).has(id)).toBe(true);
    }
  });

  it('SNS may send to a service queue and its subscription DLQ, and only from our topic', () => {
    for (const service of SERVICES) {
      const parts = stack.serviceQueues.get(service.name)!;
      for (const queue of [parts.queue, parts.subscriptionDlq]) {
        const statements = queuePolicies
          .filter((p) => referencedIds(p.Properties.Queues).has(logicalId(queue)))
          .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
          .filter((s) => s.Effect === 'Allow');
        expect(statements).toHaveLength(1);
        expect(statements[0].Principal).toEqual({ Service: 'sns.amazonaws.com' });
        expect(referencedIds(statements[0].Condition)).toEqual(new Set([topicId]));
      }
    }
  });
});
