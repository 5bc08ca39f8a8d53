/**
 * Stream batch item failures: MiniStack's DynamoDB-stream poller ignores `batchItemFailures` (it reads them only for
 * SQS) and moves past a batch whenever the function returns, so a failed publish would be lost. The relay is switched
 * to fail the whole batch instead (lambdas/outbox/failure-mode.ts), which MiniStack does retry.
 * Its canary needs a Lambda and a stream, so it is judged in test/integration/publish-failure.test.ts, not on the probe.
 */
import { LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { RELAY_FAILURE_MODE_ENV } from '../../../lambdas/outbox/failure-mode';
import { clientConfig } from '../aws-env';
import { findFunction } from '../functions';
import { STACK_NAME } from '../paths';
import type { Workaround } from './workaround';

export const streamBatchItemFailures: Workaround = {
  name: 'streamBatchItemFailures',
  lacks: 'ReportBatchItemFailures on DynamoDB stream event source mappings (failed records are skipped, not retried)',
  async apply(_outputs, endpoint) {
    const lambda = new LambdaClient(clientConfig(endpoint));
    const relay = await findFunction(lambda, `${STACK_NAME}-OutboxFunction`);
    if (!relay) return [];
    const variables = relay.Environment?.Variables ?? {};
    if (variables[RELAY_FAILURE_MODE_ENV] === 'throw') return [];
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: relay.FunctionName,
        Environment: { Variables: { ...variables, [RELAY_FAILURE_MODE_ENV]: 'throw' } },
      }),
    );
    return [`${RELAY_FAILURE_MODE_ENV}=throw on ${relay.FunctionName}`];
  },
};
