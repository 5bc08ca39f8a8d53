/**
 * A minimal CloudFormation client for a local emulator, over the query protocol with global fetch.
 *
 * Why not @aws-sdk/client-cloudformation: it is not a dependency of the project. Emulators (MiniStack, LocalStack)
 * do not verify request signatures, so an unsigned request with a credential scope naming the service is enough.
 * NEVER use this against AWS: it does not sign. It refuses any endpoint that is not on a loopback address.
 */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface StackSummary {
  name: string;
  status: string;
  reason: string;
  outputs: Record<string, string>;
}

function assertLocal(endpoint: string): void {
  const host = new URL(endpoint).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`cfn-query talks to local emulators only, not to ${host}`);
}

const unescapeXml = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

const tag = (xml: string, name: string): string | undefined => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? unescapeXml(m[1]!) : undefined;
};

export class CfnQueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export async function cfnCall(endpoint: string, action: string, params: Record<string, string> = {}): Promise<string> {
  assertLocal(endpoint);
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const res = await fetch(endpoint.replace(/\/$/, '') + '/', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      // Unsigned: the emulator routes on the credential scope's service name and ignores the signature.
      authorization: `AWS4-HMAC-SHA256 Credential=test/${day}/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: '2010-05-15', ...params }).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new CfnQueryError(tag(text, 'Code') ?? `HTTP ${res.status}`, tag(text, 'Message') ?? text.slice(0, 500));
  return text;
}

/** The stack, or undefined when the emulator says it does not exist. */
export async function describeStack(endpoint: string, name: string): Promise<StackSummary | undefined> {
  let xml: string;
  try {
    xml = await cfnCall(endpoint, 'DescribeStacks', { StackName: name });
  } catch (err) {
    if (err instanceof CfnQueryError && /does not exist/.test(err.message)) return undefined;
    throw err;
  }
  const member = tag(xml, 'Stacks') ?? '';
  if (!member.includes('<StackStatus>')) return undefined;
  const outputs: Record<string, string> = {};
  for (const m of (tag(member, 'Outputs') ?? '').matchAll(/<member>([\s\S]*?)<\/member>/g)) {
    const key = tag(m[1]!, 'OutputKey');
    if (key) outputs[key] = tag(m[1]!, 'OutputValue') ?? '';
  }
  return { name, status: tag(member, 'StackStatus')!, reason: tag(member, 'StackStatusReason') ?? '', outputs };
}

const USABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE']);

/** True when a usable stack of that name exists (e.g. `CDKToolkit`: the environment is bootstrapped). */
export async function stackIsUsable(endpoint: string, name: string): Promise<boolean> {
  const stack = await describeStack(endpoint, name);
  return !!stack && USABLE.has(stack.status);
}

export async function createStack(endpoint: string, name: string, template: unknown): Promise<void> {
  await cfnCall(endpoint, 'CreateStack', { StackName: name, TemplateBody: JSON.stringify(template) });
}

export async function deleteStack(endpoint: string, name: string): Promise<void> {
  await cfnCall(endpoint, 'DeleteStack', { StackName: name });
}
