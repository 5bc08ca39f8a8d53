import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lockfileProblems } from '../../scripts/check-lockfile';

describe('lockfile check', () => {
  it('the real package-lock.json and package.json pass', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
    const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(lockfileProblems(lock, manifest)).toEqual([]);
  });

  it('finds a package from elsewhere, one without integrity, and a range', () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': {},
        'node_modules/a': { version: '1.0.0', resolved: 'https://evil.example/a-1.0.0.tgz', integrity: 'sha512-x' },
        'node_modules/b': { version: '1.0.0', resolved: 'https://registry.npmjs.org/b/-/b-1.0.0.tgz' },
        // Bundled inside its parent's tarball: covered by the parent's hash.
        'node_modules/a/node_modules/e': { version: '1.0.0', inBundle: true },
      },
    };
    expect(lockfileProblems(lock, { dependencies: { c: '^1.2.3', d: '1.2.3' } })).toEqual([
      'node_modules/a: resolved from https://evil.example/a-1.0.0.tgz, not https://registry.npmjs.org/',
      'node_modules/b: no sha512 integrity hash',
      'package.json c@^1.2.3: pin an exact version',
    ]);
  });

  it('finds an AWS SDK or Powertools package installed in two versions, and ignores other families', () => {
    const pkg = (version: string) => ({ version, integrity: 'sha512-x' });
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': {},
        'node_modules/@aws-lambda-powertools/commons': pkg('2.35.0'),
        'node_modules/@aws-lambda-powertools/logger/node_modules/@aws-lambda-powertools/commons': pkg('2.36.0'),
        'node_modules/@smithy/core': pkg('3.41.0'),
        'node_modules/x/node_modules/@smithy/core': pkg('3.41.0'),
        'node_modules/semver': pkg('7.0.0'),
        'node_modules/y/node_modules/semver': pkg('6.0.0'),
      },
    };
    expect(lockfileProblems(lock, {})).toEqual(['@aws-lambda-powertools/commons: 2.35.0 and 2.36.0 both installed; align its dependents on one version']);
  });
});
