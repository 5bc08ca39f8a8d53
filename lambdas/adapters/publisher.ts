import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Envelope } from '../core/events';
import { withRequestCounter } from './aws';
import { required } from './env';
import { ENV } from '../contract';

/** Created once per execution environment, only in the functions that publish (relay, sweeper, workers). */
export const sns = withRequestCounter(new SNSClient({ maxAttempts: 3 }));

/**
 * Publishes envelopes to the topic. `eventType` goes into a message attribute so that subscription filter
 * policies route on it. Publishing the same envelope twice is safe: consumers deduplicate on eventId.
 */
export async function publish(events: readonly Envelope[], topicArn = required(ENV.topicArn)): Promise<void> {
  await Promise.all(
    events.map((e) =>
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(e),
          MessageAttributes: {
            eventType: { DataType: 'String', StringValue: e.eventType },
            orderId: { DataType: 'String', StringValue: e.orderId },
          },
        }),
      ),
    ),
  );
}
