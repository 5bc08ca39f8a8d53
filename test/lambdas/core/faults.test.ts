import { describe, expect, it } from 'vitest';
import {
  CRASH_IN_PROVIDER,
  FAULT_HEADER,
  FAULT_HOOKS,
  parseFaults,
  PUBLISH_FAIL_ONCE,
  RELAY_GIVES_UP,
  serviceFault,
  SERVICE_FAULTS,
} from '../../../lambdas/core/faults';

// The names are a contract: clients send them in X-Fault-Inject, the fault suite and docs/contract.md name them.
// Typed in from docs/contract.md, not read from the module.
describe('fault hook names', () => {
  it('are the documented ones', () => {
    expect([PUBLISH_FAIL_ONCE, RELAY_GIVES_UP, CRASH_IN_PROVIDER]).toEqual(['publish-fail-once', 'relay-gives-up', 'crash-in-provider']);
    expect(FAULT_HOOKS).toEqual(['publish-fail-once', 'relay-gives-up', 'crash-in-provider']);
    expect(SERVICE_FAULTS).toEqual(['drop', 'crash-after-effect', 'fail']);
    expect(serviceFault('drop', 'payment')).toBe('drop:payment');
  });
});

describe('parseFaults (X-Fault-Inject, local stage)', () => {
  it('keeps the known hooks and the per-service ones, lower-cased and deduplicated; drops anything else', () => {
    expect(parseFaults(' Publish-Fail-Once, crash-in-provider,relay-gives-up , drop:payment,crash-after-effect:orders,fail:inventory,fail:inventory')).toEqual([
      'publish-fail-once',
      'crash-in-provider',
      'relay-gives-up',
      'drop:payment',
      'crash-after-effect:orders',
      'fail:inventory',
    ]);
    expect(parseFaults('explode, crash-after-effect:, fail:Pay-ment, drop:x;y, crash-after-effect:payment:2')).toEqual([]);
    expect(parseFaults(undefined)).toEqual([]);
  });
});

describe('FAULT_HEADER (what X-Fault-Inject must be where hooks are on)', () => {
  it.each([
    'publish-fail-once',
    'relay-gives-up',
    'crash-in-provider',
    'drop:payment',
    'crash-after-effect:orders',
    'fail:inventory',
    ' drop:payment , fail:inventory,publish-fail-once ',
  ])('accepts %j', (header) => {
    expect(FAULT_HEADER.test(header)).toBe(true);
  });

  it.each([
    '',
    'explode',
    'publish-fail-once|relay-gives-up',
    'publish-fail-onceX',
    'drop:',
    'drop:Payment',
    'drop|fail:payment',
    'dropfail:payment',
    'crash-after-effect:payment:2',
    `drop:${'a'.repeat(33)}`,
    'drop:payment,,fail:inventory',
    'drop:payment;fail:inventory',
  ])('refuses %j (a 400 where hooks are on: a typo never silently tests the happy path)', (header) => {
    expect(FAULT_HEADER.test(header)).toBe(false);
  });

  it('allows a service name of 1 to 32 letters', () => {
    expect(FAULT_HEADER.test(`fail:${'a'.repeat(32)}`)).toBe(true);
    expect(FAULT_HEADER.test('fail:a')).toBe(true);
  });
});
