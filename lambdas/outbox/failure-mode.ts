/**
 * How the relay tells the stream that records failed.
 * - `report` (AWS): return the failed sequence numbers (ReportBatchItemFailures); the stream retries from there.
 * - `throw` (set only by the local deploy step, scripts/local/workarounds.ts): fail the whole batch, because
 *   MiniStack's stream poller ignores the reported failures and moves past them. Re-published events are
 *   duplicates that consumers drop by eventId.
 */
export const RELAY_FAILURE_MODE_ENV = 'RELAY_FAILURE_MODE';
export type RelayFailureMode = 'report' | 'throw';
export const relayFailureMode = (): RelayFailureMode => (process.env[RELAY_FAILURE_MODE_ENV] === 'throw' ? 'throw' : 'report');
