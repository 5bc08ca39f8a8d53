/** The deployed stack's Lambda functions on the emulator, found by name prefix (CloudFormation adds a suffix). */
import { paginateListFunctions, type FunctionConfiguration, type LambdaClient } from '@aws-sdk/client-lambda';

/** Every function whose name starts with `prefix`, all pages. */
export async function listFunctions(lambda: LambdaClient, prefix: string): Promise<FunctionConfiguration[]> {
  const found: FunctionConfiguration[] = [];
  for await (const page of paginateListFunctions({ client: lambda }, {}))
    found.push(...(page.Functions ?? []).filter((f) => f.FunctionName?.startsWith(prefix)));
  return found;
}

/** The first function whose name starts with `prefix`; stops paging once found. */
export async function findFunction(lambda: LambdaClient, prefix: string): Promise<FunctionConfiguration | undefined> {
  for await (const page of paginateListFunctions({ client: lambda }, {})) {
    const fn = page.Functions?.find((f) => f.FunctionName?.startsWith(prefix));
    if (fn) return fn;
  }
  return undefined;
}
