import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/adapters/env';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import type { StageConfig } from '../../../lib/stages';
import { actionsOf, logicalId, propsOf, referencedIds, roleStatements, STAGE_NAMES, synth } from '../synth';

const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

describe.each(STAGE_NAMES)('order API (%s)', (stageName) => {
  let stack: PipelineStack, stage: StageConfig, template: Template;
  beforeAll(() => ({ stack, stage, template } = synth(stageName)));

  it('is an HTTP API (not REST)', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.resourceCountIs('AWS::ApiGatewayRest::RestApi', 0);
  });

  it.each([
    ['POST /orders', 'postOrder'],
    ['GET /orders/{orderId}', 'getOrder'],
  ] as const)('%s is a Lambda proxy integration, payload 2.0', (routeKey, part) => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
    expect(routes).toHaveLength(1);
    const [integrationId] = referencedIds(routes[0].Properties.Target);
    const integration = propsOf(template, integrationId);
    expect(integration.IntegrationType).toBe('AWS_PROXY');
    expect(integration.PayloadFormatVersion).toBe('2.0');
    expect(referencedIds(integration.IntegrationUri)).toEqual(new Set([logicalId(stack.api[part])]));
  });

  it('the $default stage auto-deploys and throttles every route by the stage config', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: stage.api.throttleRatePerSecond,
        ThrottlingBurstLimit: stage.api.throttleBurst,
      },
    });
  });

  it.each(['postOrder', 'getOrder'] as const)('%s: environment and sizing from the stage', (part) => {
    const fn = propsOf(template, logicalId(stack.api[part]));
    expect(fn.Timeout).toBe(stage.api.timeoutSeconds);
    expect(fn.MemorySize).toBe(stage.api.memoryMb);
    const env = fn.Environment.Variables;
    expect(referencedIds(env[ENV.ordersTable])).toEqual(new Set([logicalId(stack.data.orders)]));
    expect(Number(env[ENV.apiIdempotencyTtlSeconds])).toBe(stage.api.idempotencyKeyHours * 3600);
    // The API does not publish: the outbox relay does.
    expect(env[ENV.topicArn]).toBeUndefined();
  });

  it('POST writes the orders table; GET only reads it; neither touches anything else', () => {
    const orders = logicalId(stack.data.orders);
    const post = roleStatements(template, stack.api.postOrder);
    const get = roleStatements(template, stack.api.getOrder);
    expect(post.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:ConditionCheckItem']));
    expect(get.flatMap(actionsOf)).toContain('dynamodb:GetItem');
    expect(get.flatMap(actionsOf)).toContain('dynamodb:Query');
    expect(get.flatMap(actionsOf).filter((a) => WRITES.includes(a))).toEqual([]);
    for (const statements of [post, get]) {
      expect(referencedIds(statements.map((s) => s.Resource))).toEqual(new Set([orders]));
      expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('sns:'))).toEqual([]);
    }
  });
});
