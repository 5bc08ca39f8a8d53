/**
 * Reference worker for the benchmark (deployed only with `-c bench=true`): the shipping effect of an OrderConfirmed
 * (one shipment item + one status item) made idempotent the usual way, with Powertools' idempotency utility:
 * claim (conditional PutItem of an INPROGRESS record), effect, complete (UpdateItem to COMPLETED with the result).
 * It logs the same counters as the project's workers (requests, rcu, wcu) so `npm run bench` compares capacity
 * units per message side by side. Idempotency key: the event id (as the project's inbox), not the SQS message id.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { countingRequests, ddb, dynamo } from '../adapters/aws';
import { required } from '../adapters/env';
import { statusKey } from '../adapters/keys';
import { logger } from '../adapters/logger';
import { envelopeOf } from '../adapters/worker';
import type { Envelope } from '../core/events';

const table = required('REFERENCE_TABLE');
// Powertools' default layout: its own table keyed on `id`; the counted SDK client, so its requests show in the log.
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: required('IDEMPOTENCY_TABLE'), awsSdkV3Client: dynamo });

async function ship(event: Envelope): Promise<{ shipped: string }> {
  const now = new Date().toISOString();
  await ddb.send(
    new PutCommand({
      TableName: table,
      Item: { pk: `SHIPMENT#${event.orderId}`, sk: 'SHIPMENT', orderId: event.orderId, state: 'REQUESTED', requestedAt: now, sourceEventId: event.eventId },
    }),
  );
  await ddb.send(
    new PutCommand({ TableName: table, Item: { ...statusKey(event.orderId, 'shipping'), service: 'shipping', status: 'REQUESTED', updatedAt: now } }),
  );
  return { shipped: event.orderId };
}

const config = new IdempotencyConfig({ eventKeyJmesPath: 'eventId', expiresAfterSeconds: 86_400 });
const shipOnce = makeIdempotent(ship, { persistenceStore, config });

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  // So an INPROGRESS claim of a timed-out attempt expires with the invocation (as the documented wrapper does).
  config.registerLambdaContext(context);
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const envelope = envelopeOf(record);
      const { requests } = await countingRequests(() => shipOnce(envelope));
      logger.info('processed', {
        orderId: envelope.orderId,
        eventId: envelope.eventId,
        eventType: envelope.eventType,
        reference: 'powertools-idempotency',
        sdkRequests: requests.total,
        requests: requests.byCommand,
        rcu: requests.rcu,
        wcu: requests.wcu,
      });
    } catch (err) {
      logger.error('processing failed', { messageId: record.messageId, error: (err as Error).message });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};
