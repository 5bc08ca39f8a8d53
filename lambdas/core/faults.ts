/**
 * Local stage fault hooks: carried on the order's OUTBOX item, honoured by the relay and the workers (see
 * docs/contract.md). Their own module, so the relay's and the workers' bundles do not pull in the order request
 * schema of core/order.ts (and zod's English locale) for a few constants.
 */
export const PUBLISH_FAIL_ONCE = 'publish-fail-once';
/** The relay drops the event as if its retries were exhausted (what AWS does; MiniStack retries forever). */
export const RELAY_GIVES_UP = 'relay-gives-up';
/** The simulated payment provider records the charge, then throws (a worker that dies inside the call), once. */
export const CRASH_IN_PROVIDER = 'crash-in-provider';
export const FAULT_HOOKS = [PUBLISH_FAIL_ONCE, RELAY_GIVES_UP, CRASH_IN_PROVIDER] as const;
/** Per-service hooks, honoured by the worker runtime every service shares (lambdas/adapters/worker.ts). */
export const SERVICE_FAULTS = ['drop', 'crash-after-effect', 'fail'] as const;
export type ServiceFault = (typeof SERVICE_FAULTS)[number];
/**
 * `drop:<service>`: that service's worker acknowledges the order's OrderPlaced without acting (lost to a DLQ).
 * `crash-after-effect:<service>`: the worker throws after the handler committed its effect and before publishing
 * what it emits, once per event (a marker remembers it fired); the redelivery must re-emit the same event ids.
 * `fail:<service>`: the worker fails every receive of the order's messages while the hook is on (a cause an operator
 * can fix: removing the hook from the ORDER item), so they dead-letter and can be redriven.
 */
export const serviceFault = (kind: ServiceFault, service: string) => `${kind}:${service}`;
const SERVICE_FAULT = `(?:${SERVICE_FAULTS.join('|')}):[a-z]{1,32}`;
const SERVICE_FAULT_PATTERN = new RegExp(`^${SERVICE_FAULT}$`);

/** The fault hooks named in an `X-Fault-Inject` header (comma-separated); unknown names are ignored. */
export function parseFaults(header: string | undefined): string[] {
  if (!header) return [];
  const names = header.split(',').map((f) => f.trim().toLowerCase());
  return [...new Set(names.filter((f) => (FAULT_HOOKS as readonly string[]).includes(f) || SERVICE_FAULT_PATTERN.test(f)))];
}

const FAULT_NAME = `(?:${FAULT_HOOKS.join('|')}|${SERVICE_FAULT})`;
/**
 * What `X-Fault-Inject` must be where fault hooks are on: a comma-separated list of hook names (lower case). Anything
 * else is a 400 there, so a typo never silently tests the happy path. docs/openapi.local.json carries this pattern.
 */
export const FAULT_HEADER = new RegExp(`^ *${FAULT_NAME}(?: *, *${FAULT_NAME})* *$`);
