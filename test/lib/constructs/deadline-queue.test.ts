import type { Template } from 'aws-cdk-lib/assertions';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, type ServiceDefinition } from '../../../lambdas/services/registry';
import { pascal } from '../../../lib/names';
import { PipelineStack } from '../../../lib/pipeline-stack';
import { MAX_DELIVERY_DELAY_SECONDS, STAGES, type StageConfig } from '../../../lib/stages';
import { actionsOf, logicalId, propsOf, referencedIds, roleStatements, STAGE_NAMES, synth } from '../synth';

/** The order deadline (issue 12): the aggregator receives OrderPlaced a second time, delayed by the stage's deadline. */
const withDeadline = SERVICES.filter((s) => s.afterDeadline?.length);

describe.each(STAGE_NAMES)('order deadline queue (%s)', (stageName) => {
  let stack: PipelineStack, stage: StageConfig, template: Template;
  beforeAll(() => ({ stack, stage, template } = synth(stageName)));

  const deadlineOf = (s: ServiceDefinition) => stack.messaging.deadlineQueues.get(s.name);
  const subscriptionsTo = (id: string) =>
    Object.values(template.findResources('AWS::SNS::Subscription')).filter((s) => referencedIds(s.Properties.Endpoint).has(id));

  it('exactly the orders aggregator has one, for OrderPlaced', () => {
    expect(withDeadline.map((s) => [s.name, s.afterDeadline])).toEqual([['orders', ['OrderPlaced']]]);
    for (const s of SERVICES) expect(deadlineOf(s) !== undefined, s.name).toBe(withDeadline.includes(s));
  });

  it.each(withDeadline)('$name: delays every message by the stage deadline (within the SQS maximum)', (service) => {
    const queue = propsOf(template, logicalId(deadlineOf(service)!.queue));
    expect(queue.DelaySeconds).toBe(stage.orderDeadlineSeconds);
    expect(stage.orderDeadlineSeconds).toBeGreaterThan(0);
    expect(stage.orderDeadlineSeconds).toBeLessThanOrEqual(MAX_DELIVERY_DELAY_SECONDS);
    // Its own main queue is not delayed.
    expect(propsOf(template, logicalId(stack.serviceQueues.get(service.name)!.queue)).DelaySeconds).toBeUndefined();
  });

  it.each(withDeadline)('$name: subscribed to the topic for its afterDeadline events only (raw, with a subscription DLQ)', (service) => {
    const parts = deadlineOf(service)!;
    const subs = subscriptionsTo(logicalId(parts.queue));
    expect(subs).toHaveLength(1);
    const sub = subs[0]!.Properties;
    expect(referencedIds(sub.TopicArn)).toEqual(new Set([logicalId(stack.topic)]));
    expect(sub.RawMessageDelivery).toBe(true);
    expect(sub.FilterPolicy).toEqual({ eventType: ['OrderPlaced'] });
    expect(referencedIds(sub.RedrivePolicy.deadLetterTargetArn)).toEqual(new Set([logicalId(parts.subscriptionDlq)]));
    // The main queue's subscription still does not carry OrderPlaced.
    const main = subscriptionsTo(logicalId(stack.serviceQueues.get(service.name)!.queue))[0]!.Properties;
    expect(main.FilterPolicy.eventType).not.toContain('OrderPlaced');
  });

  it.each(withDeadline)('$name: dead-letters after maxReceiveCount into its own DLQ, both DLQs alarmed and exported', (service) => {
    const parts = deadlineOf(service)!;
    const redrive = propsOf(template, logicalId(parts.queue)).RedrivePolicy;
    expect(redrive.maxReceiveCount).toBe(stage.worker.maxReceiveCount);
    expect(referencedIds(redrive.deadLetterTargetArn)).toEqual(new Set([logicalId(parts.dlq)]));
    expect(parts.dlq).not.toBe(stack.serviceQueues.get(service.name)!.dlq);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    for (const dlq of [parts.dlq, parts.subscriptionDlq]) {
      const on = alarms.filter(
        (a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' && referencedIds(a.Properties.Dimensions).has(logicalId(dlq)),
      );
      expect(on, dlq.node.path).toHaveLength(1);
      expect(on[0]!.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
    }
    const outputs = template.toJSON().Outputs;
    expect(referencedIds(outputs[`${pascal(service.name)}DeadlineQueueUrl`].Value)).toEqual(new Set([logicalId(parts.queue)]));
    expect(referencedIds(outputs[`${pascal(service.name)}DeadlineDlqUrl`].Value)).toEqual(new Set([logicalId(parts.dlq)]));
  });

  it.each(withDeadline)('$name: its worker drains it (an event source with partial batch responses) and no other worker reaches it', (service) => {
    const parts = deadlineOf(service)!;
    const worker = stack.workers.get(service.name)!;
    expect(worker.deadlineEventSource).toBeDefined();
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((m) =>
      referencedIds(m.Properties.EventSourceArn).has(logicalId(parts.queue)),
    );
    expect(mappings).toHaveLength(1);
    const m = mappings[0]!.Properties;
    expect(referencedIds(m.FunctionName)).toEqual(new Set([logicalId(worker.fn)]));
    expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(m.ScalingConfig.MaximumConcurrency).toBe(service.limits?.maxConcurrency ?? stage.worker.maxConcurrency);
    const consume = roleStatements(template, worker.fn).filter((s) => referencedIds(s.Resource).has(logicalId(parts.queue)));
    expect(consume.flatMap(actionsOf)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    for (const other of SERVICES.filter((o) => o.name !== service.name)) {
      const reached = referencedIds(roleStatements(template, stack.workers.get(other.name)!.fn).map((s) => s.Resource));
      expect(reached.has(logicalId(parts.queue)), other.name).toBe(false);
    }
  });
});

describe('order deadline configuration', () => {
  it('each stage has a deadline: local short enough to test, AWS stages minutes', () => {
    expect(STAGES.local.orderDeadlineSeconds).toBeLessThanOrEqual(60);
    for (const s of [STAGES.dev, STAGES.prod]) expect(s.orderDeadlineSeconds).toBeGreaterThanOrEqual(60);
  });

  it('a deadline beyond the SQS delivery delay maximum is refused at synth', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const stage = { ...STAGES.local, orderDeadlineSeconds: MAX_DELIVERY_DELAY_SECONDS + 1 };
    expect(() => new PipelineStack(app, 'TooLong', { stage })).toThrow(/exceeds SQS's 900 s delivery delay/);
  });
});
