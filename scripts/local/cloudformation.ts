/**
 * The few CloudFormation queries the local harness makes of an emulator (is the environment bootstrapped? the
 * workaround canaries' probe stack), through @aws-sdk/client-cloudformation with the emulator's test credentials.
 * Only loopback endpoints are accepted.
 */
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { assertLoopback, clientConfig } from './aws-env';

export interface StackSummary {
  name: string;
  status: string;
  reason: string;
  outputs: Record<string, string>;
}

/** One client per endpoint (a run talks to one emulator; the canaries and the bootstrap check share it). */
const clients = new Map<string, CloudFormationClient>();
const cfn = (endpoint: string) => {
  let client = clients.get(endpoint);
  if (!client) clients.set(endpoint, (client = new CloudFormationClient(clientConfig(assertLoopback(endpoint)))));
  return client;
};

/** The stack, or undefined when the emulator says it does not exist. */
export async function describeStack(endpoint: string, name: string): Promise<StackSummary | undefined> {
  let stack;
  try {
    [stack] = (await cfn(endpoint).send(new DescribeStacksCommand({ StackName: name }))).Stacks ?? [];
  } catch (err) {
    if (err instanceof Error && /does not exist/.test(err.message)) return undefined;
    throw err;
  }
  if (!stack?.StackStatus) return undefined;
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
  return { name, status: stack.StackStatus, reason: stack.StackStatusReason ?? '', outputs };
}

const USABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE']);

/** True when a usable stack of that name exists (e.g. `CDKToolkit`: the environment is bootstrapped). */
export async function stackIsUsable(endpoint: string, name: string): Promise<boolean> {
  const stack = await describeStack(endpoint, name);
  return !!stack && USABLE.has(stack.status);
}

export async function createStack(endpoint: string, name: string, template: unknown): Promise<void> {
  await cfn(endpoint).send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template) }));
}

export async function deleteStack(endpoint: string, name: string): Promise<void> {
  await cfn(endpoint).send(new DeleteStackCommand({ StackName: name }));
}
