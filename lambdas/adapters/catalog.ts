/**
 * Reads of the catalog table (`pk` = sku). Payment prices orders from it; inventory decrements `stock` on it.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { CatalogItem } from '../core/catalog';
import { ddb } from './aws';
import { required } from './env';
import { ENV } from '../contract';

export const catalogKey = (sku: string) => ({ pk: sku });

/** BatchGetItem takes at most 100 keys; an order has at most 50 lines. */
const MAX_KEYS = 100;
/** Unprocessed keys come back under throttling; a few immediate retries, then fail the message (SQS retries it). */
const MAX_ROUNDS = 4;

/** The catalog items of the given skus; unknown skus are simply absent from the map. */
export async function getCatalogItems(skus: readonly string[], table = required(ENV.catalogTable)): Promise<Map<string, CatalogItem>> {
  const unique = [...new Set(skus)];
  if (unique.length > MAX_KEYS) throw new Error(`at most ${MAX_KEYS} skus per catalog read, got ${unique.length}`);
  const found = new Map<string, CatalogItem>();
  let keys: Record<string, unknown>[] = unique.map(catalogKey);
  for (let round = 0; keys.length > 0; round++) {
    if (round === MAX_ROUNDS) throw new Error(`catalog read left ${keys.length} keys unprocessed after ${MAX_ROUNDS} rounds`);
    const out = await ddb.send(
      new BatchGetCommand({
        RequestItems: { [table]: { Keys: keys, ProjectionExpression: 'pk, #n, unitPriceCents, stock', ExpressionAttributeNames: { '#n': 'name' } } },
      }),
    );
    for (const item of out.Responses?.[table] ?? []) {
      found.set(String(item.pk), {
        sku: String(item.pk),
        name: String(item.name ?? ''),
        unitPriceCents: Number(item.unitPriceCents),
        stock: Number(item.stock ?? 0),
      });
    }
    keys = (out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
  }
  return found;
}
