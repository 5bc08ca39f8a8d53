import { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BENCH_OUTPUTS } from '../../../lib/constructs/bench';
import { serviceOutputs } from '../../../lib/outputs';
import { connect, verdict } from '../../../scripts/bench/harness';
import type { Sample } from '../../../scripts/bench/load';

const sample = (status: number, orderId?: string): Sample => ({ variant: 'post', startedAt: 0, ms: 1, status, orderId });
const ok = [sample(202, 'a'), sample(202, 'b')];

describe('verdict (whether a bench step held)', () => {
  it('holds when every request was accepted, nothing is unfinished or dead-lettered and the queues drained', () => {
    expect(verdict({ samples: ok, deadLetters: 0, drained: 1.1 }, 0)).toEqual({ throttled: 0, serverErrors: 0, held: true });
  });

  it('counts 429s and 5xx or dropped connections, and does not hold with any', () => {
    expect(verdict({ samples: [...ok, sample(429), sample(503), sample(0)], deadLetters: 0, drained: 1 }, 0)).toEqual({
      throttled: 1,
      serverErrors: 2,
      held: false,
    });
  });

  it('does not hold with an unfinished order, a dead letter, a queue not drained, or a 202 without an order id', () => {
    expect(verdict({ samples: ok, deadLetters: 0, drained: 1 }, 1).held).toBe(false);
    expect(verdict({ samples: ok, deadLetters: 1, drained: 1 }, 0).held).toBe(false);
    expect(verdict({ samples: ok, deadLetters: 0, drained: undefined }, 0).held).toBe(false);
    expect(verdict({ samples: [...ok, sample(202)], deadLetters: 0, drained: 1 }, 0).held).toBe(false);
  });
});

describe('a step leaves the reference worker out', () => {
  const sqsMock = mockClient(SQSClient);
  const lambdaMock = mockClient(LambdaClient);
  const REFERENCE = 'http://127.0.0.1:4566/000000000000/reference';
  afterEach(() => {
    sqsMock.reset();
    lambdaMock.reset();
    vi.unstubAllGlobals();
  });

  it('pauses its event source for the step and its drain, leaves its queue out of the drain, then purges it and turns it back on', async () => {
    // Fails before: the reference worker ran through every step, and its queue was waited for in the drain.
    const calls: string[] = [];
    sqsMock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string; AttributeNames: string[] }) => {
      if (input.AttributeNames.includes('QueueArn')) return { Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:000000000000:reference' } };
      calls.push(`depth ${input.QueueUrl === REFERENCE ? 'reference' : 'other'}`);
      return { Attributes: { ApproximateNumberOfMessages: '0' } };
    });
    sqsMock.on(PurgeQueueCommand).callsFake((input: { QueueUrl: string }) => void calls.push(`purge ${input.QueueUrl === REFERENCE ? 'reference' : 'other'}`));
    lambdaMock.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: 'ref-uuid' }] });
    lambdaMock
      .on(UpdateEventSourceMappingCommand)
      .callsFake((input: { UUID: string; Enabled: boolean }) => void calls.push(`${input.UUID} enabled=${input.Enabled}`));
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => (calls.push('POST'), new Response(JSON.stringify({ orderId: 'o-1' }), { status: 202 }))),
    );
    const outputs = { [BENCH_OUTPUTS.referenceQueueUrl]: REFERENCE, [serviceOutputs('payment').queueUrl]: 'http://127.0.0.1:4566/000000000000/payment' };
    const h = connect({ endpoint: 'http://127.0.0.1:4566', outputs, apiUrl: 'http://127.0.0.1:4566/api' });

    const stepped = await h.step(2, { seconds: 1, drainS: 5, emulatorPid: undefined });

    expect(stepped.samples.map((s) => s.status)).toEqual([202, 202]);
    expect(calls[0]).toBe('ref-uuid enabled=false');
    expect(calls.slice(-2)).toEqual(['purge reference', 'ref-uuid enabled=true']);
    const during = calls.slice(1, -2);
    expect(during).toContain('POST');
    expect(during).toContain('depth other');
    expect(during).not.toContain('depth reference');
    // Back on: its queue counts in a drain again.
    await h.drain(5);
    expect(calls.slice(-4)).toContain('depth reference');
  });
});
