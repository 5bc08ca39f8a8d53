/** Polling with a deadline instead of fixed sleeps, for every suite that waits on an emulator (one home). */

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/** Calls `probe` until `done(value)` holds or the deadline passes; the error says what was last seen. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 200, what = 'condition' }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)?.slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
