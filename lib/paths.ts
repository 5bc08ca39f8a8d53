import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whatever the working directory (cdk, vitest, tsx from elsewhere). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** An absolute path from a repository-relative one (entries in the registry are repository-relative). */
export const projectPath = (relative: string): string => resolve(PROJECT_ROOT, relative);
