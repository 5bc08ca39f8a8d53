/**
 * Bootstrap an emulator and deploy the messaging stack (`OrderMessaging-local`, bin/messaging.ts) to it with the
 * plain CDK CLI. Shared by `npm run test:localstack` (LocalStack host mode) and the conformance suite's global setup
 * on MiniStack. Each caller passes its own cdk output directory: two cdk commands in one directory collide.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';

export const MESSAGING_STACK = 'OrderMessaging-local';
export const MESSAGING_APP = 'npx tsx bin/messaging.ts';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export type StackOutputs = Record<string, string>;

/** Environment for the CDK CLI and SDK clients against an emulator on 127.0.0.1 (test credentials). */
export function emulatorEnv(endpoint: string): Record<string, string> {
  const host = new URL(endpoint).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error(`refusing a non-loopback emulator endpoint: ${endpoint}`);
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

export function cdk(args: string[], endpoint: string, logPath: string): Promise<void> {
  mkdirSync(dirname(logPath), { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...emulatorEnv(endpoint) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(logPath, out);
      if (code === 0) resolve();
      else reject(new Error(`cdk ${args.find((a) => !a.startsWith('-') && a !== MESSAGING_APP)} failed (exit ${code}); see ${logPath}:\n${out.split('\n').slice(-25).join('\n')}`));
    });
  });
}

/** `cdk bootstrap` of the emulator's one account and region (the messaging app is named so nothing else synthesizes). */
export const bootstrap = (endpoint: string, outDir: string, logPath: string) =>
  cdk(['-a', MESSAGING_APP, '--output', outDir, 'bootstrap', `aws://${LOCAL_ACCOUNT}/${LOCAL_REGION}`, '--no-notices'], endpoint, logPath);

export async function deployMessaging(endpoint: string, outDir: string, outputsFile: string, logPath: string): Promise<StackOutputs> {
  mkdirSync(dirname(outputsFile), { recursive: true });
  await cdk(
    ['-a', MESSAGING_APP, '--output', outDir, 'deploy', MESSAGING_STACK, '-c', 'stage=local', '--require-approval', 'never', '--no-notices', '--outputs-file', outputsFile],
    endpoint,
    logPath,
  );
  return readMessagingOutputs(outputsFile);
}

/** The messaging stack's outputs from a `cdk deploy --outputs-file` file. */
export function readMessagingOutputs(outputsFile: string): StackOutputs {
  const all = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, StackOutputs>;
  const outputs = all[MESSAGING_STACK];
  if (!outputs) throw new Error(`${outputsFile} has no outputs for ${MESSAGING_STACK} (stacks in it: ${Object.keys(all).join(', ') || 'none'})`);
  return outputs;
}
