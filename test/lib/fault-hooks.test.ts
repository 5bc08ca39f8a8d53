/**
 * The fault hooks (X-Fault-Inject, crash/drop/fail hooks in the workers, crash-in-provider) exist only where
 * FAULTS_ENABLED=true, and only the local stage sets it: no function of any other stage may have it, whatever
 * context the stack is synthesized with.
 */
import { describe, expect, it } from 'vitest';
import { freshApp, STAGE_NAMES, synth } from './synth';
import { ENV } from '../../lambdas/contract';

const faultsFlags = (template: ReturnType<typeof synth>['template']) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).map(([id, r]) => [id, r.Properties?.Environment?.Variables?.[ENV.faultsEnabled]] as const);

describe('fault hooks are local-only', () => {
  it.each(STAGE_NAMES.filter((s) => s !== 'local'))('%s: no function has FAULTS_ENABLED=true', (stage) => {
    const flags = faultsFlags(synth(stage).template);
    expect(flags.length).toBeGreaterThan(0);
    for (const [id, flag] of flags) expect(flag, id).not.toBe('true');
  });

  it('prod with context that might try to turn them on still has none', () => {
    const { template } = freshApp('prod', { faults: 'true', faultsEnabled: 'true', FAULTS_ENABLED: 'true' });
    for (const [id, flag] of faultsFlags(template())) expect(flag, id).not.toBe('true');
  });

  it('local: every function has them (the fault suite relies on it)', () => {
    const flags = faultsFlags(synth('local').template);
    for (const [id, flag] of flags) expect(flag, id).toBe('true');
  });
});
