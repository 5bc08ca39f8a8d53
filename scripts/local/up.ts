/**
 * `npm run local`: one command from a fresh clone (after `npm ci`). Starts (or reuses) the emulator, bootstraps,
 * deploys the real stack for the `local` stage, applies the emulator workarounds, seeds the demo catalog, then
 * sends one demo order through the pipeline and prints copy-paste curl commands.
 */
import { bringUp, DEMO_ORDER } from './up-steps';
import { step } from './progress';

async function demoOrder(apiUrl: string): Promise<void> {
  const res = await fetch(`${apiUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO_ORDER) });
  const accepted = (await res.json()) as { orderId: string };
  const location = res.headers.get('location')!;
  console.log(`  POST /orders -> ${res.status} ${JSON.stringify(accepted)}`);
  const deadline = Date.now() + 30_000;
  let order: { status: string; services: Record<string, { status: string }> } | undefined;
  while (Date.now() < deadline) {
    order = (await (await fetch(location)).json()) as typeof order;
    if (order && order.status !== 'ACCEPTED' && Object.values(order.services).every((s) => s.status !== 'PENDING')) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`  GET ${location} -> ${order?.status}; ${Object.entries(order?.services ?? {}).map(([k, v]) => `${k} ${v.status}`).join(', ')}`);
}

async function main() {
  const t0 = performance.now();
  const { emulator, apiUrl } = await bringUp();
  await step('a demo order through the pipeline', () => demoOrder(apiUrl));
  const body = JSON.stringify({ ...DEMO_ORDER, customerId: 'you' });
  console.log(`
Ready in ${((performance.now() - t0) / 1000).toFixed(1)} s. Emulator: ${emulator.endpoint} (${emulator.started ? 'started' : 'reused'}; stop it with npm run local:stop)
API: ${apiUrl}

  curl -si -X POST '${apiUrl}/orders' -H 'content-type: application/json' -H 'Idempotency-Key: try-1' \\
    -d '${body}'
  curl -s '${apiUrl}/orders/<orderId from the POST>'      # or the Location header as is

Try a declined card ("paymentToken":"tok_declined") or a missing item ({"sku":"SKU-OOS","quantity":1}).
`);
}

main().catch((err) => {
  console.error(`\n${(err as Error).message}`);
  process.exit(1);
});
