import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { HttpMethod, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { serviceNamed } from '../../lambdas/services/registry';
import type { StageConfig } from '../stages';
import { PipelineFunction } from './pipeline-function';
import { ServiceQueue } from './service-queue';

/**
 * The context flag that adds the benchmark's fixtures (`-c bench=true`); refused outside the local stage.
 * `-c bench=hollow` adds them too and deploys the hollow stack: the same resources, with POST /orders and every
 * worker replaced by a handler that does no work (lambdas/bench/hollow.ts), for the like-for-like ceiling.
 */
export const BENCH_CONTEXT_KEY = 'bench';

export type BenchMode = 'off' | 'fixtures' | 'hollow';

/** What `-c bench=...` asks for; anything but `true` or `hollow` is off. */
export const benchMode = (value: unknown): BenchMode => (value === 'hollow' ? 'hollow' : String(value ?? '') === 'true' ? 'fixtures' : 'off');

/** The entries the hollow stack swaps in; every other function (GET, relay, sweeper, operations) is the real one. */
export const HOLLOW_ENTRIES = { postOrder: 'lambdas/bench/hollow-post.ts', worker: 'lambdas/bench/hollow-worker.ts' } as const;

/** Stack outputs of the fixtures, read by `npm run bench`. */
export const BENCH_OUTPUTS = {
  noopPath: 'BenchNoopPath',
  /** `hollow` or `fixtures`: which stack the emulator holds, so the bench knows what it would reuse. */
  mode: 'BenchMode',
  referenceQueueUrl: 'BenchReferenceQueueUrl',
  referenceTable: 'BenchReferenceTableName',
  idempotencyTable: 'BenchIdempotencyTableName',
} as const;

export const BENCH_NOOP_PATH = '/bench/noop';

export interface BenchFixturesProps {
  readonly stage: StageConfig;
  readonly api: HttpApi;
  readonly topic: ITopic;
  readonly mode?: Exclude<BenchMode, 'off'>;
}

/**
 * What only the benchmark deploys, on the local stage: the floor (a no-op route on the same API, logging one line)
 * and a reference worker that does shipping's effect with Powertools' idempotency utility, fed by its own queue
 * subscribed to the same events as shipping, so capacity units per message are measured side by side.
 */
export class BenchFixtures extends Construct {
  constructor(scope: Construct, id: string, props: BenchFixturesProps) {
    super(scope, id);
    const { stage } = props;
    if (stage.name !== 'local') throw new Error(`-c ${BENCH_CONTEXT_KEY}=true is for the local stage only (got ${stage.name})`);

    const noop = new PipelineFunction(this, 'Noop', {
      entry: 'lambdas/bench/noop.ts',
      stage,
      serviceName: 'bench-noop',
      timeoutSeconds: stage.api.timeoutSeconds,
      memoryMb: stage.api.memoryMb,
      description: 'Benchmark floor: does nothing, logs one line',
    });
    props.api.addRoutes({ path: BENCH_NOOP_PATH, methods: [HttpMethod.POST], integration: new HttpLambdaIntegration('BenchNoopIntegration', noop) });

    const table = new Table(this, 'ReferenceTable', {
      billingMode: BillingMode.PAY_PER_REQUEST,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const idempotency = new Table(this, 'IdempotencyTable', {
      billingMode: BillingMode.PAY_PER_REQUEST,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const inbox = new ServiceQueue(this, 'ReferenceQueue', { service: serviceNamed('shipping'), topic: props.topic, stage });
    const worker = new PipelineFunction(this, 'ReferenceWorker', {
      entry: 'lambdas/bench/powertools-shipping.ts',
      stage,
      serviceName: 'bench-reference',
      timeoutSeconds: stage.worker.timeoutSeconds,
      memoryMb: stage.worker.memoryMb,
      description: 'Benchmark reference: shipping effect with Powertools idempotency',
      environment: { REFERENCE_TABLE: table.tableName, IDEMPOTENCY_TABLE: idempotency.tableName },
    });
    worker.addEventSource(
      new SqsEventSource(inbox.queue, {
        batchSize: stage.worker.batchSize,
        maxBatchingWindow: Duration.seconds(stage.worker.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: stage.worker.maxConcurrency,
      }),
    );
    table.grantReadWriteData(worker);
    idempotency.grantReadWriteData(worker);

    new CfnOutput(scope, BENCH_OUTPUTS.noopPath, { value: BENCH_NOOP_PATH });
    new CfnOutput(scope, BENCH_OUTPUTS.mode, { value: props.mode ?? 'fixtures' });
    new CfnOutput(scope, BENCH_OUTPUTS.referenceQueueUrl, { value: inbox.queue.queueUrl });
    new CfnOutput(scope, BENCH_OUTPUTS.referenceTable, { value: table.tableName });
    new CfnOutput(scope, BENCH_OUTPUTS.idempotencyTable, { value: idempotency.tableName });
  }
}
