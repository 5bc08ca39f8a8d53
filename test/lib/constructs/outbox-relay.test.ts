import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/adapters/env';
import { outboxKey } from '../../../lambdas/adapters/keys';
import { OUTBOX_SK_PREFIX } from '../../../lib/constructs/outbox-relay';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import type { StageConfig } from '../../../lib/stages';
import { actionsOf, logicalId, propsOf, referencedIds, roleStatements, STAGE_NAMES, synth } from '../synth';

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
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(dlq.MessageRetentionPeriod).toBe(14 * 86_400);
  });

  it('is invoked only for new outbox items', () => {
    const filters = streamMapping().FilterCriteria.Filters as { Pattern: string }[];
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: OUTBOX_SK_PREFIX }] } } } },
    ]);
    // The prefix is the one the API writes.
    expect(outboxKey('o-1', 'e-1').sk.startsWith(OUTBOX_SK_PREFIX)).toBe(true);
  });

  it('environment: the orders table and the topic', () => {
    const env = propsOf(template, logicalId(stack.relay.fn)).Environment.Variables;
    expect(referencedIds(env[ENV.ordersTable])).toEqual(new Set([logicalId(stack.data.orders)]));
    expect(referencedIds(env[ENV.topicArn])).toEqual(new Set([logicalId(stack.topic)]));
  });

  it('may publish to the topic, put (FAULT# marker) on the orders table, read its stream, send to its DLQ', () => {
    const statements = roleStatements(template, stack.relay.fn);
    const publish = statements.filter((s) => actionsOf(s).includes('sns:Publish'));
    expect(publish).toHaveLength(1);
    expect(referencedIds(publish[0].Resource)).toEqual(new Set([logicalId(stack.topic)]));
    const onTable = statements.filter((s) => referencedIds(s.Resource).has(logicalId(stack.data.orders)));
    expect(onTable.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']));
    expect(onTable.flatMap(actionsOf)).not.toContain('dynamodb:DeleteItem');
    const toDlq = statements.filter((s) => referencedIds(s.Resource).has(logicalId(stack.relay.dlq)));
    expect(toDlq.flatMap(actionsOf)).toContain('sqs:SendMessage');
  });
});
