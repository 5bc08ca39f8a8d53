import { describe, expect, it } from 'vitest';
import { ENTRIES } from '../../scripts/bundles';
import { synth } from './synth';

/** Every function's entry file, read from its role's description (`<service>: <entry>`, lib/constructs/pipeline-function.ts). */
function deployedEntries(): string[] {
  const roles = synth('local').template.findResources('AWS::IAM::Role');
  const entries = Object.values(roles)
    .map((r) => String((r as { Properties?: { Description?: string } }).Properties?.Description ?? ''))
    .flatMap((d) => /: (lambdas\/\S+\.ts)$/.exec(d)?.slice(1) ?? []);
  return [...new Set(entries)].sort();
}

describe('npm run bundles', () => {
  it('measures exactly the functions the stack deploys (a new function is measured, a removed one is not)', () => {
    const deployed = deployedEntries();
    expect(deployed.length).toBeGreaterThan(5);
    expect([...ENTRIES].sort()).toEqual(deployed);
  });
});
