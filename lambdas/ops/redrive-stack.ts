/**
 * `npm run redrive` (scripts/redrive.ts) without the command line: which queues of a deployed stack to redrive, and
 * how each one is moved.
 *
 * - A service's DLQ (poison messages) goes back to the service's queue: with SQS `StartMessageMoveTask` where the
 *   endpoint has it (AWS), else with receive -> send -> delete (./redrive.ts; MiniStack answers InvalidAction).
 * - A service's subscription DLQ (what SNS could not deliver) goes to the same queue, always by receive -> send ->
 *   delete: a move task needs a source that is some queue's RedrivePolicy DLQ, which a subscription DLQ is not.
 *   The subscription's filter had already matched, so the queue is the right place.
 * - The outbox relay's on-failure queue holds stream batch metadata, not events: see ./outbox-replay.ts.
 *
 * Safe to interrupt and re-run: a message is deleted from a DLQ only after it was sent (a crash in between leaves a
 * copy in both queues, which the consumers drop by eventId), and a move task already running is waited on, not
 * started twice. A message older than the consumers' idempotency window is refused (see `refuseSentBefore`).
 */
import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, StartMessageMoveTaskCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { redrive, type RedriveResult } from './redrive';
import { SERVICES, type ServiceName } from '../services/registry';

export type Outputs = Record<string, string>;

export interface QueuePair {
  /** `payment DLQ`, `payment subscription DLQ`. */
  readonly label: string;
  readonly service: ServiceName;
  readonly kind: 'dlq' | 'subscription-dlq';
  readonly source: string;
  readonly target: string;
}

/** Services that have a queue (and so DLQs). */
export const QUEUED_SERVICES: ServiceName[] = SERVICES.filter((s) => s.consumes.length > 0).map((s) => s.name);

/**
 * The DLQ -> queue pairs of the given services, from the stack outputs (`<Svc>QueueUrl`, `<Svc>DlqUrl`,
 * `<Svc>SubscriptionDlqUrl`; lib/outputs.ts). A stack deployed before the subscription DLQ had an output has only the
 * first pair: say so rather than guess a URL.
 */
export interface QueueKeys {
  queueUrl: string;
  dlqUrl: string;
  subscriptionDlqUrl: string;
  deadlineQueueUrl: string;
  deadlineDlqUrl: string;
  deadlineSubscriptionDlqUrl: string;
}

export function queuePairs(outputs: Outputs, services: readonly ServiceName[], keys: (s: ServiceName) => QueueKeys): { pairs: QueuePair[]; missing: string[] } {
  const pairs: QueuePair[] = [];
  const missing: string[] = [];
  for (const service of services) {
    const k = keys(service);
    const target = outputs[k.queueUrl];
    if (!target) {
      missing.push(k.queueUrl);
      continue;
    }
    const add = (queue: string, kind: QueuePair['kind'], key: string, label: string) => {
      const source = outputs[key];
      if (source) pairs.push({ label: `${service} ${label}`, service, kind, source, target: queue });
      else missing.push(key);
    };
    add(target, 'dlq', k.dlqUrl, 'DLQ');
    add(target, 'subscription-dlq', k.subscriptionDlqUrl, 'subscription DLQ');
    // The orders aggregator's deadline queue (issue 12): its DLQs go back to it, so the deadline still applies.
    const deadline = outputs[k.deadlineQueueUrl];
    if (deadline) {
      add(deadline, 'dlq', k.deadlineDlqUrl, 'deadline DLQ');
      add(deadline, 'subscription-dlq', k.deadlineSubscriptionDlqUrl, 'deadline subscription DLQ');
    }
  }
  return { pairs, missing };
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
}

export async function queueCounts(sqs: SQSClient, url: string): Promise<QueueCounts> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages ?? 0), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  if (!Attributes.QueueArn) throw new Error(`no QueueArn for ${url}`);
  return Attributes.QueueArn;
}

/** Error names of an endpoint that does not implement the move-task API (MiniStack: InvalidAction). */
const NOT_IMPLEMENTED = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'NotImplemented', 'InvalidParameterValue.Unsupported']);
export const moveTaskUnsupported = (err: unknown): boolean => {
  const e = err as { name?: string; Code?: string; code?: string; message?: string };
  return (
    [e?.name, e?.Code, e?.code].some((n) => n !== undefined && NOT_IMPLEMENTED.has(n)) ||
    /InvalidAction|not (?:yet )?implemented|unknown operation/i.test(e?.message ?? '')
  );
};

export interface MoveOptions {
  readonly sqs: SQSClient;
  /** Stop after this many messages (receive path only: a move task cannot be capped by count). */
  readonly max?: number;
  /** Epoch ms: messages first sent earlier are refused (the idempotency window). */
  readonly refuseSentBefore: number;
  /**
   * True when no message can be in a DLQ longer than the idempotency window (queue + DLQ retention shorter than it),
   * so a move task, which cannot look at ages, is safe. Otherwise every message goes the receive path and is checked.
   */
  readonly moveTaskSafe: boolean;
  readonly log: (line: string) => void;
  readonly shouldStop?: () => boolean;
  /** Poll interval of a move task's progress. */
  readonly pollMs?: number;
}

export interface MoveReport {
  readonly pair: QueuePair;
  readonly method: 'move-task' | 'receive-send-delete';
  readonly moved: number;
  readonly refused: number;
  readonly failed: number;
  readonly errors: string[];
}

const progressLine = (label: string, r: Pick<RedriveResult, 'moved' | 'refused' | 'sendFailed' | 'deleteFailed'>) =>
  `  ${label}: moved ${r.moved}${r.refused ? `, refused ${r.refused}` : ''}${r.sendFailed ? `, send failed ${r.sendFailed}` : ''}${r.deleteFailed ? `, in both queues ${r.deleteFailed}` : ''}`;

/** Moves one pair, by move task where possible and allowed, else by receive -> send -> delete. */
export async function moveQueue(pair: QueuePair, o: MoveOptions): Promise<MoveReport> {
  if (pair.kind === 'dlq' && o.max === undefined && o.moveTaskSafe) {
    const viaTask = await tryMoveTask(pair, o);
    if (viaTask) return viaTask;
  }
  const r = await redrive({
    sqs: o.sqs,
    fromQueueUrl: pair.source,
    toQueueUrl: pair.target,
    ...(o.max !== undefined ? { maxMessages: o.max } : {}),
    refuseSentBefore: o.refuseSentBefore,
    shouldStop: o.shouldStop,
    onProgress: (p) => o.log(progressLine(pair.label, p)),
  });
  return { pair, method: 'receive-send-delete', moved: r.moved, refused: r.refused, failed: r.sendFailed + r.deleteFailed, errors: r.errors };
}

/** Undefined when the endpoint has no move-task API (then the caller falls back). */
async function tryMoveTask(pair: QueuePair, o: MoveOptions): Promise<MoveReport | undefined> {
  const [sourceArn, destinationArn] = await Promise.all([queueArn(o.sqs, pair.source), queueArn(o.sqs, pair.target)]);
  let running: string | undefined;
  try {
    const { Results = [] } = await o.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    running = Results.find((t) => t.Status === 'RUNNING')?.TaskHandle;
  } catch (err) {
    if (moveTaskUnsupported(err)) return undefined;
    throw err;
  }
  if (running) o.log(`  ${pair.label}: a move task is already running (an earlier run): following it`);
  else {
    try {
      await o.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
    } catch (err) {
      if (moveTaskUnsupported(err)) return undefined;
      throw err;
    }
  }
  for (;;) {
    const { Results = [] } = await o.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = Results[0];
    const moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
    const total = task?.ApproximateNumberOfMessagesToMove;
    o.log(`  ${pair.label}: move task ${task?.Status ?? 'unknown'}, moved ${moved}${total !== undefined ? ` of ${total}` : ''}`);
    if (!task || task.Status !== 'RUNNING') {
      const failed = task?.Status === 'FAILED' || task?.Status === 'CANCELLED';
      return {
        pair,
        method: 'move-task',
        moved,
        refused: 0,
        failed: failed ? 1 : 0,
        errors: failed ? [`move task ${task?.Status}: ${task?.FailureReason ?? 'no reason given'}`] : [],
      };
    }
    // Interrupting leaves the task running on AWS; a re-run follows it (above).
    if (o.shouldStop?.())
      return {
        pair,
        method: 'move-task',
        moved,
        refused: 0,
        failed: 0,
        errors: ['interrupted: the move task keeps running on AWS; run the command again to follow it'],
      };
    await new Promise((r) => setTimeout(r, o.pollMs ?? 2_000));
  }
}
