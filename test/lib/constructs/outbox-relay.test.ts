import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { outboxKey } from '../../../lambdas/adapters/keys';
import { OUTBOX_TTL_SECONDS } from '../../../lambdas/adapters/outbox';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import type { StageConfig } from '../../../lib/stages';
import { actionsOf, logicalId, propsOf, referencedIds, roleStatements, STAGE_NAMES, synth } from '../synth';
import { ENV, KEY_PREFIX, OUTBOX_PENDING_INDEX } from '../../../lambdas/contract';

describe.each(STAGE_NAMES)('outbox relay (%s)', (stageName) => {
  let stack: PipelineStack, stage: StageConfig, template: Template;
  beforeAll(() => ({ stack, stage, template } = synth(stageName)));

  const streamMapping = () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((m) =>
      referencedIds(m.Properties.FunctionName).has(logicalId(stack.relay.fn)),
    );
    expect(mappings).toHaveLength(1);
    return mappings[0].Properties;
  };

  it('reads the orders table stream from the oldest record, retrying by the stage config', () => {
    const m = streamMapping();
    expect(m.EventSourceArn).toEqual({ 'Fn::GetAtt': [logicalId(stack.data.orders), 'StreamArn'] });
    expect(m.StartingPosition).toBe('TRIM_HORIZON');
    expect(m.BatchSize).toBe(stage.outbox.batchSize);
    expect(m.MaximumRetryAttempts).toBe(stage.outbox.retryAttempts);
    expect(m.MaximumRecordAgeInSeconds).toBe(stage.outbox.maxRecordAgeSeconds);
  });

  it('isolates a failing record (bisect, partial batch responses) and keeps what it gave up on', () => {
    const m = streamMapping();
    expect(m.BisectBatchOnFunctionError).toBe(true);
    expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(referencedIds(m.DestinationConfig.OnFailure.Destination)).toEqual(new Set([logicalId(stack.relay.dlq)]));
    const dlq = propsOf(template, logicalId(stack.relay.dlq));
    // SSE-SQS, or the stage's customer-managed key (prod).
    if (stack.messagingKey) expect(referencedIds(dlq.KmsMasterKeyId)).toEqual(new Set([logicalId(stack.messagingKey)]));
    else expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(dlq.MessageRetentionPeriod).toBe(14 * 86_400);
    // Unprocessed work survives the stack where data is kept.
    expect(template.toJSON().Resources[logicalId(stack.relay.dlq)].DeletionPolicy).toBe(stack.config.destroyData ? 'Delete' : 'Retain');
  });

  it('is invoked only for new outbox items', () => {
    const filters = streamMapping().FilterCriteria.Filters as { Pattern: string }[];
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([{ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: KEY_PREFIX.outbox }] } } } }]);
    // The prefix is the one the API writes.
    expect(outboxKey('o-1', 'e-1').sk.startsWith(KEY_PREFIX.outbox)).toBe(true);
  });

  it('environment: the orders table and the topic', () => {
    const env = propsOf(template, logicalId(stack.relay.fn)).Environment.Variables;
    expect(referencedIds(env[ENV.ordersTable])).toEqual(new Set([logicalId(stack.data.orders)]));
    expect(referencedIds(env[ENV.topicArn])).toEqual(new Set([logicalId(stack.topic)]));
  });

  it('may publish to the topic, update (mark published) and put (FAULT# marker, local stage only) on the orders table, read its stream, send to its DLQ', () => {
    const statements = roleStatements(template, stack.relay.fn);
    const publish = statements.filter((s) => actionsOf(s).includes('sns:Publish'));
    expect(publish).toHaveLength(1);
    expect(referencedIds(publish[0].Resource)).toEqual(new Set([logicalId(stack.topic)]));
    const onTable = statements.filter((s) => referencedIds(s.Resource).has(logicalId(stack.data.orders)));
    expect(onTable.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']));
    expect(onTable.flatMap(actionsOf).includes('dynamodb:PutItem')).toBe(stack.config.faultsEnabled);
    expect(onTable.flatMap(actionsOf)).not.toContain('dynamodb:DeleteItem');
    const toDlq = statements.filter((s) => referencedIds(s.Resource).has(logicalId(stack.relay.dlq)));
    expect(toDlq.flatMap(actionsOf)).toContain('sqs:SendMessage');
  });

  describe('the outbox sweeper', () => {
    const sweeperId = () => logicalId(stack.relay.sweeper);

    it('runs on a schedule from the stage, invoking the sweeper once per tick (no event retries)', () => {
      const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) =>
        (r.Properties.Targets ?? []).some((t: { Arn: unknown }) => referencedIds(t.Arn).has(sweeperId())),
      );
      expect(rules).toHaveLength(1);
      const rule = rules[0]!.Properties;
      const minutes = stage.outbox.sweepEveryMinutes;
      expect(rule.ScheduleExpression).toBe(`rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`);
      expect(rule.State ?? 'ENABLED').toBe('ENABLED');
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
      // EventBridge may invoke it, from this rule only.
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) =>
        referencedIds(p.Properties.FunctionName).has(sweeperId()),
      );
      expect(permissions).toHaveLength(1);
      expect(permissions[0]!.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
      expect(referencedIds(permissions[0]!.Properties.SourceArn)).toEqual(new Set([logicalId(stack.relay.sweepSchedule)]));
    });

    it('environment: the orders table, the topic and the sweep window; the window is inside the published TTL', () => {
      const fn = propsOf(template, sweeperId());
      const env = fn.Environment.Variables;
      expect(referencedIds(env[ENV.ordersTable])).toEqual(new Set([logicalId(stack.data.orders)]));
      expect(referencedIds(env[ENV.topicArn])).toEqual(new Set([logicalId(stack.topic)]));
      expect(Number(env[ENV.outboxSweepAfterSeconds])).toBe(stage.outbox.sweepAfterSeconds);
      expect(stage.outbox.sweepAfterSeconds).toBeGreaterThan(0);
      expect(stage.outbox.sweepAfterSeconds).toBeLessThan(OUTBOX_TTL_SECONDS);
      expect(fn.Timeout).toBeGreaterThan(2);
    });

    it('grants: publish to the topic, query the pending index only, update (mark) OUTBOX items; nothing else', () => {
      const statements = roleStatements(template, stack.relay.sweeper).filter((s) => s.Effect === 'Allow');
      const publish = statements.filter((s) => actionsOf(s).includes('sns:Publish'));
      expect(publish).toHaveLength(1);
      expect(referencedIds(publish[0]!.Resource)).toEqual(new Set([logicalId(stack.topic)]));

      const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo.flatMap(actionsOf).sort()).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
      const query = dynamo.find((s) => actionsOf(s).includes('dynamodb:Query'))!;
      expect(query.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.data.orders), 'Arn'] }, `/index/${OUTBOX_PENDING_INDEX}`]] });
      const update = dynamo.find((s) => actionsOf(s).includes('dynamodb:UpdateItem'))!;
      expect(update.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.data.orders), 'Arn'] });
      // Only OUTBOX items, and only their pending marks and TTL (lib/access.ts).
      expect(JSON.stringify(update.Condition)).toContain('OUTBOX#*');
      expect(JSON.stringify(query.Condition)).toContain('PENDING*');
      // No other table, no queue.
      const reached = referencedIds(statements.map((s) => s.Resource));
      reached.delete(logicalId(stack.data.orders));
      reached.delete(logicalId(stack.topic));
      // Its own log group (logs) and, where there is one, the messaging key (publishing to the encrypted topic).
      reached.delete(logicalId(stack.relay.sweeper.logGroup));
      if (stack.messagingKey) reached.delete(logicalId(stack.messagingKey));
      expect([...reached].filter((id) => !id.startsWith('AWS::'))).toEqual([]);
    });
  });
});
