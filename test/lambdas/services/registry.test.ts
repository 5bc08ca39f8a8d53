import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMPENSATING_SERVICES, SERVICES } from '../../../lambdas/services/registry';

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

  it('compensating services: those that act on OrderPlaced and consume OrderCancelled (payment refunds, inventory releases)', () => {
    expect(COMPENSATING_SERVICES).toEqual(['payment', 'inventory']);
  });
});
