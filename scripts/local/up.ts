/**
 * `npm run local`: one command from a fresh clone (after `npm ci`). Starts (or reuses) the emulator, bootstraps,
 * deploys the real stack for the `local` stage, applies the emulator workarounds, seeds the demo catalog, then
 * sends one demo order through the pipeline and prints copy-paste curl commands.
 */
import { bringUp, DEMO_ORDER } from './up-steps';
import { step } from './progress';

type OrderView = { status?: string; services?: Record<string, { status: string }> };

const settled = (o: OrderView | undefined) =>
  !!o?.status && o.status !== 'ACCEPTED' && !!o.services && Object.values(o.services).every((s) => s.status !== 'PENDING');

/** POSTs the demo order and polls its Location (deadline, no fixed sleep) until decided; returns the GET URL. */
async function demoOrder(apiUrl: string, deadlineMs = 30_000): Promise<string> {
  const res = await fetch(`${apiUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO_ORDER) });
  const text = await res.text();
  const location = res.headers.get('location');
  console.log(`  POST /orders -> ${res.status} ${text}`);
  if (res.status !== 202 || !location) throw new Error(`the demo order was not accepted (HTTP ${res.status}); see .local/ministack.log`);
  const deadline = Date.now() + deadlineMs;
  let order: OrderView | undefined;
  let status = 0;
  while (!settled(order) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const got = await fetch(location);
    status = got.status;
    order = (await got.json().catch(() => undefined)) as OrderView | undefined;
  }
  const services = Object.entries(order?.services ?? {})
    .map(([k, v]) => `${k} ${v.status}`)
    .join(', ');
  if (!settled(order)) throw new Error(`the demo order did not settle within ${deadlineMs / 1000} s (last GET: HTTP ${status}, ${order?.status}; ${services})`);
  console.log(`  GET ${location} -> ${order!.status}; ${services}`);
  return location;
}

async function main() {
  const t0 = performance.now();
  const { emulator, apiUrl } = await bringUp();
  const demoUrl = await step('a demo order through the pipeline', () => demoOrder(apiUrl));
  const body = JSON.stringify({ ...DEMO_ORDER, customerId: 'you' });
  console.log(`
Ready in ${((performance.now() - t0) / 1000).toFixed(1)} s. Emulator: ${emulator.endpoint} (${emulator.started ? 'started' : 'reused'}; stop it with npm run local:stop)
API: ${apiUrl}

Place an order (202 and a Location header), then read it back by that Location:

  curl -si -X POST '${apiUrl}/orders' -H 'content-type: application/json' -d '${body}'

  LOC=$(curl -s -o /dev/null -D - -X POST '${apiUrl}/orders' -H 'content-type: application/json' -d '${body}' | tr -d '\\r' | awk 'tolower($1)=="location:" {print $2}')
  curl -s "$LOC"

The demo order above:

  curl -s '${demoUrl}'

Try a declined card ("paymentToken":"tok_declined") or a missing item ({"sku":"SKU-OOS","quantity":1}).

!! AUTH IS OFF in the local stage: anyone who can reach ${apiUrl} may place and read orders.
!! AWS stages require a JWT (see SECURITY.md). The emulator listens on 127.0.0.1 only.
`);
}

main().catch((err) => {
  console.error(`\n${(err as Error).message}`);
  process.exit(1);
});
