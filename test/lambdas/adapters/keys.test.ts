import { describe, expect, it } from 'vitest';
import {
  apiIdempotencyKey,
  epochSeconds,
  faultKey,
  inboxKey,
  lifecycleKey,
  orderKey,
  outboxKey,
  outboxPartition,
  paymentTokenKey,
  personalDataKey,
  STATUS_SK,
  statusKey,
} from '../../../lambdas/adapters/keys';

// The item layout is stored data (and the unit of IAM scoping): typed in from the table at the top of keys.ts, not
// read from KEY_PREFIX, so a changed prefix or sort key fails here before it strands the items already written.
describe('the key layout of the orders table', () => {
  it.each([
    ['the order', orderKey('o-1'), { pk: 'ORDER#o-1', sk: 'ORDER' }],
    ['its personal data', personalDataKey('o-1'), { pk: 'PII#o-1', sk: 'PII' }],
    ['its payment token', paymentTokenKey('o-1'), { pk: 'PAYTOKEN#o-1', sk: 'PAYTOKEN' }],
    ['its lifecycle', lifecycleKey('o-1'), { pk: 'LIFECYCLE#o-1', sk: 'LIFECYCLE' }],
    ["one service's status", statusKey('o-1', 'payment'), { pk: 'STATUS#payment#o-1', sk: 'STATUS' }],
    ['an outbox event', outboxKey('o-1', 'evt-1'), { pk: 'OUTBOX#o-1', sk: 'OUTBOX#evt-1' }],
    ['an API Idempotency-Key record', apiIdempotencyKey('c-1', 'key-1'), { pk: 'IDEMPOTENCY#c-1#key-1', sk: 'IDEMPOTENCY' }],
    ['a fault marker', faultKey('evt-1'), { pk: 'FAULT#evt-1', sk: 'FAULT' }],
  ])('%s is keyed as documented', (_what, key, expected) => {
    expect(key).toStrictEqual(expected);
  });

  it("an order's outbox partition is the OUTBOX items' pk, and every STATUS item has the sort key STATUS", () => {
    expect(outboxPartition('o-1')).toBe('OUTBOX#o-1');
    expect(STATUS_SK).toBe('STATUS');
  });
});

describe("the key layout of each service's table", () => {
  it('an inbox record is INBOX#<eventId> / INBOX, a fault marker FAULT#<marker id> / FAULT', () => {
    expect(inboxKey('evt-1')).toStrictEqual({ pk: 'INBOX#evt-1', sk: 'INBOX' });
    expect(faultKey('evt-1#fail:payment')).toStrictEqual({ pk: 'FAULT#evt-1#fail:payment', sk: 'FAULT' });
  });
});

describe('epochSeconds', () => {
  // DynamoDB's TTL attribute holds whole seconds since the epoch.
  it('is whole seconds, rounded down', () => {
    expect(epochSeconds(1_714_557_600_999)).toBe(1_714_557_600);
    expect(epochSeconds(0)).toBe(0);
  });
});
