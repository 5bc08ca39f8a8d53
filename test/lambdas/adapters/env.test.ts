import { afterEach, describe, expect, it, vi } from 'vitest';
import { faultsEnabled, required } from '../../../lambdas/adapters/env';

afterEach(() => vi.unstubAllEnvs());

describe('required', () => {
  it('returns the variable the construct set', () => {
    vi.stubEnv('ORDERS_TABLE', 'orders-table');
    expect(required('ORDERS_TABLE')).toBe('orders-table');
  });

  // An operator reading the cold-start error must learn which variable is missing.
  it('refuses a variable that is unset or empty, naming it', () => {
    vi.stubEnv('ORDERS_TABLE', undefined);
    expect(() => required('ORDERS_TABLE')).toThrow(/missing environment variable ORDERS_TABLE/);
    vi.stubEnv('ORDERS_TABLE', '');
    expect(() => required('ORDERS_TABLE')).toThrow(/missing environment variable ORDERS_TABLE/);
  });
});

describe('faultsEnabled', () => {
  // FAULTS_ENABLED is "true" only in the local stage (lambdas/contract.ts); anything else leaves the hooks off.
  it('is true only for FAULTS_ENABLED=true', () => {
    vi.stubEnv('FAULTS_ENABLED', 'true');
    expect(faultsEnabled()).toBe(true);
    for (const value of ['false', 'TRUE', '1', '', undefined]) {
      vi.stubEnv('FAULTS_ENABLED', value);
      expect(faultsEnabled()).toBe(false);
    }
  });
});
