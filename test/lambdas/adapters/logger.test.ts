import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * The logger is created once, when the module loads (a cold start): each case loads a fresh copy under the environment
 * lib/constructs/pipeline-function.ts and worker.ts would set, and reads the `service` key of a line it writes.
 */
async function serviceUnder(env: Record<string, string | undefined>): Promise<unknown> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const { logger } = await import('../../../lambdas/adapters/logger');
  const lines: string[] = [];
  // Powertools writes JSON lines through its own Console on process.stdout.
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => (lines.push(String(chunk)), true)) as typeof process.stdout.write);
  logger.info('hello');
  vi.restoreAllMocks();
  expect(lines).toHaveLength(1);
  return (JSON.parse(lines[0]!) as { service?: unknown }).service;
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("the logs' service key", () => {
  it("is a worker's SERVICE_NAME", async () => {
    expect(await serviceUnder({ SERVICE_NAME: 'payment', POWERTOOLS_SERVICE_NAME: undefined })).toBe('payment');
  });

  it("is an API function's POWERTOOLS_SERVICE_NAME where no SERVICE_NAME is set", async () => {
    expect(await serviceUnder({ SERVICE_NAME: undefined, POWERTOOLS_SERVICE_NAME: 'orders-api' })).toBe('orders-api');
  });
});
