/**
 * Bootstrap and deploy the real CDK app, stage `local`, to the emulator with the plain CDK CLI.
 * A separate cdk output directory keeps it from colliding with `cdk synth` runs in the same checkout.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emulatorEnv, LOCAL_ACCOUNT, LOCAL_REGION } from './aws-env';
import { LOCAL, OUTPUTS_FILE, ROOT, STACK_NAME } from './paths';

export type StackOutputs = Record<string, string>;

function run(args: string[], endpoint: string, logName: string): Promise<void> {
  mkdirSync(LOCAL, { recursive: true });
  const logPath = join(LOCAL, logName);
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', ...args], { cwd: ROOT, env: { ...process.env, ...emulatorEnv(endpoint) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(logPath, out);
      if (code === 0) resolve();
      else reject(new Error(`cdk ${args[0]} failed (exit ${code}); see ${logPath}:\n${out.split('\n').slice(-25).join('\n')}`));
    });
  });
}

export const bootstrap = (endpoint: string) =>
  run(['bootstrap', `aws://${LOCAL_ACCOUNT}/${LOCAL_REGION}`, '--no-notices', '--output', 'cdk.local.out', '-c', 'stage=local'], endpoint, 'bootstrap.log');

export async function deploy(endpoint: string): Promise<StackOutputs> {
  await run(
    ['deploy', STACK_NAME, '-c', 'stage=local', '--require-approval', 'never', '--no-notices', '--output', 'cdk.local.out', '--outputs-file', OUTPUTS_FILE],
    endpoint,
    'deploy.log',
  );
  return readOutputs();
}

export function readOutputs(): StackOutputs {
  const all = JSON.parse(readFileSync(OUTPUTS_FILE, 'utf8')) as Record<string, StackOutputs>;
  const outputs = all[STACK_NAME];
  if (!outputs) throw new Error(`${OUTPUTS_FILE} has no outputs for ${STACK_NAME}`);
  return outputs;
}

/**
 * The stack's ApiUrl is the AWS-style address. Locally the HTTP API answers at MiniStack's path-style address
 * `http://127.0.0.1:<port>/_aws/execute-api/<apiId>` (the API handler restores that prefix in `Location` for a
 * loopback host, so Location is usable as is).
 */
export function localApiUrl(outputs: StackOutputs, endpoint: string): string {
  return `${endpoint.replace(/\/$/, '')}/_aws/execute-api/${outputs.ApiId}`;
}
