import type { Template } from 'aws-cdk-lib/assertions';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertLocalStageTargetsEmulator } from '../../lib/target-guard';
import { PROJECT_ROOT } from '../../lib/paths';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../lambdas/services/registry';
import { serviceOutputs, STACK_OUTPUTS } from '../../lib/outputs';
import type { PipelineStack } from '../../lib/pipeline-stack';
import { IDENTITY_OUTPUTS } from '../../lib/constructs/identity';
import { actionsOf, freshApp, logicalId, referencedIds, roleStatements, STAGE_NAMES, synth, type Statement } from './synth';

describe.each(STAGE_NAMES)('pipeline stack (%s)', (stageName) => {
  let stack: PipelineStack, template: Template;
  beforeAll(() => ({ stack, template } = synth(stageName)));

  it('is named OrderPipeline-<stage>', () => {
    expect(stack.stackName).toBe(`OrderPipeline-${stageName}`);
  });

  it('has every output of the contract, per service too', () => {
    const outputs = Object.keys(template.toJSON().Outputs);
    const expected = [
      ...Object.values(STACK_OUTPUTS),
      ...SERVICES.flatMap((s) => {
        const { deadlineQueueUrl, deadlineDlqUrl, deadlineSubscriptionDlqUrl, ...always } = serviceOutputs(s.name);
        // The deadline queue's outputs exist only for a service with `afterDeadline` events (the orders aggregator).
        return [...Object.values(always), ...(s.afterDeadline?.length ? [deadlineQueueUrl, deadlineDlqUrl, deadlineSubscriptionDlqUrl] : [])];
      }),
      // The quick-start Cognito pool of the AWS stages.
      ...(stack.api.identity ? Object.values(IDENTITY_OUTPUTS) : []),
    ];
    expect(new Set(expected).size).toBe(expected.length);
    expect(outputs.sort()).toEqual(expected.sort());
    expect(serviceOutputs('payment')).toEqual({
      queueUrl: 'PaymentQueueUrl',
      dlqUrl: 'PaymentDlqUrl',
      subscriptionDlqUrl: 'PaymentSubscriptionDlqUrl',
      tableName: 'PaymentTableName',
      deadlineQueueUrl: 'PaymentDeadlineQueueUrl',
      deadlineDlqUrl: 'PaymentDeadlineDlqUrl',
      deadlineSubscriptionDlqUrl: 'PaymentDeadlineSubscriptionDlqUrl',
    });
    expect(outputs).toContain('OrdersDeadlineQueueUrl');
    expect(outputs).toContain('OrdersDeadlineSubscriptionDlqUrl');
    expect(outputs).not.toContain('PaymentDeadlineQueueUrl');
  });

  it('contains no CDK custom resource (the emulator handles them badly)', () => {
    const types = Object.values(template.toJSON().Resources).map((r: any) => r.Type as string);
    expect(types.filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });

  it('no IAM statement grants a wildcard action', () => {
    const documents = [
      ...Object.values(template.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument),
      ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((r) => (r.Properties.Policies ?? []).map((p: any) => p.PolicyDocument)),
    ];
    const allows = documents.flatMap((d) => d.Statement as Statement[]).filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    // The one exception (SECURITY.md): kms:GenerateDataKey* on the messaging key, where there is one.
    expect(allows.flatMap(actionsOf).filter((a) => a.includes('*') && !(stack.messagingKey && a === 'kms:GenerateDataKey*'))).toEqual([]);
  });

  it('one event topic and one alarm topic, both under the customer-managed key in prod (by default), neither elsewhere', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    expect(Boolean(stack.messagingKey)).toBe(stack.config.name === 'prod');
    for (const topic of Object.values(template.findResources('AWS::SNS::Topic'))) {
      if (stack.messagingKey) expect(referencedIds(topic.Properties.KmsMasterKeyId)).toEqual(new Set([logicalId(stack.messagingKey)]));
      else expect(topic.Properties.KmsMasterKeyId).toBeUndefined();
    }
  });
});

describe('customer-managed key (-c kms=customer-managed)', () => {
  const { stack, template } = (() => {
    const fresh = freshApp('prod', { kms: 'customer-managed' });
    return { stack: fresh.stack, template: fresh.template() };
  })();
  const keyId = () => logicalId(stack.messagingKey!);
  const keyStatements = () => Object.values(template.findResources('AWS::KMS::Key'))[0]!.Properties.KeyPolicy.Statement as Statement[];

  it('one rotated key, kept in prod, encrypts the event topic and every queue', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    expect(template.toJSON().Resources[logicalId(stack.topic)].Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId(), 'Arn'] });
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    // Queue, DLQ and subscription DLQ per service and per deadline queue, plus the relay's on-failure queue.
    expect(queues.length).toBe((SERVICES.length + SERVICES.filter((s) => s.afterDeadline?.length).length) * 3 + 1);
    for (const q of queues) {
      expect(q.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId(), 'Arn'] });
      expect(q.Properties.SqsManagedSseEnabled).toBeUndefined();
    }
  });

  it('the key policy lets SNS use it only for our topic (aws:SourceArn), and no other service statement', () => {
    const sns = keyStatements().filter((s) => JSON.stringify(s.Principal).includes('sns.amazonaws.com'));
    expect(sns).toHaveLength(1);
    expect(actionsOf(sns[0]!).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    const arn = JSON.stringify((sns[0]!.Condition as any).ArnEquals['aws:SourceArn']);
    expect(arn).toContain(':sns:');
    expect(arn).toContain(`${stack.stackName}-events`);
    expect(template.toJSON().Resources[logicalId(stack.topic)].Properties.TopicName).toBe(`${stack.stackName}-events`);
    const services = keyStatements().filter((s) => JSON.stringify(s.Principal ?? {}).includes('Service'));
    expect(services).toHaveLength(2);
    // CloudWatch, for alarms into the (encrypted) alarm topic, from this account only.
    const cloudwatch = services.find((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'))!;
    expect(actionsOf(cloudwatch).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(JSON.stringify(cloudwatch.Condition)).toContain('aws:SourceAccount');
  });

  it('every worker may decrypt its queue; publishers may encrypt for the topic; only with this key', () => {
    const grantsOn = (fn: { role?: unknown }) =>
      roleStatementsOf(fn)
        .filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')))
        .map((s) => ({ actions: actionsOf(s).sort(), resource: s.Resource }));
    const keyArn = { 'Fn::GetAtt': [keyId(), 'Arn'] };
    for (const service of SERVICES) {
      const kms = grantsOn(stack.workers.get(service.name)!.fn);
      expect(kms).toContainEqual({ actions: ['kms:Decrypt'], resource: keyArn });
      if (service.emits.length > 0) expect(kms).toContainEqual({ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resource: keyArn });
      for (const g of kms) expect(g.resource).toEqual(keyArn);
    }
    // The relay publishes and, on failure, sends to its (encrypted) DLQ: GenerateDataKey + Decrypt.
    expect(grantsOn(stack.relay.fn)).toEqual([{ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resource: keyArn }]);
    // The API neither publishes nor touches a queue.
    expect(grantsOn(stack.api.postOrder)).toEqual([]);
    expect(grantsOn(stack.api.getOrder)).toEqual([]);
  });

  it('the only wildcard action anywhere is kms:GenerateDataKey*, on this key', () => {
    const allows = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.includes('*')));
    expect(allows.length).toBeGreaterThan(0);
    for (const s of allows) {
      expect(actionsOf(s).filter((a) => a.includes('*'))).toEqual(['kms:GenerateDataKey*']);
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [keyId(), 'Arn'] });
    }
  });

  function roleStatementsOf(fn: { role?: unknown }): Statement[] {
    return roleStatements(template, fn as never);
  }
});

describe('the local stage targets an emulator only', () => {
  it('refuses the local stage without a loopback AWS_ENDPOINT_URL; other stages pass', () => {
    expect(() => assertLocalStageTargetsEmulator('local', {})).toThrow(/refusing the local stage/);
    expect(() => assertLocalStageTargetsEmulator('local', { AWS_ENDPOINT_URL: 'https://dynamodb.us-east-1.amazonaws.com' })).toThrow(/not a loopback/);
    expect(() => assertLocalStageTargetsEmulator('local', { AWS_ENDPOINT_URL: 'not a url' })).toThrow(/refusing/);
    expect(() => assertLocalStageTargetsEmulator('local', { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).not.toThrow();
    expect(() => assertLocalStageTargetsEmulator('local', { AWS_ENDPOINT_URL: 'http://localhost:4570' })).not.toThrow();
    expect(() => assertLocalStageTargetsEmulator('dev', {})).not.toThrow();
  });

  it('the CDK app itself refuses: `cdk deploy -c stage=local` against real credentials stops before synth', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ stage: 'local' }), CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'guard-')) };
    delete env.AWS_ENDPOINT_URL;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/refusing the local stage without a local emulator/);
  });
});
