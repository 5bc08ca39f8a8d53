/**
 * `npm run check:lockfile`: every package in package-lock.json resolves from the npm registry (no git, file or other
 * host) with an sha512 integrity hash (so `npm ci` verifies each tarball), every direct dependency is pinned to an exact version,
 * and each package the Lambdas bundle from the AWS SDK and Powertools families is there in one version only (two copies
 * of `@aws-sdk/core` or Powertools' commons would be bundled twice and could disagree at run time).
 * This is what can run here: the registry reachable from this project's machines refuses `npm audit` (SECURITY.md).
 */
import { readFileSync } from 'node:fs';
import { projectPath } from '../lib/paths';

export const REGISTRY = 'https://registry.npmjs.org/';
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
/** Package families that must resolve to one version each: what the Lambda bundles are made of. */
export const SINGLE_VERSION_FAMILIES = /^@(aws-sdk|smithy|aws-lambda-powertools)\//;

interface Lock {
  lockfileVersion: number;
  packages: Record<string, { version?: string; resolved?: string; integrity?: string; link?: boolean; inBundle?: boolean }>;
}

export function lockfileProblems(lock: Lock, manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }): string[] {
  const problems: string[] = [];
  if (lock.lockfileVersion < 2) problems.push(`lockfileVersion ${lock.lockfileVersion}: use npm 7+ (version 2 or 3)`);
  for (const [path, pkg] of Object.entries(lock.packages ?? {})) {
    // Bundled dependencies ship inside their parent's tarball, which its integrity hash covers.
    if (path === '' || pkg.link || pkg.inBundle) continue;
    // No `resolved`: npm omits the default registry's URLs (omit-lockfile-registry-resolved); anything else (git,
    // file, another host) is written out and refused here.
    if (pkg.resolved !== undefined && !pkg.resolved.startsWith(REGISTRY)) problems.push(`${path}: resolved from ${pkg.resolved}, not ${REGISTRY}`);
    if (!pkg.version) problems.push(`${path}: no version`);
    if (!pkg.integrity?.startsWith('sha512-')) problems.push(`${path}: no sha512 integrity hash`);
  }
  const versions = new Map<string, Set<string>>();
  for (const [path, pkg] of Object.entries(lock.packages ?? {})) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!path.includes('node_modules/') || !SINGLE_VERSION_FAMILIES.test(name) || !pkg.version) continue;
    versions.set(name, (versions.get(name) ?? new Set()).add(pkg.version));
  }
  for (const [name, found] of versions) {
    if (found.size > 1) problems.push(`${name}: ${[...found].sort().join(' and ')} both installed; align its dependents on one version`);
  }
  for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
    if (!EXACT.test(range)) problems.push(`package.json ${name}@${range}: pin an exact version`);
  }
  return problems;
}

if (process.argv[1]?.endsWith('check-lockfile.ts')) {
  const lock = JSON.parse(readFileSync(projectPath('package-lock.json'), 'utf8')) as Lock;
  const manifest = JSON.parse(readFileSync(projectPath('package.json'), 'utf8'));
  const problems = lockfileProblems(lock, manifest);
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log(
    `package-lock.json: ${Object.keys(lock.packages).length - 1} packages, each from ${REGISTRY} with an sha512 integrity hash; every direct dependency pinned; one version of each AWS SDK, Smithy and Powertools package`,
  );
}
