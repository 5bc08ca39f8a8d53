/**
 * Reads of the catalog table (`pk` = sku). Payment prices orders from it; inventory decrements `stock` on it.
 */
import type { CatalogItem } from '../core/catalog';
import { ddb } from './aws';
import { BATCH_GET_MAX_KEYS, batchGetAll, type TableRead } from './batch-get';

export const catalogKey = (sku: string) => ({ pk: sku });

/**
 * The catalog's part of a BatchGetItem for these skus (each distinct sku once, the fields `catalogItems` maps); at
 * most 100 skus (an order has at most 50 lines). For a caller that joins it with reads of other tables.
 */
export function catalogRead(skus: readonly string[]): TableRead {
  const unique = [...new Set(skus)];
  if (unique.length > BATCH_GET_MAX_KEYS) throw new Error(`at most ${BATCH_GET_MAX_KEYS} skus per catalog read, got ${unique.length}`);
  return { keys: unique.map(catalogKey), projection: 'pk, #n, unitPriceCents, stock', names: { '#n': 'name' } };
}

/** The catalog items read, by sku; unknown skus are simply absent. */
export function catalogItems(items: readonly Record<string, unknown>[]): Map<string, CatalogItem> {
  const found = new Map<string, CatalogItem>();
  for (const item of items) {
    found.set(String(item.pk), {
      sku: String(item.pk),
      name: String(item.name ?? ''),
      unitPriceCents: Number(item.unitPriceCents),
      stock: Number(item.stock ?? 0),
    });
  }
  return found;
}

/**
 * The catalog items of the given skus (one BatchGetItem); unknown skus are simply absent from the map. Keys left
 * unprocessed after a few rounds fail the message (SQS retries it).
 */
export async function getCatalogItems(skus: readonly string[], table: string): Promise<Map<string, CatalogItem>> {
  const { keys, ...options } = catalogRead(skus);
  return catalogItems(await batchGetAll(ddb, table, keys, options));
}
