/**
 * Which deployed stack an operator command (redrive, status, trace) talks to, and SDK client config for it.
 *
 *   --stage local (default, or $STAGE)   .local/outputs.json and the emulator this checkout runs (or --endpoint /
 *                                        AWS_ENDPOINT_URL: a loopback emulator)
 *   --stage dev|prod                     cdk-outputs.json (what `npm run deploy` writes) and the SDK's usual
 *                                        credentials and region
 *   --outputs <file>                     another `cdk deploy --outputs-file` file
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stageConfig, type StageConfig } from '../../lib/stages';
import { clientConfig } from '../local/aws-env';
import { readStackOutputs } from '../local/cdk';
import { ownedEmulator } from '../local/emulator';
import { OUTPUTS_FILE, ROOT } from '../local/paths';

export interface Target {
  stage: string;
  config: StageConfig;
  stackName: string;
  outputs: Record<string, string>;
  clientConfig: Record<string, unknown>;
  /** Set for an emulator (or any explicit endpoint); undefined for AWS itself. */
  endpoint?: string;
  /** What this is, for headers and messages. */
  where: string;
}

export interface TargetArgs {
  stage?: string;
  endpoint?: string;
  outputs?: string;
}

/** The stack's outputs and how to reach it. */
function outputsOf(file: string, stack: string, hint: string): Record<string, string> {
  if (!existsSync(file)) throw new Error(`no stack outputs at ${file}: ${hint}`);
  return readStackOutputs(file, stack);
}

export async function resolveTarget(args: TargetArgs, env = process.env): Promise<Target> {
  const stage = args.stage ?? env.STAGE ?? 'local';
  const config = stageConfig(stage); // throws on an unknown stage
  const stackName = `OrderPipeline-${stage}`;
  if (stage === 'local') {
    const outputs = outputsOf(args.outputs ?? OUTPUTS_FILE, stackName, 'deploy the local stack first (npm run local), or pass --outputs');
    let endpoint = args.endpoint ?? env.AWS_ENDPOINT_URL;
    if (!endpoint) {
      const owned = await ownedEmulator();
      if (!owned) throw new Error('no emulator of this checkout is running: start it with `npm run local`, or pass --endpoint');
      endpoint = `http://127.0.0.1:${owned.port}`;
    }
    return { stage, config, stackName, outputs, clientConfig: clientConfig(endpoint), endpoint, where: `${stackName} on the emulator at ${endpoint}` };
  }
  const outputs = outputsOf(
    args.outputs ?? join(ROOT, 'cdk-outputs.json'),
    stackName,
    `deploy with npm run deploy (it writes cdk-outputs.json), or pass --outputs`,
  );
  const endpoint = args.endpoint;
  const where = endpoint ?? `AWS (${env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'the default region'})`;
  return { stage, config, stackName, outputs, clientConfig: endpoint ? { endpoint } : {}, endpoint, where: `${stackName} on ${where}` };
}

/** `--name value` from an argument list; undefined when absent, an error when the value is missing. */
export function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

/** The target flags of an argument list (status, trace). */
export const targetArgs = (args: readonly string[]): TargetArgs => ({
  stage: argValue(args, '--stage'),
  endpoint: argValue(args, '--endpoint'),
  outputs: argValue(args, '--outputs'),
});
