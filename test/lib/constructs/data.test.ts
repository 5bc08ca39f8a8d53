import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../../lambdas/services/registry';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import type { StageConfig } from '../../../lib/stages';
import { logicalId, STAGE_NAMES, synth } from '../synth';
import { OUTBOX_PENDING, OUTBOX_PENDING_INDEX, TTL_ATTRIBUTE } from '../../../lambdas/contract';

describe.each(STAGE_NAMES)('tables (%s)', (stageName) => {
  let stack: PipelineStack, stage: StageConfig, template: Template;
  beforeAll(() => ({ stack, stage, template } = synth(stageName)));

  const resourceOf = (table: Parameters<typeof logicalId>[0]) => template.toJSON().Resources[logicalId(table)];
  /** Tables whose items expire: the orders table (Idempotency-Key records) and every service table (inbox). */
  const expiring = () => [stack.data.orders, ...SERVICES.map((s) => stack.data.serviceTable(s.name))];

  it('one table per registry service, plus orders and catalog', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', SERVICES.length + 2);
  });

  it('every table is on-demand and encrypted', () => {
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    }
  });

  it('the orders table streams new images (the outbox relay reads them)', () => {
    const orders = resourceOf(stack.data.orders).Properties;
    expect(orders.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(orders.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('the orders table has the sparse outbox-pending index the sweeper queries (oldest first), and no other', () => {
    const orders = resourceOf(stack.data.orders).Properties;
    expect(orders.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: OUTBOX_PENDING_INDEX,
        KeySchema: [
          { AttributeName: OUTBOX_PENDING.partition, KeyType: 'HASH' },
          { AttributeName: OUTBOX_PENDING.since, KeyType: 'RANGE' },
        ],
        // The sweeper republishes the event from the index item itself.
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(orders.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: OUTBOX_PENDING.partition, AttributeType: 'S' },
        { AttributeName: OUTBOX_PENDING.since, AttributeType: 'N' },
      ]),
    );
    for (const s of SERVICES) expect(resourceOf(stack.data.serviceTable(s.name)).Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('the catalog is keyed by sku alone', () => {
    expect(resourceOf(stack.data.catalog).Properties.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
  });

  it(`TTL on ${TTL_ATTRIBUTE} wherever items expire`, () => {
    for (const table of expiring()) {
      expect(resourceOf(table).Properties.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    }
  });

  it(stageName === 'prod' ? 'data is retained, recoverable and protected' : 'data is destroyed with the stack', () => {
    for (const table of [stack.data.orders, stack.data.catalog, ...SERVICES.map((s) => stack.data.serviceTable(s.name))]) {
      const r = resourceOf(table);
      const keep = !stage.destroyData;
      expect(r.DeletionPolicy).toBe(keep ? 'Retain' : 'Delete');
      expect(r.UpdateReplacePolicy).toBe(keep ? 'Retain' : 'Delete');
      expect(r.Properties.DeletionProtectionEnabled).toBe(keep);
      expect(r.Properties.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled ?? false).toBe(keep);
    }
  });

  it('only prod keeps its data', () => {
    expect(stage.destroyData).toBe(stageName !== 'prod');
  });
});
