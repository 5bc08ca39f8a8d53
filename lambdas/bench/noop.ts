/**
 * Benchmark floor (deployed only with `-c bench=true` on the local stage): the API hop and a Lambda that does no
 * work but logs one line like POST /orders does (the emulator charges a handler that prints nothing ~46 ms).
 */
import { logger } from '../adapters/logger';

export const handler = async (event: { requestContext?: { requestId?: string } }) => {
  logger.info('bench noop', { requestId: event.requestContext?.requestId });
  return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: '{"status":"ACCEPTED"}' };
};
