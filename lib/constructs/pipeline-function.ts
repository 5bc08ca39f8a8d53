import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { aliasArgs, BUNDLING } from '../bundling';
import { PROJECT_ROOT, projectPath } from '../paths';
import type { StageConfig } from '../stages';
import { ENV } from '../../lambdas/contract';

export interface PipelineFunctionProps {
  /** Repository-relative entry file exporting `handler`. */
  readonly entry: string;
  readonly stage: StageConfig;
  /** POWERTOOLS_SERVICE_NAME: the `service` key of every log line. */
  readonly serviceName: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly description?: string;
  /** Function-specific variables; the common ones (STAGE, FAULTS_ENABLED, POWERTOOLS_*) are set here. */
  readonly environment?: Record<string, string>;
}

/**
 * The one way this app builds a Lambda function, so runtime, architecture, bundling and logging never drift apart
 * (the idea of Powertools' `examples/app` function construct).
 *
 * - Node.js 22 on ARM64 (cheaper per GB-s). The emulator runs every nodejs runtime on the host's Node 20 and ignores
 *   the architecture, hence the esbuild target node20.
 * - The AWS SDK is bundled (`externalModules: []`): the emulator's Lambda stubs lack SNS, and a pinned SDK is
 *   reproducible on AWS too.
 * - An explicit LogGroup with retention instead of `logRetention`, which would add a CDK custom resource
 *   (the stack has none: the emulator handles them badly). `fn.logGroup` returns it.
 * - Its own role, allowed to write to that log group only (not the managed AWSLambdaBasicExecutionRole, which may
 *   create and write any log group); every other permission is a grant of the function's construct.
 * - X-Ray active tracing where the stage says so (AWS stages; the emulator has no X-Ray).
 */
export class PipelineFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const { stage } = props;
    if (!Object.values(RetentionDays).includes(stage.logRetentionDays)) {
      throw new Error(`logRetentionDays ${stage.logRetentionDays} is not a CloudWatch Logs retention value`);
    }
    // Created in the parent scope: `this` cannot be used before super().
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: stage.logRetentionDays,
      removalPolicy: stage.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.serviceName}: ${props.entry}`.slice(0, 1000),
    });
    // The log group exists before the function (it is ours), so CreateLogGroup is not needed; its ARN ends in `:*`,
    // which covers its streams.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    super(scope, id, {
      role,
      entry: projectPath(props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: projectPath('package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      logGroup,
      // X-Ray from the function configuration alone: Lambda records each invocation, and the SDK forwards its trace
      // header with every request, so one trace follows the relay's publish through SNS and SQS to each worker. No
      // X-Ray SDK in the bundles (docs/architecture.md: it cost ~128 KB each).
      tracing: stage.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[stage.logLevel],
      bundling: {
        externalModules: [],
        // ESM builds of the SDK and Powertools, credentials from the environment only, minified (lib/bundling.ts).
        minify: BUNDLING.minify,
        format: OutputFormat.CJS,
        mainFields: [...BUNDLING.mainFields],
        esbuildArgs: aliasArgs(),
        target: BUNDLING.target,
        logLevel: LogLevel.WARNING,
      },
      environment: {
        [ENV.stage]: stage.name,
        [ENV.faultsEnabled]: String(stage.faultsEnabled),
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: stage.logLevel,
        ...props.environment,
      },
    });
  }
}
