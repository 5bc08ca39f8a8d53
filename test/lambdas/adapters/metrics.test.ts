import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * The dimensions are read once, when the module loads (a cold start): each case loads a fresh copy under the
 * environment lib/constructs/pipeline-function.ts and worker.ts would set, and reads the EMF line it writes.
 */
async function dimensionsUnder(env: Record<string, string | undefined>): Promise<Record<string, unknown>> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const metrics = await import('../../../lambdas/adapters/metrics');
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => (lines.push(String(chunk)), true)) as typeof process.stdout.write);
  metrics.count('MessagesProcessed');
  metrics.flushMetrics();
  vi.restoreAllMocks();
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]!) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } };
  expect(line._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'stage']]);
  return { service: line.service, stage: line.stage };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('the service and stage dimensions', () => {
  it("are a worker's SERVICE_NAME and its STAGE", async () => {
    expect(await dimensionsUnder({ STAGE: 'dev', SERVICE_NAME: 'payment', POWERTOOLS_SERVICE_NAME: undefined })).toEqual({ service: 'payment', stage: 'dev' });
  });

  it("are an API function's POWERTOOLS_SERVICE_NAME where no SERVICE_NAME is set", async () => {
    expect(await dimensionsUnder({ STAGE: 'prod', SERVICE_NAME: undefined, POWERTOOLS_SERVICE_NAME: 'orders-api' })).toEqual({
      service: 'orders-api',
      stage: 'prod',
    });
  });

  // CloudWatch drops a metric whose dimension value is empty: a process without STAGE still says something.
  it('without STAGE, the stage dimension is still a value', async () => {
    const { stage } = await dimensionsUnder({ STAGE: undefined, SERVICE_NAME: 'payment' });
    expect(stage).toEqual(expect.stringMatching(/\S/));
  });
});
