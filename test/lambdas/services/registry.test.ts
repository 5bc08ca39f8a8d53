import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMPENSATING_SERVICES, SERVICES, VISIBLE_SERVICES } from '../../../lambdas/services/registry';

/** The event types a service's source builds (every event is built by `outcomeEvent('<type>', ...)`). */
function builtBy(service: string): string[] {
  const dir = `lambdas/services/${service}`;
  const source = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(`${dir}/${f}`, 'utf8'))
    .join('\n');
  return [...new Set([...source.matchAll(/outcomeEvent\(\s*'(\w+)'/g)].map((m) => m[1]!))].sort();
}

// Under Stryker (npm run test:mutation) the files on disk are its instrumented copies, every literal wrapped in a
// switch: there is no source to scan. The check runs on the real source in every other run, the mutation recheck too.
const instrumented = readFileSync('lambdas/services/registry.ts', 'utf8').includes('stryMutAct_');

describe('registry', () => {
  it.skipIf(instrumented).each(SERVICES.map((s) => [s.name, s] as const))(
    '%s declares in `emits` exactly the event types its code builds (the worker refuses others)',
    (name, s) => {
      expect(builtBy(name)).toEqual([...s.emits].sort());
    },
  );

  it('routes events as the lifecycle in docs/architecture.md draws it (typed in from the diagram)', () => {
    const routes = Object.fromEntries(SERVICES.map((s) => [s.name, { consumes: [...s.consumes].sort(), afterDeadline: s.afterDeadline ?? [] }]));
    expect(routes).toEqual({
      // The aggregate hears both outcomes, and its own OrderPlaced again at the deadline (TIMEOUT).
      orders: { consumes: ['OrderRejected', 'PaymentCharged', 'PaymentDeclined', 'StockBackordered', 'StockReserved'], afterDeadline: ['OrderPlaced'] },
      // Act on the order, and undo on its cancellation.
      payment: { consumes: ['OrderCancelled', 'OrderPlaced'], afterDeadline: [] },
      inventory: { consumes: ['OrderCancelled', 'OrderPlaced'], afterDeadline: [] },
      // Only a confirmed order ships.
      shipping: { consumes: ['OrderConfirmed'], afterDeadline: [] },
      notification: { consumes: ['OrderCancelled', 'OrderConfirmed'], afterDeadline: [] },
      analytics: { consumes: ['OrderCancelled', 'OrderConfirmed'], afterDeadline: [] },
    });
  });

  it('every service but the aggregate shows its progress in GET /orders/{id}; each has a summary for its function', () => {
    expect(VISIBLE_SERVICES).toEqual(['payment', 'inventory', 'shipping', 'notification', 'analytics']);
    for (const s of SERVICES) expect(s.summary.length, s.name).toBeGreaterThan(20);
  });

  it('compensating services: those that act on OrderPlaced and consume OrderCancelled (payment refunds, inventory releases)', () => {
    expect(COMPENSATING_SERVICES).toEqual(['payment', 'inventory']);
  });
});
