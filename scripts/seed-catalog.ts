/**
 * Seeds the demo catalog (SKU-1..SKU-9 priced and stocked, SKU-OOS with none) into a non-production stage.
 * Creates the items that are missing and leaves existing ones alone: resetting the stock of a SKU that live
 * reservations hold would break the books (`receivedStock` = stock + reserved, checked by `npm run reconcile`).
 * Used by `npm run local` and after `npm run deploy`.
 *   tsx scripts/seed-catalog.ts                (table from CloudFormation outputs file given by SEED_OUTPUTS_FILE,
 *                                               or CATALOG_TABLE)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEMO_CATALOG } from '../lambdas/core/catalog';
import { stageConfig } from '../lib/stages';

export async function seedCatalog(tableName: string, client: DynamoDBClient = new DynamoDBClient({})): Promise<number> {
  const ddb = DynamoDBDocumentClient.from(client);
  const created = await Promise.all(
    DEMO_CATALOG.map(async (item) => {
      try {
        await ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: item.sku, ...item, receivedStock: item.stock },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 1;
      } catch (err) {
        if ((err as Error).name === 'ConditionalCheckFailedException') return 0;
        throw err;
      }
    }),
  );
  return created.reduce<number>((a, b) => a + b, 0);
}

function tableFromEnv(stage: string): string {
  if (process.env.CATALOG_TABLE) return process.env.CATALOG_TABLE;
  const file = process.env.SEED_OUTPUTS_FILE ?? 'cdk-outputs.json';
  const outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const table = outputs[`OrderPipeline-${stage}`]?.CatalogTableName;
  if (!table) throw new Error(`no CatalogTableName for OrderPipeline-${stage} in ${file}`);
  return table;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // The stage's own switch (lib/stages.ts): prod's catalog is the business's, never demo data.
  const stage = stageConfig(process.env.STAGE);
  if (!stage.seedDemoCatalog) {
    console.log(`${stage.name}: the demo catalog is not seeded`);
    process.exit(0);
  }
  const table = tableFromEnv(stage.name);
  const n = await seedCatalog(table);
  console.log(`seeded ${n} missing catalog items into ${table}`);
}
