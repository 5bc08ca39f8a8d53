import { describe, expect, it } from 'vitest';
import { COMPENSATING_SERVICES } from '../../../lambdas/services/registry';

describe('registry', () => {
  it('compensating services: those that act on OrderPlaced and consume OrderCancelled (payment refunds, inventory releases)', () => {
    expect(COMPENSATING_SERVICES).toEqual(['payment', 'inventory']);
  });
});
