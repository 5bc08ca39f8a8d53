/** The plain CDK CLI against an emulator, output captured to a log file (shown in part when it fails). */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { emulatorEnv } from './aws-env';
import { ROOT } from './paths';

export type StackOutputs = Record<string, string>;

export function runCdk(args: string[], endpoint: string, logPath: string): Promise<void> {
  mkdirSync(dirname(logPath), { recursive: true });
  const verb = args.find((a, i) => !a.startsWith('-') && !(args[i - 1] ?? '').startsWith('-')) ?? args[0];
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', ...args], { cwd: ROOT, env: { ...process.env, ...emulatorEnv(endpoint) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(logPath, out);
      if (code === 0) resolve();
      else reject(new Error(`cdk ${verb} failed (exit ${code}); see ${logPath}:\n${out.split('\n').slice(-25).join('\n')}`));
    });
  });
}

/** One stack's outputs from a `cdk deploy --outputs-file` file. */
export function readStackOutputs(outputsFile: string, stack: string): StackOutputs {
  const all = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, StackOutputs>;
  const outputs = all[stack];
  if (!outputs) throw new Error(`${outputsFile} has no outputs for ${stack} (stacks in it: ${Object.keys(all).join(', ') || 'none'})`);
  return outputs;
}
