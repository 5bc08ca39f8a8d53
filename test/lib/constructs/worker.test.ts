import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { grantsOf, SERVICES, type ServiceDefinition } from '../../../lambdas/services/registry';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import { idempotencyTtlSeconds, type StageConfig } from '../../../lib/stages';
import { actionsOf, logicalId, propsOf, referencedIds, roleStatements, STAGE_NAMES, synth, type Statement } from '../synth';
import { ENV } from '../../../lambdas/contract';

/** Actions a role's statements allow on one resource (by logical id). */
const actionsOn = (statements: Statement[], id: string): string[] =>
  statements.filter((s) => s.Effect === 'Allow' && referencedIds(s.Resource).has(id)).flatMap(actionsOf);

describe.each(STAGE_NAMES)('service workers (%s)', (stageName) => {
  let stack: PipelineStack, stage: StageConfig, template: Template;
  beforeAll(() => ({ stack, stage, template } = synth(stageName)));

  const fnOf = (s: ServiceDefinition) => propsOf(template, logicalId(stack.workers.get(s.name)!.fn));
  /** The worker's SQS mappings: its own queue, plus its deadline queue for a service with `afterDeadline`. */
  const mappingsOf = (s: ServiceDefinition) => {
    const fnId = logicalId(stack.workers.get(s.name)!.fn);
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((m) => referencedIds(m.Properties.FunctionName).has(fnId));
    expect(mappings).toHaveLength(s.afterDeadline?.length ? 2 : 1);
    return mappings.map((m) => m.Properties);
  };
  const mappingOf = (s: ServiceDefinition) => {
    const own = logicalId(stack.serviceQueues.get(s.name)!.queue);
    const found = mappingsOf(s).filter((m) => referencedIds(m.EventSourceArn).has(own));
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it.each(SERVICES)('$name: consumes its own queue in batches with partial batch responses and bounded concurrency', (service) => {
    const mapping = mappingOf(service);
    expect(referencedIds(mapping.EventSourceArn)).toEqual(new Set([logicalId(stack.serviceQueues.get(service.name)!.queue)]));
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.BatchSize).toBe(service.limits?.batchSize ?? stage.worker.batchSize);
    expect(mapping.MaximumBatchingWindowInSeconds).toBe(stage.worker.maxBatchingWindowSeconds);
    expect(mapping.ScalingConfig.MaximumConcurrency).toBe(service.limits?.maxConcurrency ?? stage.worker.maxConcurrency);
  });

  it('every SQS event source mapping reports batch item failures and caps its concurrency', () => {
    const sqsMappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((m) => m.Properties.StartingPosition === undefined);
    // One per service, plus one per deadline queue (the orders aggregator's).
    expect(sqsMappings).toHaveLength(SERVICES.length + SERVICES.filter((s) => s.afterDeadline?.length).length);
    for (const m of sqsMappings) {
      expect(m.Properties.FunctionResponseTypes).toContain('ReportBatchItemFailures');
      expect(m.Properties.ScalingConfig?.MaximumConcurrency).toBeGreaterThanOrEqual(2);
    }
  });

  it.each(SERVICES)('$name: environment names its own table and only what it may use', (service) => {
    const env = fnOf(service).Environment.Variables;
    expect(env[ENV.service]).toBe(service.name);
    expect(referencedIds(env[ENV.serviceTable])).toEqual(new Set([logicalId(stack.data.serviceTable(service.name))]));
    expect(referencedIds(env[ENV.ordersTable])).toEqual(new Set([logicalId(stack.data.orders)]));
    expect(env[ENV.catalogTable] !== undefined).toBe(service.access.some((g) => g.table === 'catalog'));
    expect(env[ENV.topicArn] !== undefined).toBe(service.emits.length > 0);
    expect(Number(env[ENV.idempotencyTtlSeconds])).toBe(idempotencyTtlSeconds(stage));
  });

  it.each(SERVICES)('$name: idempotency records outlive every copy of a message (queue + DLQ retention)', (service) => {
    const parts = stack.serviceQueues.get(service.name)!;
    const retention = (q: typeof parts.queue) => propsOf(template, logicalId(q)).MessageRetentionPeriod as number;
    const ttl = Number(fnOf(service).Environment.Variables[ENV.idempotencyTtlSeconds]);
    expect(ttl).toBeGreaterThanOrEqual(retention(parts.queue) + retention(parts.dlq));
  });

  it.each(SERVICES)('$name: timeout from the stage; the queue visibility is at least 6x it', (service) => {
    const timeout = fnOf(service).Timeout;
    expect(timeout).toBe(stage.worker.timeoutSeconds);
    const visibility = propsOf(template, logicalId(stack.serviceQueues.get(service.name)!.queue)).VisibilityTimeout;
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });

  it.each(SERVICES)('$name: least privilege on queues and tables', (service) => {
    const statements = roleStatements(template, stack.workers.get(service.name)!.fn);
    const referenced = referencedIds(statements.map((s) => s.Resource));
    const own = stack.serviceQueues.get(service.name)!;

    // Its own queue and table; no other service's queue, DLQ or table.
    expect(referenced.has(logicalId(own.queue))).toBe(true);
    const ownActions = grantsOf(service, { faultsEnabled: stage.faultsEnabled })
      .filter((g) => g.table === 'own')
      .flatMap((g) => g.actions.map((a) => `dynamodb:${a}`));
    expect(actionsOn(statements, logicalId(stack.data.serviceTable(service.name)))).toEqual(ownActions);
    for (const other of SERVICES.filter((o) => o.name !== service.name)) {
      const theirs = stack.serviceQueues.get(other.name)!;
      for (const part of [theirs.queue, theirs.dlq, theirs.subscriptionDlq, stack.data.serviceTable(other.name)]) {
        expect(referenced.has(logicalId(part)), `${service.name} must not reach ${other.name}'s ${part.node.id}`).toBe(false);
      }
    }
    // It never touches a DLQ: dead-lettering is the queue's redrive policy, not the worker.
    expect(referenced.has(logicalId(own.dlq))).toBe(false);

    // The catalog as the registry's access says (the orders table: test/lib/access.test.ts, item by item).
    const onCatalog = actionsOn(statements, logicalId(stack.data.catalog));
    expect(onCatalog).toEqual(service.access.filter((g) => g.table === 'catalog').flatMap((g) => g.actions.map((a) => `dynamodb:${a}`)));
  });

  it.each(SERVICES)('$name: publishes to the topic only if it emits', (service) => {
    const statements = roleStatements(template, stack.workers.get(service.name)!.fn);
    const publishes = statements.filter((s) => actionsOf(s).includes('sns:Publish'));
    if (service.emits.length === 0) expect(publishes).toHaveLength(0);
    else {
      expect(publishes).toHaveLength(1);
      expect(referencedIds(publishes[0].Resource)).toEqual(new Set([logicalId(stack.topic)]));
    }
  });
});
