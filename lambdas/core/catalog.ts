/**
 * The demo catalog seeded into non-production stages, so examples and tests can rely on it.
 * Prices are in minor units and apply in the order's currency (the demo does no FX).
 */
export interface CatalogItem {
  readonly sku: string;
  readonly name: string;
  readonly unitPriceCents: number;
  readonly stock: number;
}

export const DEMO_CATALOG: readonly CatalogItem[] = [
  ...Array.from({ length: 9 }, (_, i) => ({
    sku: `SKU-${i + 1}`,
    name: `Demo item ${i + 1}`,
    unitPriceCents: (i + 1) * 250,
    stock: 1_000_000,
  })),
  { sku: 'SKU-OOS', name: 'Always out of stock', unitPriceCents: 999, stock: 0 },
];
