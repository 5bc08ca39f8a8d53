/**
 * The infrastructure learns the names it shares with the Lambdas (environment variables, key prefixes, the pending
 * index, metric names, service names) from lambdas/contract.ts, which loads nothing: never from a Lambda adapter,
 * which would run runtime code (SDK clients, loggers) inside the CDK app and blur which side owns a name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths';

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** Every module a file imports or re-exports, as a repository-relative path (packages as they are named). */
function importsOf(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)';/gm)].map((m) => ({
    typeOnly: Boolean(m[1]),
    spec: m[2]!.startsWith('.') ? relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(file), m[2]!)) : m[2]!,
  }));
}

describe('the contract between lib/ and lambdas/', () => {
  const libFiles = [...sourceFiles('lib'), ...sourceFiles('bin')];

  it('finds the imports it checks', () => {
    const all = libFiles.flatMap(importsOf).map((i) => i.spec);
    expect(all).toContain('lambdas/contract');
    expect(all).toContain('aws-cdk-lib');
  });

  it.each(libFiles)('%s imports nothing from a Lambda adapter', (file) => {
    expect(importsOf(file).filter((i) => i.spec.startsWith('lambdas/adapters/'))).toEqual([]);
  });

  it('lambdas/contract.ts loads nothing', () => {
    expect(importsOf('lambdas/contract.ts')).toEqual([]);
  });

  it('the registry, which lib/ reads too, loads nothing at run time but the contract', () => {
    const runtime = importsOf('lambdas/services/registry.ts').filter((i) => !i.typeOnly);
    expect(runtime.map((i) => i.spec)).toEqual(['lambdas/contract']);
  });
});
