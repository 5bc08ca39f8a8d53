/**
 * SDK clients, created once per execution environment (module scope) and reused across invocations.
 * Every client carries a middleware that counts requests into the current order scope, so tests, the
 * benchmark and the cost model can say how many AWS requests one order costs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { capacityOf } from './capacity';

export interface RequestCount {
  total: number;
  byCommand: Record<string, number>;
  /** DynamoDB capacity units as AWS bills them (lambdas/adapters/capacity.ts): read and write request units. */
  rcu: number;
  wcu: number;
}

const scope = new AsyncLocalStorage<RequestCount>();

/** Runs `fn` with a fresh request counter; the counter sees every SDK request made inside it. */
export async function countingRequests<T>(fn: () => Promise<T>): Promise<{ result: T; requests: RequestCount }> {
  const requests: RequestCount = { total: 0, byCommand: {}, rcu: 0, wcu: 0 };
  const result = await scope.run(requests, fn);
  return { result, requests };
}

type Stackable = { middlewareStack: { add: (mw: any, opts: any) => void } };

export function withRequestCounter<C extends Stackable>(client: C): C {
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      const counter = scope.getStore();
      if (counter) {
        counter.total += 1;
        const name = String(context.commandName ?? 'unknown');
        counter.byCommand[name] = (counter.byCommand[name] ?? 0) + 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'orderRequestCounter' },
  );
  return client;
}

/** Adds each DynamoDB request's capacity units to the current scope (the marshalled input and output: build step). */
function withCapacityCounter<C extends Stackable>(client: C): C {
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      const counter = scope.getStore();
      if (!counter) return next(args);
      const add = (output: unknown, failed: boolean) => {
        const units = capacityOf(String(context.commandName ?? ''), args.input, output, failed);
        counter.rcu += units.read;
        counter.wcu += units.write;
      };
      try {
        const result = await next(args);
        add(result.output, false);
        return result;
      } catch (err) {
        const name = (err as Error)?.name;
        if (name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException') add(undefined, true);
        throw err;
      }
    },
    { step: 'build', name: 'orderCapacityCounter' },
  );
  return client;
}

// maxAttempts 3 is the SDK default; stated so the retry budget is visible next to the Lambda timeout.
// In Lambda the SDK sends the invocation's X-Ray trace header with every request (its recursion-detection
// middleware), so an SNS publish carries it on: with active tracing that is the whole trace, no X-Ray SDK needed.
export const dynamo = withCapacityCounter(withRequestCounter(new DynamoDBClient({ maxAttempts: 3 })));
export const ddb = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
// The SNS client lives in publisher.ts: a module-scope client is a side effect that keeps its whole SDK (and the XML
// query protocol, ~40 KB) in every bundle that imports this file, and the API functions never publish.
