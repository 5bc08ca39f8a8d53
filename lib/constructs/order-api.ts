import { HttpApi, HttpMethod, type HttpStage, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/adapters/env';
import type { StageConfig } from '../stages';
import { PipelineFunction } from './pipeline-function';

export interface OrderApiProps {
  readonly stage: StageConfig;
  readonly ordersTable: ITable;
}

/** Powertools service name of the API functions (the `service` key of their log lines). */
export const API_SERVICE_NAME = 'orders-api';

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

  constructor(scope: Construct, id: string, props: OrderApiProps) {
    super(scope, id);
    const { stage } = props;
    const common = {
      stage,
      serviceName: API_SERVICE_NAME,
      timeoutSeconds: stage.api.timeoutSeconds,
      memoryMb: stage.api.memoryMb,
      environment: {
        [ENV.ordersTable]: props.ordersTable.tableName,
        [ENV.apiIdempotencyTtlSeconds]: String(stage.api.idempotencyKeyHours * 3600),
      },
    };

    // Writes the order and its outbox event in one transaction; it does not publish (the relay does).
    this.postOrder = new PipelineFunction(this, 'PostOrder', {
      ...common,
      entry: 'lambdas/api/post-order.ts',
      description: 'POST /orders: accept an order (202) and record its OrderPlaced event in the outbox',
    });
    props.ordersTable.grantReadWriteData(this.postOrder);

    this.getOrder = new PipelineFunction(this, 'GetOrder', {
      ...common,
      entry: 'lambdas/api/get-order.ts',
      description: 'GET /orders/{orderId}: the order, its lifecycle status and each service status',
    });
    props.ordersTable.grantReadData(this.getOrder);

    this.api = new HttpApi(this, 'HttpApi', {
      description: `Order pipeline API (${stage.name})`,
      // Our own stage below carries the throttling settings.
      createDefaultStage: false,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: stage.api.throttleRatePerSecond, burstLimit: stage.api.throttleBurst },
    });

    this.api.addRoutes({
      path: '/orders',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('PostOrderIntegration', this.postOrder, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
    this.api.addRoutes({
      path: '/orders/{orderId}',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('GetOrderIntegration', this.getOrder, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
  }

  /** The invoke URL (AWS style; on the emulator derive it from the API id). */
  get url(): string {
    return this.stage.url;
  }
}
