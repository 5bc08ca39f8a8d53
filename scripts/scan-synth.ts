/** Writes every stage's synthesized template (no bundling) to .local/scan/<stage>.template.json, for the scanners. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { PipelineStack, stackName } from '../lib/pipeline-stack';
import { STAGES, type StageName } from '../lib/stages';
import { projectPath } from '../lib/paths';

export const SCAN_DIR = projectPath('.local/scan');

export function synthTemplates(): Record<StageName, string> {
  mkdirSync(SCAN_DIR, { recursive: true });
  const out = {} as Record<StageName, string>;
  for (const name of Object.keys(STAGES) as StageName[]) {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'scan-')), context: { stage: name, 'aws:cdk:bundling-stacks': [] } });
    const stack = new PipelineStack(app, stackName(STAGES[name]), { stage: STAGES[name] });
    const file = join(SCAN_DIR, `${name}.template.json`);
    writeFileSync(file, JSON.stringify(app.synth().getStackByName(stack.stackName).template, null, 1));
    out[name] = file;
  }
  return out;
}

if (process.argv[1]?.endsWith('scan-synth.ts')) console.log(synthTemplates());
