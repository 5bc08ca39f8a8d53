import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BENCH_NOOP_PATH, BENCH_OUTPUTS } from '../../../lib/constructs/bench';
import { freshApp } from '../synth';

const functionsNamed = (template: ReturnType<ReturnType<typeof freshApp>['template']>, service: string) =>
  Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } } }));

describe('bench fixtures (-c bench=true)', () => {
  it('are absent without the flag', () => {
    const template = freshApp('local').template();
    expect(functionsNamed(template, 'bench-noop')).toHaveLength(0);
    expect(functionsNamed(template, 'bench-reference')).toHaveLength(0);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain(BENCH_OUTPUTS.noopPath);
  });

  it('add the no-op route on the same API and the Powertools reference worker on its own queue, subscribed like shipping', () => {
    const template = freshApp('local', { bench: 'true' }).template();
    expect(functionsNamed(template, 'bench-noop')).toHaveLength(1);
    expect(functionsNamed(template, 'bench-reference')).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `POST ${BENCH_NOOP_PATH}` });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      FilterPolicy: { eventType: ['OrderConfirmed'] },
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BenchReferenceQueue'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(Object.values(BENCH_OUTPUTS)));
  });

  it('are refused outside the local stage', () => {
    expect(() => freshApp('dev', { bench: 'true' })).toThrow(/local stage only/);
  });
});
