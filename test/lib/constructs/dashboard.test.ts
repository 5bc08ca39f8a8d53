import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../../lambdas/services/registry';
import { CANCEL_REASONS, serviceWidgetTitle } from '../../../lib/constructs/dashboard';
import type { PipelineStack } from '../../../lib/pipeline-stack';
import { STAGE_NAMES, logicalId, synth } from '../synth';

type Widget = { type: string; properties: { title?: string; metrics?: unknown[][]; markdown?: string; alarms?: string[] } };

/**
 * The dashboard body is a Fn::Join of JSON text and tokens (Refs of queues, functions, the API); each token becomes
 * `<LogicalId>` so the body parses as JSON and a widget's metrics can be tied back to the stack's resources.
 */
function dashboardWidgets(template: Template): Widget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as { Properties: { DashboardBody: any } }[];
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]!.Properties.DashboardBody;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const text = parts.map((p) => (typeof p === 'string' ? p : `<${(p as any).Ref ?? (p as any)['Fn::GetAtt']?.[0] ?? 'token'}>`)).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

describe.each(STAGE_NAMES)('dashboard (%s)', (stageName) => {
  let stack: PipelineStack, widgets: Widget[];
  beforeAll(() => {
    let template: Template;
    ({ stack, template } = synth(stageName));
    widgets = dashboardWidgets(template);
  });
  const titled = (title: string) => widgets.filter((w) => w.properties.title === title);
  /** Metric rows as CloudWatch stores them ([namespace, name, dim, value, ..., {options}]) as namespace, name and a dimension map. */
  const rows = (w: Widget) =>
    (w.properties.metrics ?? []).map((m) => {
      const [namespace, name, ...rest] = m.filter((x) => typeof x === 'string') as string[];
      const dims: Record<string, string> = {};
      for (let i = 0; i + 1 < rest.length; i += 2) dims[rest[i]!] = rest[i + 1]!;
      return { namespace, name, dims };
    });
  const allRows = () => widgets.flatMap(rows);
  const hasRow = (w: Widget | undefined, namespace: string, name: string, dims: Record<string, string>) =>
    (w ? rows(w) : allRows()).some(
      (r) => r.namespace === namespace && r.name === name && JSON.stringify(Object.entries(r.dims).sort()) === JSON.stringify(Object.entries(dims).sort()),
    );

  it.each(SERVICES.map((s) => s.name))('%s has its own widget: processed, duplicates, failures, DLQ depth, oldest age, concurrency', (name) => {
    const found = titled(serviceWidgetTitle(name));
    expect(found).toHaveLength(1);
    const w = found[0]!;
    const own = { service: name, stage: stageName };
    expect(hasRow(w, 'OrderPipeline', 'MessagesProcessed', own)).toBe(true);
    expect(hasRow(w, 'OrderPipeline', 'DuplicateDeliveries', own)).toBe(true);
    expect(hasRow(w, 'OrderPipeline', 'MessagesFailed', own)).toBe(true);
    expect(hasRow(w, 'OrderPipeline', 'RecordsHandedBack', own)).toBe(true);
    const q = stack.serviceQueues.get(name)!;
    const ref = (c: Parameters<typeof logicalId>[0]) => `<${logicalId(c)}>`;
    expect(hasRow(w, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: ref(q.dlq) })).toBe(true);
    expect(hasRow(w, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', { QueueName: ref(q.queue) })).toBe(true);
    expect(hasRow(w, 'AWS/Lambda', 'ConcurrentExecutions', { FunctionName: ref(stack.workers.get(name)!.fn) })).toBe(true);
  });

  it('has no service widget that the registry does not list', () => {
    const serviceTitles = widgets.map((w) => w.properties.title).filter((t) => t?.startsWith('service '));
    expect(serviceTitles.sort()).toEqual(SERVICES.map((s) => serviceWidgetTitle(s.name)).sort());
  });

  it('shows the API (requests, 4xx, 5xx, latency), the outbox iterator age, decisions by outcome and conflicts retried', () => {
    const api = { ApiId: `<${logicalId(stack.api.api)}>` };
    for (const metric of ['Count', '4xx', '5xx', 'Latency']) expect(hasRow(undefined, 'AWS/ApiGateway', metric, api), metric).toBe(true);
    expect(hasRow(undefined, 'AWS/Lambda', 'IteratorAge', { FunctionName: `<${logicalId(stack.relay.fn)}>` })).toBe(true);
    expect(hasRow(undefined, 'OrderPipeline', 'OrdersConfirmed', { service: 'orders', stage: stageName })).toBe(true);
    for (const reason of CANCEL_REASONS)
      expect(hasRow(undefined, 'OrderPipeline', 'OrdersCancelled', { service: 'orders', stage: stageName, reason }), reason).toBe(true);
    expect(hasRow(undefined, 'OrderPipeline', 'OrdersAccepted', { service: 'orders-api', stage: stageName })).toBe(true);
    const expressions = widgets
      .flatMap((w) => (w.properties.metrics ?? []).flat())
      .filter((x: any) => typeof x?.expression === 'string')
      .map((x: any) => x.expression as string);
    expect(expressions).toContainEqual(expect.stringContaining('MetricName="ConflictsRetried"'));
    expect(expressions).toContainEqual(expect.stringContaining('MetricName="ChargedAmount"'));
  });

  it('shows every alarm of the stack', () => {
    const status = widgets.find((w) => w.type === 'alarm')!;
    expect(status.properties.alarms).toHaveLength(stack.operations.alarms.length);
  });
});
