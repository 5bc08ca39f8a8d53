import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import { pascal } from '../names';
import type { StageConfig } from '../stages';
import { OUTBOX_PENDING, OUTBOX_PENDING_INDEX, TTL_ATTRIBUTE } from '../../lambdas/contract';

export interface PipelineDataProps {
  readonly stage: StageConfig;
}

/**
 * Every table of the pipeline: the orders table (its stream feeds the outbox relay), the catalog, and one table per
 * registry service (its inbox records and the records of its effects), so a worker's grants can name its table alone.
 */
export class PipelineData extends Construct {
  public readonly orders: Table;
  public readonly catalog: Table;
  public readonly serviceTables: ReadonlyMap<ServiceName, Table>;

  constructor(scope: Construct, id: string, props: PipelineDataProps) {
    super(scope, id);
    const { stage } = props;

    // On-demand (no capacity to tune for a spiky pipeline), encrypted, and protected where the data matters.
    const common: Omit<TableProps, 'partitionKey'> = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: stage.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      deletionProtection: !stage.destroyData,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: !stage.destroyData },
    };
    const pk = { name: 'pk', type: AttributeType.STRING };
    const sk = { name: 'sk', type: AttributeType.STRING };

    // Idempotency-Key records and published outbox items expire.
    this.orders = new Table(this, 'Orders', {
      ...common,
      partitionKey: pk,
      sortKey: sk,
      stream: StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: TTL_ATTRIBUTE,
    });
    // Sparse: only OUTBOX items not yet published carry these attributes, so the sweeper reads exactly those.
    this.orders.addGlobalSecondaryIndex({
      indexName: OUTBOX_PENDING_INDEX,
      partitionKey: { name: OUTBOX_PENDING.partition, type: AttributeType.STRING },
      sortKey: { name: OUTBOX_PENDING.since, type: AttributeType.NUMBER },
    });

    // Catalog items live until changed: no TTL.
    this.catalog = new Table(this, 'Catalog', { ...common, partitionKey: pk });

    // Inbox (idempotency) records expire once no copy of their message can still arrive.
    this.serviceTables = new Map(
      SERVICES.map((service) => [
        service.name,
        new Table(this, `${pascal(service.name)}Table`, { ...common, partitionKey: pk, sortKey: sk, timeToLiveAttribute: TTL_ATTRIBUTE }),
      ]),
    );
  }

  serviceTable(name: ServiceName): Table {
    const table = this.serviceTables.get(name);
    if (!table) throw new Error(`no table for service ${name}`);
    return table;
  }
}
