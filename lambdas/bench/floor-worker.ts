/**
 * Start-up floor of the functions that publish and drain batches (workers, outbox relay and sweeper): the API floor
 * plus the SNS client (lambdas/adapters/publisher.ts) and Powertools' batch processor (lambdas/adapters/worker.ts).
 * Built and measured beside the real bundles, never deployed.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { ddb, logger } from './floor-api';

export const sns = new SNSClient({ maxAttempts: 3 });
export const processor = new BatchProcessor(EventType.SQS);

export const handler = async () => {
  logger.info('floor', { region: await ddb.config.region(), snsRegion: await sns.config.region(), processor: processor.constructor.name });
};
