import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import { COGNITO_ACCESS_SCOPE, type StageConfig } from '../../../lib/stages';
import { ACCESS_LOG_FIELDS } from '../../../lib/constructs/order-api';
import { actionsOf, freshApp, logicalId, propsOf, referencedIds, roleStatements, STAGE_NAMES, synth } from '../synth';
import { ENV } from '../../../lambdas/contract';

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

  it('POST and the erasure write the orders table; GET only reads it; none touches anything but its items and logs', () => {
    const orders = logicalId(stack.data.orders);
    const post = roleStatements(template, stack.api.postOrder);
    const get = roleStatements(template, stack.api.getOrder);
    const erase = roleStatements(template, stack.api.erasePersonalData);
    expect(post.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetItem']));
    expect(get.flatMap(actionsOf)).toContain('dynamodb:BatchGetItem');
    expect(get.flatMap(actionsOf).filter((a) => WRITES.includes(a))).toEqual([]);
    for (const [fn, statements] of [
      [stack.api.postOrder, post],
      [stack.api.getOrder, get],
      [stack.api.erasePersonalData, erase],
    ] as const) {
      const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(referencedIds(dynamo.map((s) => s.Resource))).toEqual(new Set([orders]));
      const rest = statements.filter((s) => !dynamo.includes(s) && !actionsOf(s).some((a) => a.startsWith('xray:')));
      expect(referencedIds(rest.map((s) => s.Resource))).toEqual(new Set([logicalId(fn.logGroup)]));
      expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('sns:'))).toEqual([]);
    }
  });
});

describe.each(STAGE_NAMES)('order API authentication (%s)', (stageName) => {
  let stack: PipelineStack, stage: StageConfig, template: Template;
  beforeAll(() => ({ stack, stage, template } = synth(stageName)));
  const routes = () => Object.values(template.findResources('AWS::ApiGatewayV2::Route'));

  it('there are exactly the three routes', () => {
    expect(
      routes()
        .map((r) => r.Properties.RouteKey)
        .sort(),
    ).toEqual(['DELETE /orders/{orderId}/personal-data', 'GET /orders/{orderId}', 'POST /orders']);
  });

  if (stageName === 'local') {
    it('local: no authorizer, AUTH_MODE=off (the demo; SECURITY.md)', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
      template.resourceCountIs('AWS::Cognito::UserPool', 0);
      for (const r of routes()) expect(r.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
      for (const part of ['postOrder', 'getOrder'] as const) {
        const env = propsOf(template, logicalId(stack.api[part])).Environment.Variables;
        expect(env[ENV.authMode]).toBe('off');
        expect(env[ENV.jwtIssuer]).toBeUndefined();
      }
    });
  } else {
    it("every route has the JWT authorizer of the stack's Cognito pool and client", () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      const [authorizerId, authorizer] = Object.entries(template.findResources('AWS::ApiGatewayV2::Authorizer'))[0]!;
      expect(authorizer.Properties.AuthorizerType).toBe('JWT');
      expect(authorizer.Properties.IdentitySource).toEqual(['$request.header.Authorization']);
      const pool = logicalId(stack.api.identity!.userPool);
      const client = logicalId(stack.api.identity!.client);
      expect(referencedIds(authorizer.Properties.JwtConfiguration.Issuer)).toEqual(new Set([pool, 'AWS::Region']));
      expect(referencedIds(authorizer.Properties.JwtConfiguration.Audience)).toEqual(new Set([client]));
      expect(routes()).toHaveLength(3);
      for (const r of routes()) {
        expect(r.Properties.AuthorizationType).toBe('JWT');
        expect(referencedIds(r.Properties.AuthorizerId)).toEqual(new Set([authorizerId]));
        // Only access tokens carry a scope: the gateway itself refuses an ID token.
        expect(r.Properties.AuthorizationScopes).toEqual([COGNITO_ACCESS_SCOPE]);
      }
    });

    it('the handlers require the same scope', () => {
      for (const part of ['postOrder', 'getOrder', 'erasePersonalData'] as const) {
        expect(propsOf(template, logicalId(stack.api[part])).Environment.Variables[ENV.jwtScope]).toBe(COGNITO_ACCESS_SCOPE);
      }
    });

    it('the quick-start client: no OAuth flow unless callbacks are given, never the implicit flow or example.com; MFA required in prod', () => {
      const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0]!.Properties;
      expect(client.AllowedOAuthFlows).toBeUndefined();
      expect(client.AllowedOAuthFlowsUserPoolClient).toBe(false);
      expect(JSON.stringify(client)).not.toContain('example.com');
      const pool = Object.values(template.findResources('AWS::Cognito::UserPool'))[0]!.Properties;
      expect(pool.MfaConfiguration).toBe(stageName === 'prod' ? 'ON' : 'OPTIONAL');
    });

    it('the handlers verify the same issuer and audience again (AUTH_MODE=jwt)', () => {
      for (const part of ['postOrder', 'getOrder'] as const) {
        const env = propsOf(template, logicalId(stack.api[part])).Environment.Variables;
        expect(env[ENV.authMode]).toBe('jwt');
        expect(referencedIds(env[ENV.jwtIssuer])).toEqual(new Set([logicalId(stack.api.identity!.userPool), 'AWS::Region']));
        expect(JSON.stringify(env[ENV.jwtIssuer])).toContain('https://cognito-idp.');
        expect(JSON.stringify(env[ENV.jwksUrl])).toContain('/.well-known/jwks.json');
        expect(referencedIds(env[ENV.jwtAudience])).toEqual(new Set([logicalId(stack.api.identity!.client)]));
      }
    });

    it('the quick-start pool: admin-created users, strong passwords, public client with USER_PASSWORD_AUTH', () => {
      template.hasResourceProperties('AWS::Cognito::UserPool', {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true } },
        DeletionProtection: stage.destroyData ? 'INACTIVE' : 'ACTIVE',
      });
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: false,
        ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH']),
        PreventUserExistenceErrors: 'ENABLED',
      });
    });
  }

  it('access logs go to a log group with the stage retention, without headers or bodies', () => {
    const stageProps = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    expect(referencedIds(stageProps.AccessLogSettings.DestinationArn)).toEqual(new Set([logicalId(stack.api.accessLogs)]));
    expect(JSON.parse(stageProps.AccessLogSettings.Format)).toEqual(ACCESS_LOG_FIELDS);
    expect(stageProps.AccessLogSettings.Format).not.toMatch(/header|body|authorization/i);
    expect(propsOf(template, logicalId(stack.api.accessLogs)).RetentionInDays).toBe(stage.logRetentionDays);
  });
});

describe('order API with context overrides', () => {
  it('local with -c auth=jwt: authorizer of the given issuer, handlers get issuer, audience and JWKS URL', () => {
    const { stack, template } = freshApp('local', {
      auth: 'jwt',
      jwtIssuer: 'http://127.0.0.1:9999',
      jwtAudience: 'orders-api',
      jwksUrl: 'http://127.0.0.1:9999/jwks.json',
      jwtScope: 'orders/api',
    });
    const t = template();
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: 'http://127.0.0.1:9999', Audience: ['orders-api'] } });
    for (const r of Object.values(t.findResources('AWS::ApiGatewayV2::Route')))
      expect(r.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizationScopes: ['orders/api'] });
    const env = propsOf(t, logicalId(stack.api.postOrder)).Environment.Variables;
    expect(env).toMatchObject({
      [ENV.authMode]: 'jwt',
      [ENV.jwtIssuer]: 'http://127.0.0.1:9999',
      [ENV.jwtAudience]: 'orders-api',
      [ENV.jwksUrl]: 'http://127.0.0.1:9999/jwks.json',
    });
  });

  it('prod with an external issuer: no Cognito pool, JWKS URL derived from the issuer', () => {
    const { stack, template } = freshApp('prod', { jwtIssuer: 'https://login.example.com/', jwtAudience: 'orders', jwtScope: 'orders:write' });
    template().resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(stack.api.auth).toEqual({
      mode: 'jwt',
      issuer: 'https://login.example.com/',
      audience: 'orders',
      jwksUrl: 'https://login.example.com/.well-known/jwks.json',
      scope: 'orders:write',
    });
  });

  it('the quick-start client with callbacks: the authorization code grant only, to exactly those URLs', () => {
    const { template } = freshApp('dev', { oauthCallbackUrls: 'https://shop.example.org/callback' });
    template().hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: ['https://shop.example.org/callback'],
    });
  });
});
