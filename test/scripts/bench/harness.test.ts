import { describe, expect, it } from 'vitest';
import { verdict } from '../../../scripts/bench/harness';
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
