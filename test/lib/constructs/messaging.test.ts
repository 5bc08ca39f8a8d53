import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../../../lambdas/services/registry';
import { MessagingStack, messagingStackName } from '../../../lib/messaging-stack';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import { serviceOutputs, STACK_OUTPUTS } from '../../../lib/outputs';
import { STAGES } from '../../../lib/stages';
import { freshApp, logicalId, referencedIds, STAGE_NAMES, type Statement } from '../synth';

const KMS_MODES = ['sqs-managed', 'customer-managed'] as const;

function messagingStack(stageName: keyof typeof STAGES, kms: string) {
  const app = new App({ builtinCloudFormationValidation: false, outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')), context: { stage: stageName, kms } });
  return new MessagingStack(app, messagingStackName(STAGES[stageName]), { stage: STAGES[stageName] });
}

/** The stack's name (in the topic's name, and in subscription ids and paths), hyphenated or not, as `STACK`. */
const withoutStackName = (text: string, stackName: string): string => text.split(stackName).join('STACK').split(stackName.replace(/-/g, '')).join('STACK');

/** Each CloudFormation resource below the stack's Messaging construct: its logical id and template entry, by path. */
function messagingResources(stack: MessagingStack | PipelineStack): Map<string, { id: string; resource: any }> {
  const resources = Template.fromStack(stack).toJSON().Resources;
  const root = stack.messaging.node.path;
  return new Map(
    stack.messaging.node
      .findAll()
      .filter((c): c is CfnResource => CfnResource.isCfnResource(c))
      .map((c) => {
        const id = stack.getLogicalId(c);
        // A subscription's construct id is its topic's unique id, a hash over the stack's name: drop the hash.
        const path = withoutStackName(c.node.path.slice(root.length), stack.stackName).replace(/STACKEventTopic[0-9A-F]{8}/, 'STACKEventTopic');
        return [path, { id, resource: JSON.parse(withoutStackName(JSON.stringify(resources[id]), stack.stackName)) }];
      }),
  );
}

describe.each(STAGE_NAMES.flatMap((stage) => KMS_MODES.map((kms) => [stage, kms] as const)))('messaging construct (%s, kms=%s)', (stageName, kms) => {
  const stage = STAGES[stageName];
  const messaging = messagingStack(stageName, kms);
  const pipeline = freshApp(stageName, { kms }).stack;
  const template = Template.fromStack(messaging).toJSON();
  const pipelineTemplate = Template.fromStack(pipeline).toJSON();

  it('the messaging-only stack holds the pipeline stack resource for resource: same logical ids, same properties', () => {
    const theirs = messagingResources(pipeline);
    const mine = messagingResources(messaging);
    // Topic (+ policy), and per service 3 queues with their policies and one subscription, + the deadline queue's.
    expect(mine.size).toBeGreaterThanOrEqual(2 + SERVICES.length * 7);
    expect([...mine.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [path, { id, resource }] of mine) {
      const their = theirs.get(path)!;
      // A subscription's logical id embeds its topic's unique id (stack name + hash): the one id that differs.
      if (resource.Type !== 'AWS::SNS::Subscription') expect(their.id, path).toBe(id);
      if (resource.Type === 'AWS::KMS::Key') {
        // The pipeline stack adds one statement of its own (CloudWatch alarms to the alarm topic).
        const { KeyPolicy: policy, ...rest } = resource.Properties;
        const { KeyPolicy: pipelinePolicy, ...pipelineRest } = their.resource.Properties;
        expect(pipelineRest).toEqual(rest);
        expect(pipelinePolicy.Statement).toEqual(expect.arrayContaining(policy.Statement));
        expect(pipelinePolicy.Statement.map((s: { Sid?: string }) => s.Sid)).toContain('AllowCloudWatchAlarmsToTheAlarmTopic');
      } else {
        expect(their.resource, path).toEqual(resource);
      }
    }
  });

  it('every output of the messaging-only stack is the pipeline stack output of that key', () => {
    const keys = Object.keys(template.Outputs);
    expect(keys).toContain(STACK_OUTPUTS.topicArn);
    for (const s of SERVICES) {
      const k = serviceOutputs(s.name);
      expect(keys).toEqual(expect.arrayContaining([k.queueUrl, k.dlqUrl, k.subscriptionDlqUrl]));
      if (s.afterDeadline?.length) expect(keys).toEqual(expect.arrayContaining([k.deadlineQueueUrl, k.deadlineDlqUrl, k.deadlineSubscriptionDlqUrl]));
    }
    for (const key of keys) expect(pipelineTemplate.Outputs[key], key).toEqual(template.Outputs[key]);
  });

  it(`encrypts the topic and every queue ${kms === 'customer-managed' ? 'with its own key' : 'with SSE-SQS'}`, () => {
    const t = template;
    const queues = Object.values(t.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::SQS::Queue');
    const topic = t.Resources[logicalId(messaging.topic)].Properties;
    if (kms === 'customer-managed') {
      expect(messaging.messagingKey).toBeDefined();
      const keyId = logicalId(messaging.messagingKey!);
      expect(referencedIds(topic.KmsMasterKeyId)).toEqual(new Set([keyId]));
      for (const q of queues) expect(referencedIds(q.Properties.KmsMasterKeyId)).toEqual(new Set([keyId]));
      // SNS may use the key for this topic only.
      const sns = (t.Resources[keyId].Properties.KeyPolicy.Statement as Statement[]).find((s) => JSON.stringify(s.Principal).includes('sns.amazonaws.com'));
      expect(sns?.Condition).toBeDefined();
    } else {
      expect(messaging.messagingKey).toBeUndefined();
      expect(topic.KmsMasterKeyId).toBeUndefined();
      for (const q of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    }
    expect(topic.TracingConfig).toBe(stage.tracing ? 'Active' : undefined);
  });
});

describe('messaging construct: logical ids', () => {
  // The ids the stacks had when they built the topic and queues inline: the construct's `Default` id keeps them, so a
  // deployed stack updates in place (a new id would replace every queue, and lose what is in it).
  const BEFORE = {
    topic: 'EventTopic85658E6D',
    key: 'MessagingKey9A79A2B1',
    queues: {
      orders: 'OrdersQueue929135A0',
      payment: 'PaymentQueue08C58F1E',
      inventory: 'InventoryQueue9CB6A1E3',
      shipping: 'ShippingQueueF67B23D2',
      notification: 'NotificationQueue9098CA41',
      analytics: 'AnalyticsQueue2F2FA052',
    } as Record<string, string>,
    deadline: 'OrdersDeadlineQueue59935B11',
  };

  it.each(['pipeline', 'messaging'] as const)('are unchanged in the %s stack', (kind) => {
    const stack = kind === 'pipeline' ? freshApp('prod').stack : messagingStack('prod', 'customer-managed');
    expect(logicalId(stack.topic)).toBe(BEFORE.topic);
    expect(logicalId(stack.messagingKey!)).toBe(BEFORE.key);
    expect(Object.fromEntries(SERVICES.map((s) => [s.name, logicalId(stack.serviceQueues.get(s.name)!.queue)]))).toEqual(BEFORE.queues);
    expect(logicalId(stack.messaging.deadlineQueues.get('orders')!.queue)).toBe(BEFORE.deadline);
  });
});
