/**
 * Bootstrap an emulator and deploy the messaging stack (`OrderMessaging-local`, bin/messaging.ts) to it with the
 * plain CDK CLI. Shared by `npm run test:localstack` (LocalStack host mode) and the conformance suite's global setup
 * on MiniStack. Each caller passes its own cdk output directory: two cdk commands in one directory collide.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../local/aws-env';
import { readStackOutputs, runCdk as cdk, type StackOutputs } from '../local/cdk';

export const MESSAGING_STACK = 'OrderMessaging-local';
const MESSAGING_APP = 'npx tsx bin/messaging.ts';

/** `cdk bootstrap` of the emulator's one account and region (the messaging app is named so nothing else synthesizes). */
export const bootstrap = (endpoint: string, outDir: string, logPath: string) =>
  cdk(['-a', MESSAGING_APP, '--output', outDir, 'bootstrap', `aws://${LOCAL_ACCOUNT}/${LOCAL_REGION}`, '--no-notices'], endpoint, logPath);

export async function deployMessaging(endpoint: string, outDir: string, outputsFile: string, logPath: string): Promise<StackOutputs> {
  mkdirSync(dirname(outputsFile), { recursive: true });
  await cdk(
    [
      '-a',
      MESSAGING_APP,
      '--output',
      outDir,
      'deploy',
      MESSAGING_STACK,
      '-c',
      'stage=local',
      '--require-approval',
      'never',
      '--no-notices',
      '--outputs-file',
      outputsFile,
    ],
    endpoint,
    logPath,
  );
  return readMessagingOutputs(outputsFile);
}

/** The messaging stack's outputs from a `cdk deploy --outputs-file` file. */
export const readMessagingOutputs = (outputsFile: string): StackOutputs => readStackOutputs(outputsFile, MESSAGING_STACK);
