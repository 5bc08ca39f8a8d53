import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, type HttpStage, type IHttpRouteAuthorizer, LogGroupLogDestination, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from '../stages';
import { Identity } from './identity';
import { FUNCTION_GRANTS, grantItems } from '../access';
import { PipelineFunction } from './pipeline-function';
import { API_SERVICE_NAME, ENV } from '../../lambdas/contract';

export interface OrderApiProps {
  readonly stage: StageConfig;
  readonly ordersTable: ITable;
  /** The POST /orders handler's entry; only the benchmark's hollow stack replaces it (lib/constructs/bench.ts). */
  readonly postOrderEntry?: string;
}

/** What the handlers trust (AUTH_MODE=jwt): the issuer, the audience and where the issuer's keys are. */
export interface ResolvedAuth {
  readonly mode: 'jwt' | 'off';
  readonly issuer?: string;
  readonly audience?: string;
  readonly jwksUrl?: string;
  /** Required on every route by the authorizer and by the handlers. */
  readonly scope?: string;
}

/**
 * The access log line of every request: ids, the caller's `sub` (from the verified token's claims, never the token
 * itself), route, status and latency; no header, no body.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  sub: '$context.authorizer.claims.sub',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};

/**
 * The public API: POST /orders (validate, write order + outbox event, answer 202) and GET /orders/{orderId}.
 * An HTTP API, not a REST API: lower cost and latency, and we need none of REST's extras (usage plans, transforms).
 */
export class OrderApi extends Construct {
  public readonly api: HttpApi;
  /** `$default`: no stage prefix in paths, so a `Location` path is usable as is. */
  public readonly stage: HttpStage;
  public readonly postOrder: PipelineFunction;
  public readonly getOrder: PipelineFunction;
  public readonly erasePersonalData: PipelineFunction;
  /** The JWT authorizer on every route (auth mode jwt), else undefined. */
  public readonly authorizer?: HttpJwtAuthorizer;
  /** The quick-start Cognito pool (auth.createCognito without an issuer from context). */
  public readonly identity?: Identity;
  public readonly auth: ResolvedAuth;
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: OrderApiProps) {
    super(scope, id);
    const { stage } = props;

    if (stage.auth.mode === 'jwt' && stage.auth.createCognito) this.identity = new Identity(this, 'Identity', { stage });
    this.auth = resolveAuth(stage, this.identity);
    if (this.auth.mode === 'off') {
      Annotations.of(this).addWarning(
        `AUTHENTICATION IS OFF for stage ${stage.name}: anyone who can reach the API may place orders and read any order by id (local demo only; see SECURITY.md).`,
      );
    }

    const common = {
      stage,
      serviceName: API_SERVICE_NAME,
      timeoutSeconds: stage.api.timeoutSeconds,
      memoryMb: stage.api.memoryMb,
      environment: {
        [ENV.ordersTable]: props.ordersTable.tableName,
        [ENV.apiIdempotencyTtlSeconds]: String(stage.api.idempotencyKeyHours * 3600),
        [ENV.personalDataTtlSeconds]: String(stage.personalDataRetentionDays * 86_400),
        [ENV.authMode]: this.auth.mode,
        ...(this.auth.mode === 'jwt'
          ? { [ENV.jwtIssuer]: this.auth.issuer!, [ENV.jwtAudience]: this.auth.audience!, [ENV.jwksUrl]: this.auth.jwksUrl!, [ENV.jwtScope]: this.auth.scope! }
          : {}),
      },
    };

    const tables = { orders: props.ordersTable };
    // Writes the order and its outbox event in one transaction; it does not publish (the relay does).
    this.postOrder = new PipelineFunction(this, 'PostOrder', {
      ...common,
      entry: props.postOrderEntry ?? 'lambdas/api/post-order.ts',
      description: 'POST /orders: accept an order (202) and record its OrderPlaced event in the outbox',
    });
    grantItems(this.postOrder, FUNCTION_GRANTS.postOrder, tables);

    this.getOrder = new PipelineFunction(this, 'GetOrder', {
      ...common,
      entry: 'lambdas/api/get-order.ts',
      description: 'GET /orders/{orderId}: the order, its lifecycle status and each service status',
    });
    grantItems(this.getOrder, FUNCTION_GRANTS.getOrder, tables);

    this.erasePersonalData = new PipelineFunction(this, 'ErasePersonalData', {
      ...common,
      entry: 'lambdas/api/erase-personal-data.ts',
      description: "DELETE /orders/{orderId}/personal-data: the owner erases the order's e-mail and address",
    });
    grantItems(this.erasePersonalData, FUNCTION_GRANTS.erasePersonalData, tables);

    this.api = new HttpApi(this, 'HttpApi', {
      description: `Order pipeline API (${stage.name})`,
      // Our own stage below carries the throttling settings.
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: stage.logRetentionDays,
      removalPolicy: stage.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: stage.api.throttleRatePerSecond, burstLimit: stage.api.throttleBurst },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    if (this.auth.mode === 'jwt') {
      this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', this.auth.issuer!, {
        jwtAudience: [this.auth.audience!],
        identitySource: ['$request.header.Authorization'],
      });
    }
    const authorizer: IHttpRouteAuthorizer | undefined = this.authorizer;
    // Only access tokens carry scopes: the gateway refuses an ID token (403) before any function runs.
    const authorizationScopes = this.auth.mode === 'jwt' ? [this.auth.scope!] : undefined;

    const routes: readonly [string, HttpMethod, string, PipelineFunction][] = [
      ['/orders', HttpMethod.POST, 'PostOrderIntegration', this.postOrder],
      ['/orders/{orderId}', HttpMethod.GET, 'GetOrderIntegration', this.getOrder],
      ['/orders/{orderId}/personal-data', HttpMethod.DELETE, 'ErasePersonalDataIntegration', this.erasePersonalData],
    ];
    for (const [path, method, integrationId, fn] of routes) {
      this.api.addRoutes({
        path,
        methods: [method],
        integration: new HttpLambdaIntegration(integrationId, fn, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
        authorizer,
        authorizationScopes,
      });
    }
  }

  /** The invoke URL (AWS style; on the emulator derive it from the API id). */
  get url(): string {
    return this.stage.url;
  }
}

/** Issuer, audience and JWKS URL: from the stage (context) or from the stack's own Cognito pool. */
function resolveAuth(stage: StageConfig, identity?: Identity): ResolvedAuth {
  const { auth } = stage;
  if (auth.mode === 'off') return { mode: 'off' };
  if (!auth.scope) throw new Error(`stage ${stage.name}: auth mode jwt needs a required scope`);
  if (identity) return { mode: 'jwt', issuer: identity.issuer, audience: identity.audience, jwksUrl: identity.jwksUrl, scope: auth.scope };
  if (!auth.issuer || !auth.audience) throw new Error(`stage ${stage.name}: auth mode jwt needs an issuer and an audience`);
  return {
    mode: 'jwt',
    issuer: auth.issuer,
    audience: auth.audience,
    jwksUrl: auth.jwksUrl ?? `${auth.issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
    scope: auth.scope,
  };
}
