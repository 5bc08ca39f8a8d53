/**
 * Bootstrap and deploy the real CDK app, stage `local`, to the emulator with the plain CDK CLI.
 * A separate cdk output directory keeps it from colliding with `cdk synth` runs in the same checkout.
 */
import { join } from 'node:path';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws-env';
import { readStackOutputs, runCdk, type StackOutputs } from './cdk';
import { LOCAL, OUTPUTS_FILE, STACK_NAME } from './paths';

export type { StackOutputs };

const run = (args: string[], endpoint: string, logName: string) => runCdk(args, endpoint, join(LOCAL, logName));

export const bootstrap = (endpoint: string) =>
  run(['bootstrap', `aws://${LOCAL_ACCOUNT}/${LOCAL_REGION}`, '--no-notices', '--output', 'cdk.local.out', '-c', 'stage=local'], endpoint, 'bootstrap.log');

/** `context`: extra `-c key=value` pairs (the benchmark adds `bench=true`). */
export async function deploy(endpoint: string, context: Record<string, string> = {}): Promise<StackOutputs> {
  const extra = Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  await run(
    [
      'deploy',
      STACK_NAME,
      '-c',
      'stage=local',
      ...extra,
      '--require-approval',
      'never',
      '--no-notices',
      '--output',
      'cdk.local.out',
      '--outputs-file',
      OUTPUTS_FILE,
    ],
    endpoint,
    'deploy.log',
  );
  return readOutputs();
}

export const readOutputs = (): StackOutputs => readStackOutputs(OUTPUTS_FILE, STACK_NAME);

/**
 * The stack's ApiUrl is the AWS-style address. Locally the HTTP API answers at MiniStack's path-style address
 * `http://127.0.0.1:<port>/_aws/execute-api/<apiId>` (the API handler restores that prefix in `Location` for a
 * loopback host, so Location is usable as is).
 */
export function localApiUrl(outputs: StackOutputs, endpoint: string): string {
  return `${endpoint.replace(/\/$/, '')}/_aws/execute-api/${outputs.ApiId}`;
}
