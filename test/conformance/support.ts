/**
 * What the conformance tests share: the emulator and the deployed messaging stack's outputs (from the global setup),
 * SDK clients pointed at it, the expected template (synthesized here from the same code), the real event envelope,
 * and polling with deadlines (no fixed sleeps).
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient, type Message, type ReceiveMessageCommandInput } from '@aws-sdk/client-sqs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
import { SCHEMA_VERSION, type Envelope, type EventType, type Payload } from '../../lambdas/core/events';
import { SERVICES, type ServiceName } from '../../lambdas/services/registry';
import { MessagingStack, messagingStackName } from '../../lib/messaging-stack';
import { serviceOutputs, STACK_OUTPUTS } from '../../lib/outputs';
import { stageConfig } from '../../lib/stages';
import { clientConfig } from '../../scripts/local/aws-env';
import { pollUntil as poll } from '../support/poll';

const ctx = inject('conformance');
export const endpoint = ctx.endpoint;
/** Which emulator answers: branch on it only where an emulator is known to differ from AWS (docs/emulators.md). */
export const emulator = ctx.emulator;
const outputs = ctx.outputs;
export const stage = stageConfig('local');

export const sqs = new SQSClient(clientConfig(endpoint));
export const sns = new SNSClient(clientConfig(endpoint));

const output = (key: string): string => {
  const v = outputs[key];
  if (!v) throw new Error(`stack output ${key} is missing (have: ${Object.keys(outputs).join(', ')})`);
  return v;
};
export const topicArn = () => output(STACK_OUTPUTS.topicArn);
export const queueUrl = (svc: ServiceName) => output(serviceOutputs(svc).queueUrl);
export const dlqUrl = (svc: ServiceName) => output(serviceOutputs(svc).dlqUrl);

/**
 * Every queue the topic delivers to, with the event types its filter policy lets through: each service's own queue,
 * and the deadline queue of a service with `afterDeadline` events (the orders aggregator's delayed OrderPlaced).
 */
export const subscribedQueues = (): { label: string; url: string; consumes: readonly EventType[] }[] =>
  SERVICES.flatMap((s) => [
    { label: s.name, url: queueUrl(s.name), consumes: s.consumes },
    ...(s.afterDeadline?.length ? [{ label: `${s.name} deadline`, url: output(serviceOutputs(s.name).deadlineQueueUrl), consumes: s.afterDeadline }] : []),
  ]);

/** The template the deployed stack came from: the same app code, stage local, synthesized in-process. */
let template: Record<string, any> | undefined;
export function messagingTemplate(): { Resources: Record<string, any>; Outputs: Record<string, any> } {
  if (!template) {
    // No schema validation: seconds per synth, and the emulator's CloudFormation has already accepted the template.
    const app = new App({ builtinCloudFormationValidation: false, outdir: mkdtempSync(join(tmpdir(), 'cdk-conformance-')), context: { stage: 'local' } });
    const stack = new MessagingStack(app, messagingStackName(stage), { stage });
    template = Template.fromStack(stack).toJSON();
  }
  return template as { Resources: Record<string, any>; Outputs: Record<string, any> };
}

/** The template's properties of the resource an output refers to (`{ Ref: logicalId }`). */
export function resourceBehindOutput(key: string): { logicalId: string; props: Record<string, any> } {
  const t = messagingTemplate();
  const logicalId = t.Outputs[key]?.Value?.Ref as string | undefined;
  if (!logicalId) throw new Error(`template output ${key} is not a Ref`);
  return { logicalId, props: t.Resources[logicalId].Properties ?? {} };
}

/** Payloads that satisfy each event type's schema (parseEnvelope accepts every envelope built from them). */
const SAMPLE_PAYLOADS: { [T in EventType]: Payload<T> } = {
  OrderPlaced: { customerId: 'conf-customer', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 2 }] },
  PaymentCharged: { amountCents: 500, currency: 'USD', chargeId: 'ch-conf' },
  PaymentDeclined: { amountCents: 500, currency: 'USD', reason: 'card declined' },
  OrderRejected: { reason: 'UNKNOWN_SKU', skus: ['SKU-NOPE'] },
  StockReserved: { skus: ['SKU-1'] },
  StockBackordered: { skus: ['SKU-OOS'] },
  OrderConfirmed: { amountCents: 500, currency: 'USD', confirmedAt: '2026-01-01T00:00:00.000Z' },
  OrderCancelled: { reason: 'PAYMENT_DECLINED', currency: 'USD', cancelledAt: '2026-01-01T00:00:00.000Z' },
};

/** An envelope as the relay publishes it; `runId` (the correlation id) tells this run's messages from any other. */
export function envelope<T extends EventType>(eventType: T, runId: string): Envelope<T> {
  return {
    eventId: `${runId}-${eventType}`,
    eventType,
    schemaVersion: SCHEMA_VERSION,
    occurredAt: new Date().toISOString(),
    correlationId: runId,
    orderId: `conf-${runId}`,
    payload: SAMPLE_PAYLOADS[eventType],
  };
}

/** Message attributes as the relay sets them (docs/contract.md: `eventType` and `orderId`, both String). */
export const envelopeAttributes = (e: Envelope) => ({
  eventType: { DataType: 'String', StringValue: e.eventType },
  orderId: { DataType: 'String', StringValue: e.orderId },
});

/** Message attributes reduced to what a sender sets (DataType + value), for comparisons. */
export function plainAttributes(attrs: Message['MessageAttributes']): Record<string, { DataType?: string; StringValue?: string; BinaryValue?: number[] }> {
  const out: Record<string, { DataType?: string; StringValue?: string; BinaryValue?: number[] }> = {};
  for (const [k, v] of Object.entries(attrs ?? {})) {
    out[k] = {
      DataType: v.DataType,
      ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
      ...(v.BinaryValue ? { BinaryValue: [...v.BinaryValue] } : {}),
    };
  }
  return out;
}

export const isOurs = (m: Message, runId: string) => (m.Body ?? '').includes(runId);

export async function receive(queue: string, input: Partial<ReceiveMessageCommandInput> = {}): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
      WaitTimeSeconds: 1,
      ...input,
    }),
  );
  return Messages;
}

/** Polling with a deadline (test/support/poll.ts), every 100 ms unless told otherwise. */
export const pollUntil: typeof poll = (probe, done, options) => poll(probe, done, { intervalMs: 100, ...options });
