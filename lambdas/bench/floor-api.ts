/**
 * Start-up floor of the API functions (`npm run bench` and `npm run bundles` build and measure it beside them; never
 * deployed): the SDK clients and the Logger they create at module scope, configured as lambdas/adapters/aws.ts and
 * logger.ts do, and none of our code. What an API bundle weighs and costs at init above this is ours (with zod).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';

export const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3 }), { marshallOptions: { removeUndefinedValues: true } });
export const logger = new Logger();

export const handler = async () => {
  logger.info('floor', { region: await ddb.config.region() });
};
