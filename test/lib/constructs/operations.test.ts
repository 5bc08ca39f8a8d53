import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../../lambdas/services/registry';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import type { StageConfig } from '../../../lib/stages';
import { logicalId, referencedIds, STAGE_NAMES, synth } from '../synth';

type Alarm = { Properties: Record<string, any> };

describe.each(STAGE_NAMES)('alarms (%s)', (stageName) => {
  let stack: PipelineStack, stage: StageConfig, template: Template, alarms: Alarm[];
  beforeAll(() => {
    ({ stack, stage, template } = synth(stageName));
    alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
  });

  /** Alarms on one metric whose dimensions point at a resource (by logical id). */
  const alarmsOn = (metricName: string, id: string) =>
    alarms.filter((a) => a.Properties.MetricName === metricName && referencedIds(a.Properties.Dimensions).has(id));

  const everyDlq = (): [string, IQueue][] => [
    ...SERVICES.flatMap((s): [string, IQueue][] => [
      [`${s.name} DLQ`, stack.serviceQueues.get(s.name)!.dlq],
      [`${s.name} subscription DLQ`, stack.serviceQueues.get(s.name)!.subscriptionDlq],
    ]),
    ['outbox DLQ', stack.relay.dlq],
  ];

  it('every dead-letter queue alarms on its first visible message', () => {
    for (const [what, dlq] of everyDlq()) {
      const found = alarmsOn('ApproximateNumberOfMessagesVisible', logicalId(dlq));
      expect(found, what).toHaveLength(1);
      expect(found[0].Properties).toMatchObject({ Namespace: 'AWS/SQS', ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
      // The alarm tells the operator the command that recovers, for this queue and this stage.
      const command = what.startsWith('outbox')
        ? `npm run redrive -- --outbox --stage ${stageName}`
        : `npm run redrive -- --service ${what.split(' ')[0]} --stage ${stageName}`;
      expect(found[0].Properties.AlarmDescription, what).toContain(command);
    }
  });

  it.each(SERVICES.map((s) => s.name))('%s: main queue alarms when its oldest message is too old', (name) => {
    const found = alarmsOn('ApproximateAgeOfOldestMessage', logicalId(stack.serviceQueues.get(name)!.queue));
    expect(found).toHaveLength(1);
    expect(found[0].Properties).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: stage.alarms.oldestMessageAgeSeconds,
    });
  });

  it('the relay alarms when it falls behind the stream', () => {
    const found = alarmsOn('IteratorAge', logicalId(stack.relay.fn));
    expect(found).toHaveLength(1);
    expect(found[0].Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: stage.alarms.outboxIteratorAgeMs,
    });
  });

  it('every alarm notifies the alarm topic and treats missing data as fine', () => {
    const alarmTopic = logicalId(stack.operations.alarmTopic);
    expect(alarms.length).toBeGreaterThanOrEqual(3 * SERVICES.length + 2);
    for (const alarm of alarms) {
      expect(referencedIds(alarm.Properties.AlarmActions)).toEqual(new Set([alarmTopic]));
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
    expect(alarmTopic).not.toBe(logicalId(stack.topic));
  });
});

describe.each(STAGE_NAMES)('alarm descriptions name the runbook step (%s)', (stageName) => {
  let stack: PipelineStack, template: Template;
  beforeAll(() => ({ stack, template } = synth(stageName)));

  const description = (construct: { node: { defaultChild?: unknown } } | IQueue, metricName: string) => {
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (a: any) => a.Properties.MetricName === metricName && referencedIds(a.Properties.Dimensions).has(logicalId(construct as IQueue)),
    ) as Alarm[];
    expect(found).toHaveLength(1);
    return String(found[0]!.Properties.AlarmDescription);
  };

  it.each(SERVICES.map((s) => s.name))('%s: its DLQ, subscription DLQ and backlog alarms say which section and which commands', (name) => {
    const q = stack.serviceQueues.get(name)!;
    const dlq = description(q.dlq, 'ApproximateNumberOfMessagesVisible');
    expect(dlq).toContain('RUNBOOK.md#a-dlq-has-messages');
    expect(dlq).toContain(`npm run status -- --stage ${stageName}`);
    expect(dlq).toContain(`npm run trace -- <orderId> --stage ${stageName}`);
    expect(dlq).toContain(`npm run redrive -- --service ${name} --stage ${stageName}`);
    expect(dlq).toContain(`npm run reconcile -- --stage ${stageName}`);
    expect(description(q.subscriptionDlq, 'ApproximateNumberOfMessagesVisible')).toContain(`RUNBOOK.md#a-subscription-dlq-has-messages`);
    expect(description(q.queue, 'ApproximateAgeOfOldestMessage')).toMatch(
      new RegExp(`RUNBOOK\\.md#a-queue-is-not-draining.*npm run status -- --stage ${stageName}`),
    );
  });

  it('the outbox alarms point at the outbox sections', () => {
    expect(description(stack.relay.dlq, 'ApproximateNumberOfMessagesVisible')).toContain('RUNBOOK.md#the-outbox-relay-gave-up');
    expect(description(stack.relay.fn as any, 'IteratorAge')).toContain('RUNBOOK.md#the-outbox-relay-is-behind');
  });

  it('every description fits CloudWatch (at most 1024 characters) and its section exists in RUNBOOK.md', () => {
    const runbook = readFileSync(new URL('../../../RUNBOOK.md', import.meta.url), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .trim()
          .replace(/ /g, '-'),
      ),
    );
    for (const a of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Alarm[]) {
      const text = String(a.Properties.AlarmDescription);
      expect(text.length).toBeLessThanOrEqual(1024);
      const anchor = /RUNBOOK\.md#([a-z0-9-]+)/.exec(text)?.[1];
      expect(anchor, text).toBeDefined();
      expect(anchors, `RUNBOOK.md has no section #${anchor}`).toContain(anchor);
    }
  });
});
