/**
 * Local stage fault hooks: carried on the order's OUTBOX item, honoured by the relay and the workers (see
 * docs/contract.md). Their own module, re-exported by core/order.ts, so the relay's and the workers' bundles do not
 * pull in the order request schema (and the full zod) for a few constants.
 */
export const PUBLISH_FAIL_ONCE = 'publish-fail-once';
/** The relay drops the event as if its retries were exhausted (what AWS does; MiniStack retries forever). */
export const RELAY_GIVES_UP = 'relay-gives-up';
export const FAULT_HOOKS = [PUBLISH_FAIL_ONCE, RELAY_GIVES_UP] as const;
/** `drop:<service>`: that service's worker acknowledges the order's OrderPlaced without acting (lost to a DLQ). */
export const dropFault = (service: string) => `drop:${service}`;

/** The fault hooks named in an `X-Fault-Inject` header (comma-separated); unknown names are ignored. */
export function parseFaults(header: string | undefined): string[] {
  if (!header) return [];
  const names = header.split(',').map((f) => f.trim().toLowerCase());
  return [...new Set(names.filter((f) => (FAULT_HOOKS as readonly string[]).includes(f) || /^drop:[a-z]{1,32}$/.test(f)))];
}

const FAULT_NAME = `(?:${FAULT_HOOKS.join('|')}|drop:[a-z]{1,32})`;
/**
 * What `X-Fault-Inject` must be where fault hooks are on: a comma-separated list of hook names (lower case). Anything
 * else is a 400 there, so a typo never silently tests the happy path. docs/openapi.local.json carries this pattern.
 */
export const FAULT_HEADER = new RegExp(`^ *${FAULT_NAME}(?: *, *${FAULT_NAME})* *$`);
