import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../lambdas/services/registry';
import { serviceOutputs, STACK_OUTPUTS } from '../../lib/outputs';
import { type PipelineStack, stackName } from '../../lib/pipeline-stack';
import { stageConfig } from '../../lib/stages';
import { actionsOf, STAGE_NAMES, synth, type Statement } from './synth';

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
      ...SERVICES.flatMap((s) => Object.values(serviceOutputs(s.name))),
    ];
    expect(new Set(expected).size).toBe(expected.length);
    expect(outputs.sort()).toEqual(expected.sort());
    expect(serviceOutputs('payment')).toEqual({ queueUrl: 'PaymentQueueUrl', dlqUrl: 'PaymentDlqUrl', tableName: 'PaymentTableName' });
  });

  it('contains no CDK custom resource (the emulator handles them badly)', () => {
    const types = Object.values(template.toJSON().Resources).map((r: any) => r.Type as string);
    expect(types.filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });

  it('no IAM statement grants a wildcard action', () => {
    const documents = [
      ...Object.values(template.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument),
      ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((r) =>
        (r.Properties.Policies ?? []).map((p: any) => p.PolicyDocument),
      ),
    ];
    const allows = documents.flatMap((d) => d.Statement as Statement[]).filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    expect(allows.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
  });

  it('one event topic and one alarm topic, neither with a customer KMS key', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    for (const topic of Object.values(template.findResources('AWS::SNS::Topic'))) {
      expect(topic.Properties.KmsMasterKeyId).toBeUndefined();
    }
  });
});

describe('stage selection', () => {
  it('defaults to dev and rejects unknown stages', () => {
    expect(stackName(stageConfig(undefined))).toBe('OrderPipeline-dev');
    expect(() => stageConfig('staging')).toThrow(/unknown stage/);
  });
});
