/** The demo catalog, as README promises it: SKU-1..SKU-9 priced with ample stock, and SKU-OOS never in stock. */
import { describe, expect, it } from 'vitest';
import { DEMO_CATALOG } from '../../../lambdas/core/catalog';

describe('DEMO_CATALOG', () => {
  it('holds SKU-1..SKU-9 and SKU-OOS, nothing else', () => {
    expect(DEMO_CATALOG.map((i) => i.sku)).toEqual(['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4', 'SKU-5', 'SKU-6', 'SKU-7', 'SKU-8', 'SKU-9', 'SKU-OOS']);
  });

  it('prices SKU-n at n x 2.50 in minor units, names each, and stocks a million of each', () => {
    expect(DEMO_CATALOG[0]).toEqual({ sku: 'SKU-1', name: 'Demo item 1', unitPriceCents: 250, stock: 1_000_000 });
    expect(DEMO_CATALOG[8]).toEqual({ sku: 'SKU-9', name: 'Demo item 9', unitPriceCents: 2250, stock: 1_000_000 });
    expect(DEMO_CATALOG.slice(0, 9).map((i) => i.unitPriceCents)).toEqual([250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2250]);
  });

  it('SKU-OOS is priced but never in stock (the out-of-stock path of the demo and the tests)', () => {
    expect(DEMO_CATALOG.at(-1)).toEqual({ sku: 'SKU-OOS', name: 'Always out of stock', unitPriceCents: 999, stock: 0 });
  });
});
