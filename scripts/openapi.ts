/**
 * Writes docs/openapi.json (AWS stages) and docs/openapi.local.json (the local stage) from lambdas/api/openapi.ts
 * (`npm run openapi`). `--check` only compares, exit 1 on drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENAPI_FILES, renderOpenApi, type OpenApiVariant } from '../lambdas/api/openapi';
import { ROOT } from './local/paths';

let drift = false;
for (const [variant, file] of Object.entries(OPENAPI_FILES) as [OpenApiVariant, string][]) {
  const target = join(ROOT, file);
  const text = renderOpenApi(variant);
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(target, 'utf8');
    } catch {
      // missing counts as different
    }
    if (committed !== text) {
      console.error(`${file} is out of date: run npm run openapi`);
      drift = true;
    } else console.log(`${file} is up to date`);
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
if (drift) process.exit(1);
