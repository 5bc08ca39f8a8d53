/**
 * Seeds the demo catalog (SKU-1..SKU-9 priced and stocked, SKU-OOS with none) into a non-production stage.
 * Plain puts: running it again restores stock. Used by `npm run local` and after `npm run deploy`.
 *   tsx scripts/seed-catalog.ts                (table from CloudFormation outputs file given by SEED_OUTPUTS_FILE,
 *                                               or CATALOG_TABLE)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEMO_CATALOG } from '../lambdas/core/catalog';

export async function seedCatalog(tableName: string, client: DynamoDBClient = new DynamoDBClient({})): Promise<number> {
  const ddb = DynamoDBDocumentClient.from(client);
  let requests = DEMO_CATALOG.map((item) => ({ PutRequest: { Item: { pk: item.sku, ...item } } }));
  for (let attempt = 0; requests.length && attempt < 5; attempt++) {
    const res = await ddb.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
    requests = (res.UnprocessedItems?.[tableName] as typeof requests | undefined) ?? [];
  }
  if (requests.length) throw new Error(`catalog seed left ${requests.length} items unprocessed`);
  return DEMO_CATALOG.length;
}

function tableFromEnv(): string {
  if (process.env.CATALOG_TABLE) return process.env.CATALOG_TABLE;
  const stage = process.env.STAGE ?? 'dev';
  const file = process.env.SEED_OUTPUTS_FILE ?? 'cdk-outputs.json';
  const outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const table = outputs[`OrderPipeline-${stage}`]?.CatalogTableName;
  if (!table) throw new Error(`no CatalogTableName for OrderPipeline-${stage} in ${file}`);
  return table;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if ((process.env.STAGE ?? 'dev') === 'prod') {
    console.log('prod: the demo catalog is not seeded');
    process.exit(0);
  }
  const table = tableFromEnv();
  seedCatalog(table).then((n) => console.log(`seeded ${n} catalog items into ${table}`));
}
