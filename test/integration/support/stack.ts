/**
 * What an integration test needs to drive the deployed stack from outside: SDK clients pointed at the emulator,
 * the stack outputs, the API, and polling with a deadline (no fixed sleeps).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { ServiceName } from '../../../lambdas/services/registry';
import { serviceOutputs } from '../../../lib/outputs';
import { clientConfig } from '../../../scripts/local/aws-env';

export { pollUntil } from '../../support/poll';

export const endpoint = inject('endpoint');
export const outputs = inject('outputs');
export const apiUrl = inject('apiUrl');
export const emulator = inject('emulator');

export const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(endpoint)));
export const sqs = new SQSClient(clientConfig(endpoint));
export const sns = new SNSClient(clientConfig(endpoint));

export const output = (key: string): string => {
  const v = outputs[key];
  if (!v) throw new Error(`stack output ${key} is missing`);
  return v;
};
export const queueUrl = (svc: ServiceName) => output(serviceOutputs(svc).queueUrl);
export const dlqUrl = (svc: ServiceName) => output(serviceOutputs(svc).dlqUrl);
export const serviceTable = (svc: ServiceName) => output(serviceOutputs(svc).tableName);

/** A customer id of its own per test, so tests never see each other's orders or idempotency keys. */
export const uniqueCustomer = (prefix = 'it') => `${prefix}-${randomUUID().slice(0, 8)}`;
