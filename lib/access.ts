/**
 * Least privilege on DynamoDB, from declarations: each function gets one statement per grant (lambdas/services/
 * registry.ts `ItemGrant`), naming the actions it uses on the one table, scoped to the partition-key prefixes of the
 * items it may touch (`dynamodb:LeadingKeys`) and, where given, to the attributes it may read or write
 * (`dynamodb:Attributes`). Never Scan, BatchWriteItem, DeleteTable or a wildcard action: a compromised function can
 * touch only its own items. The non-service functions (API, relay) declare theirs here; the services in the registry,
 * so a sixth service is still one registry entry.
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type ItemGrant, VISIBLE_SERVICES } from '../lambdas/services/registry';
import { KEY_PREFIX, OUTBOX_PENDING, OUTBOX_PENDING_INDEX, TTL_ATTRIBUTE } from '../lambdas/contract';

export interface GrantTables {
  readonly orders: ITable;
  readonly catalog?: ITable;
  /** The service's own table (workers only). */
  readonly own?: ITable;
}

/** The policy statement of one grant. */
export function itemStatement(grant: ItemGrant, tables: GrantTables): PolicyStatement {
  const table = tables[grant.table];
  if (!table) throw new Error(`grant on table "${grant.table}", which this function does not have`);
  if (grant.actions.length === 0) throw new Error('a grant needs at least one action');
  if (grant.table === 'orders' && !grant.keyPrefixes?.length) throw new Error('a grant on the orders table must name its key prefixes');
  if (grant.index && grant.actions.some((a) => a !== 'Query')) throw new Error('a grant on an index may only Query');
  const conditions: Record<string, Record<string, unknown>> = {};
  if (grant.keyPrefixes?.length) conditions['ForAllValues:StringLike'] = { 'dynamodb:LeadingKeys': grant.keyPrefixes.map((p) => `${p}*`) };
  if (grant.attributes?.length) {
    conditions['ForAllValues:StringEquals'] = { 'dynamodb:Attributes': [...grant.attributes] };
    // AWS's documented pair: without them a read could ask for ALL_ATTRIBUTES, a write return ALL_OLD / ALL_NEW.
    conditions.StringEqualsIfExists = { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES', 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] };
  }
  return new PolicyStatement({
    actions: grant.actions.map((a) => `dynamodb:${a}`),
    resources: [grant.index ? `${table.tableArn}/index/${grant.index}` : table.tableArn],
    ...(Object.keys(conditions).length ? { conditions } : {}),
  });
}

export function grantItems(fn: IGrantable, grants: readonly ItemGrant[], tables: GrantTables): void {
  for (const grant of grants) fn.grantPrincipal.addToPrincipalPolicy(itemStatement(grant, tables));
}

const statusPrefixes = VISIBLE_SERVICES.map((name) => KEY_PREFIX.status(name));

/** What the relay and the sweeper may change of an OUTBOX item: take it out of the pending index, give it a TTL. */
const MARK_PUBLISHED: ItemGrant = {
  table: 'orders',
  keyPrefixes: [KEY_PREFIX.outbox],
  actions: ['UpdateItem'],
  attributes: ['pk', 'sk', OUTBOX_PENDING.partition, OUTBOX_PENDING.since, TTL_ATTRIBUTE],
};

/** An erasure tombstone: these attributes and no others, so the erasure can never write an e-mail or a token. */
const TOMBSTONE = ['pk', 'sk', 'orderId', 'erasedAt', TTL_ATTRIBUTE];

/** The functions that are not registry services (API, relay, sweeper): what each may do on the orders table. */
export const FUNCTION_GRANTS = {
  /** The order, its outbox event, personal data and payment token in one transaction, plus the Idempotency-Key record. */
  postOrder: [
    { table: 'orders', keyPrefixes: [KEY_PREFIX.order, KEY_PREFIX.outbox, KEY_PREFIX.personalData, KEY_PREFIX.paymentToken], actions: ['PutItem'] },
    { table: 'orders', keyPrefixes: [KEY_PREFIX.idempotency], actions: ['GetItem', 'PutItem'] },
  ],
  /** One BatchGetItem of the order, its personal data, its lifecycle and every visible status (never outbox or token). */
  getOrder: [{ table: 'orders', keyPrefixes: [KEY_PREFIX.order, KEY_PREFIX.personalData, KEY_PREFIX.lifecycle, ...statusPrefixes], actions: ['BatchGetItem'] }],
  /** Reads the order's owner; replaces the personal data and a waiting payment token with tombstones. */
  erasePersonalData: [
    { table: 'orders', keyPrefixes: [KEY_PREFIX.order], actions: ['GetItem'], attributes: ['pk', 'sk', 'customerId'] },
    { table: 'orders', keyPrefixes: [KEY_PREFIX.personalData, KEY_PREFIX.paymentToken], actions: ['PutItem'], attributes: TOMBSTONE },
  ],
  /** The relay reads the stream (its event source's grant) and marks OUTBOX items published. */
  relay: [MARK_PUBLISHED],
  /** Local stage only: the FAULT#<eventId> marker of the publish-fail-once hook. */
  relayFaults: [{ table: 'orders', keyPrefixes: [KEY_PREFIX.fault], actions: ['PutItem'] }],
  /** Pending OUTBOX items from the sparse index (its partition key is the constant PENDING), then marks them. */
  sweeper: [{ table: 'orders', index: OUTBOX_PENDING_INDEX, keyPrefixes: [OUTBOX_PENDING.value], actions: ['Query'] }, MARK_PUBLISHED],
} as const satisfies Record<string, readonly ItemGrant[]>;
