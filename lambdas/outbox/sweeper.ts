/**
 * The outbox sweeper: on a schedule, republishes OUTBOX items still pending some minutes after their insert (the
 * relay gave up after its retries, its on-failure record names only stream positions, or it is merely slow), then
 * marks them published. No human is needed for an SNS, KMS or permission fault that outlasted the relay's retries:
 * once publishing works again, the next sweep delivers every accepted order's event. A copy the relay also
 * published is a duplicate that consumers drop by eventId.
 */
import type { Context } from 'aws-lambda';
import { required } from '../adapters/env';
import { logger } from '../adapters/logger';
import { markPublished, pendingEvents } from '../adapters/outbox';
import { publish } from '../adapters/publisher';
import { ENV } from '../contract';

/** Items per query page; each is published and marked before the next page is read. */
const PAGE = 50;
/** Stop starting pages when less than this is left of the invocation: the next sweep goes on. */
const RESERVE_MS = 2_000;

export interface SweepResult {
  published: number;
  failed: number;
  malformed: number;
}

export const handler = async (_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SweepResult> => {
  const table = required(ENV.ordersTable);
  const olderThanMs = Number(process.env[ENV.outboxSweepAfterSeconds] ?? 300) * 1000;
  const result: SweepResult = { published: 0, failed: 0, malformed: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await pendingEvents(table, { olderThanMs, limit: PAGE, startKey });
    result.malformed += page.malformed.length;
    for (const key of page.malformed) logger.error('malformed pending outbox item: left for an operator', { ...key });
    const outcomes = await Promise.allSettled(
      page.events.map(async ({ key, event }) => {
        await publish([event]);
        await markPublished(table, key);
        logger.info('swept', { correlationId: event.correlationId, orderId: event.orderId, eventId: event.eventId, eventType: event.eventType });
      }),
    );
    for (const o of outcomes) {
      if (o.status === 'fulfilled') result.published += 1;
      else {
        result.failed += 1;
        logger.error('sweep publish failed: stays pending for the next sweep', { errorName: (o.reason as Error)?.name, error: (o.reason as Error)?.message });
      }
    }
    startKey = page.next;
  } while (startKey && (context?.getRemainingTimeInMillis() ?? Infinity) > RESERVE_MS);
  if (result.published || result.failed || result.malformed) logger.warn('outbox sweep', { ...result });
  return result;
};
