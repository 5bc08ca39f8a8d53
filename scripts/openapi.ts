/**
 * Writes docs/openapi.json from lambdas/api/openapi.ts (`npm run openapi`). `--check` only compares, exit 1 on drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderOpenApi } from '../lambdas/api/openapi';

const target = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
const text = renderOpenApi();

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing counts as different
  }
  if (committed !== text) {
    console.error('docs/openapi.json is out of date: run npm run openapi');
    process.exit(1);
  }
  console.log('docs/openapi.json is up to date');
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
