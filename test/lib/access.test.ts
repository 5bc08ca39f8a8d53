/**
 * Every function's DynamoDB permissions in the synthesized template, listed by hand: which actions, on which table,
 * for which partition-key prefixes (dynamodb:LeadingKeys) and attributes. A grant that widens (Scan, BatchWriteItem,
 * DeleteItem, a whole table, another service's items) changes this list and fails here. Also: every function writes
 * only its own log group; the relay and the sweeper may only mark OUTBOX items published (and the relay write the
 * local stage's fault marker).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../lambdas/services/registry';
import type { PipelineStack } from '../../lib/pipeline-stack';
import { actionsOf, logicalId, referencedIds, roleStatements, STAGE_NAMES, synth, type Statement } from './synth';

type Row = string;

/** `table: actions [prefixes] {attributes}` for each DynamoDB statement of a function's role. */
function dynamoRows(stack: PipelineStack, template: Template, fn: { role?: IConstruct }): Row[] {
  const names = new Map<string, string>([
    [logicalId(stack.data.orders), 'orders'],
    [logicalId(stack.data.catalog), 'catalog'],
  ]);
  for (const s of SERVICES) names.set(logicalId(stack.data.serviceTable(s.name)), `${s.name}-table`);
  return roleStatements(template, fn)
    .filter((s: Statement) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
    .map((s) => {
      const tables = [...referencedIds(s.Resource)].map((id) => names.get(id) ?? id).sort();
      const c = (s.Condition ?? {}) as Record<string, Record<string, string[]>>;
      const keys = c['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      const attributes = c['ForAllValues:StringEquals']?.['dynamodb:Attributes'];
      return `${tables.join('+') || '*'}: ${actionsOf(s)
        .map((a) => a.replace('dynamodb:', ''))
        .join(',')}${keys ? ` [${keys.join(' ')}]` : ''}${attributes ? ` {${attributes.join(',')}}` : ''}`;
    })
    .sort();
}

const STATUS_READS = '[ORDER#* PII#* LIFECYCLE#* STATUS#payment#* STATUS#inventory#* STATUS#shipping#* STATUS#notification#* STATUS#analytics#*]';

const MARK_PUBLISHED = 'orders: UpdateItem [OUTBOX#*] {pk,sk,pendingShard,pendingSince,expiresAt}';
const ORDER_FAULTS = 'orders: GetItem,BatchGetItem [ORDER#*] {pk,sk,faults}';

/** The whole expected list (every stage alike, except what the local stage's fault hooks add: LOCAL_ONLY). */
const EXPECTED: Record<string, Row[]> = {
  postOrder: ['orders: GetItem,PutItem [IDEMPOTENCY#*]', 'orders: PutItem [ORDER#* OUTBOX#* PII#* PAYTOKEN#*]'],
  getOrder: [`orders: BatchGetItem ${STATUS_READS}`],
  erasePersonalData: ['orders: GetItem [ORDER#*] {pk,sk,customerId}', 'orders: PutItem [PII#* PAYTOKEN#*] {pk,sk,orderId,erasedAt,expiresAt}'],
  /** The stream (ListStreams has no resource-level permission) and marking its OUTBOX items published. */
  relay: ['*: ListStreams', 'orders: DescribeStream,GetRecords,GetShardIterator', MARK_PUBLISHED],
  sweeper: ['orders: Query [PENDING*]', MARK_PUBLISHED],
  orders: ['orders: GetItem [ORDER#*] {pk,sk,currency}', 'orders: GetItem,UpdateItem [LIFECYCLE#*]'],
  payment: [
    'catalog: BatchGetItem',
    'orders: BatchGetItem,DeleteItem [PAYTOKEN#*]',
    'orders: PutItem [STATUS#payment#*]',
    'payment-table: GetItem,PutItem,UpdateItem',
  ],
  inventory: ['catalog: BatchGetItem,UpdateItem', 'inventory-table: GetItem,PutItem,UpdateItem', 'orders: PutItem [STATUS#inventory#*]'],
  shipping: ['orders: PutItem [STATUS#shipping#*]', 'shipping-table: PutItem'],
  notification: [
    'notification-table: GetItem,BatchGetItem,PutItem,UpdateItem',
    'orders: BatchGetItem [PII#*] {pk,sk,email,expiresAt}',
    'orders: PutItem [STATUS#notification#*]',
  ],
  analytics: ['analytics-table: GetItem,BatchGetItem,PutItem,UpdateItem', 'orders: PutItem [STATUS#analytics#*]'],
};

/** The local stage only: the relay's FAULT# marker; every worker reads an order's `faults` and writes markers in its own table. */
const LOCAL_ONLY: Record<string, Row[]> = {
  relay: ['orders: PutItem [FAULT#*]'],
  ...Object.fromEntries(SERVICES.map((s) => [s.name, [ORDER_FAULTS, ...(s.name === 'orders' ? ['orders-table: PutItem'] : [])]])),
};

/** DeleteItem only where a function deletes: payment, its order's token once the charge is decided. */
const DELETES: Record<string, string> = { payment: 'PAYTOKEN#*' };

const functionsOf = (stack: PipelineStack): Record<string, { role?: IConstruct }> => ({
  postOrder: stack.api.postOrder,
  getOrder: stack.api.getOrder,
  erasePersonalData: stack.api.erasePersonalData,
  relay: stack.relay.fn,
  sweeper: stack.relay.sweeper,
  ...Object.fromEntries(SERVICES.map((s) => [s.name, stack.workers.get(s.name)!.fn])),
});

describe.each(STAGE_NAMES)('DynamoDB permissions of every function (%s)', (stageName) => {
  let stack: PipelineStack, template: Template;
  beforeAll(() => ({ stack, template } = synth(stageName)));

  it('are exactly the listed actions, tables, key prefixes and attributes', () => {
    const actual = Object.fromEntries(Object.entries(functionsOf(stack)).map(([name, fn]) => [name, dynamoRows(stack, template, fn)]));
    const expected = Object.fromEntries(Object.entries(EXPECTED).map(([k, v]) => [k, [...v, ...(stageName === 'local' ? (LOCAL_ONLY[k] ?? []) : [])]]));
    expect(actual).toEqual(Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, [...v].sort()])));
  });

  it('no function may Scan or BatchWriteItem or use a wildcard DynamoDB action; DeleteItem only payment, on payment tokens', () => {
    for (const [name, fn] of Object.entries(functionsOf(stack))) {
      const statements = roleStatements(template, fn);
      const actions = statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
      for (const forbidden of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:*']) expect(actions, `${name} has ${forbidden}`).not.toContain(forbidden);
      const deletes = statements.filter((s) => actionsOf(s).includes('dynamodb:DeleteItem'));
      expect(
        deletes.map((s) => JSON.stringify(s.Condition)),
        name,
      ).toEqual(DELETES[name] ? [expect.stringContaining(DELETES[name]!)] : []);
    }
  });

  it('every service with INBOX# records may UpdateItem its own table: the worker notes a dropped duplicate on the record (Inbox.countDuplicate)', () => {
    // The aggregate keeps no inbox (its LIFECYCLE counts receipts); shipping's marker is its shipment (putOnce: a
    // duplicate writes nothing). Every other service's duplicates are counted with an UpdateItem of its inbox record.
    const withInbox = SERVICES.map((s) => s.name).filter((n) => n !== 'orders' && n !== 'shipping');
    expect(withInbox).toEqual(['payment', 'inventory', 'notification', 'analytics']);
    for (const name of withInbox) {
      const own = dynamoRows(stack, template, stack.workers.get(name)!.fn).find((r) => r.startsWith(`${name}-table:`));
      expect(own, name).toMatch(/\bUpdateItem\b/);
    }
  });

  it('every statement on the orders table names its key prefixes', () => {
    const orders = logicalId(stack.data.orders);
    for (const fn of Object.values(functionsOf(stack))) {
      for (const s of roleStatements(template, fn)) {
        const itemAction = actionsOf(s).some((a) =>
          /^dynamodb:(GetItem|BatchGetItem|PutItem|UpdateItem|DeleteItem|Query|ConditionCheckItem|Scan|BatchWriteItem)$/.test(a),
        );
        if (itemAction && referencedIds(s.Resource).has(orders)) expect(JSON.stringify(s.Condition ?? {})).toContain('dynamodb:LeadingKeys');
      }
    }
  });

  it('every function writes its own log group only, and has no managed policy', () => {
    const roles = template.findResources('AWS::IAM::Role');
    for (const [name, fn] of Object.entries(functionsOf(stack))) {
      const logs = roleStatements(template, fn).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs.flatMap(actionsOf).sort(), name).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const logGroup = (fn as unknown as { logGroup: IConstruct }).logGroup;
      expect(referencedIds(logs.map((s) => s.Resource)), name).toEqual(new Set([logicalId(logGroup)]));
      expect(roles[logicalId(fn.role!)]!.Properties.ManagedPolicyArns, name).toBeUndefined();
    }
  });
});
