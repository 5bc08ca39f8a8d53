/**
 * `npm run scan`: cfn-lint (with the cfn-lint-serverless rules) and Checkov, pinned, from PyPI, in the project's own
 * venv (.local/scan-venv, never the emulator's), over every stage's synthesized template. Fails on any finding not
 * acknowledged in lib/scan-acknowledgements.ts (each rule once, with its reason).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { judge, type ScanFinding } from '../lib/scan-acknowledgements';
import { projectPath } from '../lib/paths';
import type { StageName } from '../lib/stages';
import { synthTemplates } from './scan-synth';

export const SCANNERS = { 'cfn-lint': '1.58.0', 'cfn-lint-serverless': '0.3.6', checkov: '3.3.30' } as const;
const VENV = projectPath('.local/scan-venv');
const bin = (name: string) => join(VENV, 'bin', name);
const stamp = join(VENV, `.scanners-${Object.values(SCANNERS).join('-')}`);

function ensureScanners(): void {
  if (existsSync(stamp)) return;
  const step = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  };
  console.log(
    `installing ${Object.entries(SCANNERS)
      .map(([n, v]) => `${n}==${v}`)
      .join(' ')} into ${VENV}`,
  );
  step('python3', ['-m', 'venv', VENV]);
  step(bin('python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...Object.entries(SCANNERS).map(([n, v]) => `${n}==${v}`)]);
  writeFileSync(stamp, new Date().toISOString());
}

const stageOf = (file: string): StageName => basename(file).replace('.template.json', '') as StageName;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r.stdout;
}

export function cfnLint(files: string[]): ScanFinding[] {
  const out = run(bin('cfn-lint'), ['--format', 'json', '--append-rules', 'cfn_lint_serverless.rules', '--', ...files]);
  const results = JSON.parse(out || '[]') as { Rule: { Id: string }; Filename: string; Location: { Path?: (string | number)[] } }[];
  return results.map((r) => ({ tool: 'cfn-lint', rule: r.Rule.Id, resource: String(r.Location.Path?.[1] ?? ''), stage: stageOf(r.Filename) }));
}

export function checkov(files: string[]): ScanFinding[] {
  const out = run(bin('checkov'), ['--framework', 'cloudformation', '-o', 'json', '--quiet', '--compact', ...files.flatMap((f) => ['-f', f])]);
  const reports = [JSON.parse(out)].flat() as { results: { failed_checks: { check_id: string; resource: string; file_path: string }[] } }[];
  return reports.flatMap((r) =>
    r.results.failed_checks.map((c) => ({ tool: 'checkov', rule: c.check_id, resource: c.resource, stage: stageOf(c.file_path) }) as ScanFinding),
  );
}

if (process.argv[1]?.endsWith('scan.ts')) {
  const started = Date.now();
  ensureScanners();
  const files = Object.values(synthTemplates());
  const findings = [...cfnLint(files), ...checkov(files)];
  const verdict = judge(findings);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(
    `scanned ${files.length} templates in ${seconds} s: ${findings.length} findings, ${verdict.acknowledged} acknowledged (lib/scan-acknowledgements.ts)`,
  );
  for (const a of verdict.unused) console.log(`note: acknowledgement ${a.tool} ${a.rule} matched nothing; remove it if the finding is gone`);
  if (verdict.unacknowledged.length) {
    console.error(`${verdict.unacknowledged.length} unacknowledged findings: fix them, or acknowledge the rule with its reason`);
    for (const f of verdict.unacknowledged) console.error(`  ${f.tool} ${f.rule} ${f.stage} ${f.resource}`);
    process.exit(1);
  }
  console.log('no unacknowledged finding');
}
