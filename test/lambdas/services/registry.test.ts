import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMPENSATING_SERVICES, grantsOf, serviceNamed, SERVICES, VISIBLE_SERVICES, type ServiceDefinition } from '../../../lambdas/services/registry';

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

describe('grantsOf: what a worker may touch beyond its entry', () => {
  const bare: ServiceDefinition = { ...serviceNamed('analytics'), name: 'analytics', showsStatus: false, access: [{ table: 'own', actions: ['UpdateItem'] }] };
  const faultReads = { table: 'orders', keyPrefixes: ['ORDER#'], actions: ['GetItem', 'BatchGetItem'], attributes: ['pk', 'sk', 'faults'] };

  it('no fault-hook grants unless the stage has fault hooks (the default is off)', () => {
    expect(grantsOf(bare)).toEqual(bare.access);
    expect(grantsOf(bare, { faultsEnabled: false })).toEqual(bare.access);
  });

  it("with fault hooks: reading the batch's orders' faults, and PutItem on its own table when its entry has none", () => {
    expect(grantsOf(bare, { faultsEnabled: true })).toEqual([...bare.access, faultReads, { table: 'own', actions: ['PutItem'] }]);
    // Already there: not granted twice. A PutItem on another table, or another action on its own, does not count.
    const owns = { ...bare, access: [{ table: 'own', actions: ['PutItem', 'GetItem'] }] } as const satisfies ServiceDefinition;
    expect(grantsOf(owns, { faultsEnabled: true })).toEqual([...owns.access, faultReads]);
    const elsewhere = { ...bare, access: [{ table: 'orders', actions: ['PutItem'] }] } as const satisfies ServiceDefinition;
    expect(grantsOf(elsewhere, { faultsEnabled: true })).toEqual([...elsewhere.access, faultReads, { table: 'own', actions: ['PutItem'] }]);
  });

  it('a service that shows its status also writes its own STATUS#<name># items', () => {
    expect(grantsOf({ ...bare, showsStatus: true })).toEqual([...bare.access, { table: 'orders', keyPrefixes: ['STATUS#analytics#'], actions: ['PutItem'] }]);
  });
});

describe('serviceNamed', () => {
  it('finds a service by name and refuses an unknown one by name', () => {
    expect(serviceNamed('payment')).toBe(SERVICES.find((s) => s.name === 'payment'));
    expect(() => serviceNamed('billing')).toThrow(/^unknown service billing$/);
  });
});
