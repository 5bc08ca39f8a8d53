/**
 * `npm run redrive -- --service <name> | --all [--outbox] [--dry-run] [--max N] [--stage S] [--endpoint URL] [--outputs FILE]`
 *
 * Moves dead letters back where they came from (lambdas/ops/redrive-stack.ts), and with `--outbox` replays the outbox
 * relay's on-failure records (lambdas/ops/outbox-replay.ts). Reads the stack's outputs: for `--stage local` (the
 * default, or $STAGE) `.local/outputs.json` and the emulator this checkout runs; for an AWS stage `cdk-outputs.json`
 * (what `npm run deploy` writes) and the SDK's usual credentials and region.
 *
 * Exit code 0 when everything found was moved, 2 when something was refused (left in place, with the reason printed),
 * 1 on errors. Ctrl-C stops after the current batch (a second Ctrl-C exits at once); running it again is safe.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { serviceOutputs, STACK_OUTPUTS } from '../lib/outputs';
import { DAY_SECONDS, idempotencyTtlSeconds } from '../lib/stages';
import { moveQueue, queueCounts, queuePairs, QUEUED_SERVICES, type MoveReport } from '../lambdas/ops/redrive-stack';
import { replayOutboxFailures } from '../lambdas/ops/outbox-replay';
import type { ServiceName } from '../lambdas/services/registry';
import { resolveTarget } from './ops/target';

/** A redriven message must be processed this long before its idempotency record could expire. */
const SAFETY_MARGIN_MS = 3_600_000;

const USAGE = `usage: npm run redrive -- (--service <name> ... | --all) [--outbox] [--dry-run] [--max N] [--stage local|dev|prod] [--endpoint URL] [--outputs FILE]
       npm run redrive -- --outbox [--dry-run] [--max N] [...]
  --service  a service with a queue (${QUEUED_SERVICES.join(', ')}); repeatable
  --all      every service's DLQ and subscription DLQ
  --outbox   the outbox relay's on-failure records: delete those whose events are out (the sweeper republishes the rest)
  --dry-run  count and describe, move nothing
  --max N    at most N messages per queue (uses receive-send-delete, never a move task)
  --stage    default $STAGE or local; local reads .local/outputs.json and this checkout's emulator
  --endpoint an AWS endpoint URL (an emulator); default: the local emulator for local, AWS otherwise
  --outputs  a cdk --outputs-file (default .local/outputs.json for local, cdk-outputs.json otherwise)`;

export async function main(argv: string[], log: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      service: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      outbox: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      max: { type: 'string' },
      stage: { type: 'string' },
      endpoint: { type: 'string' },
      outputs: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const services = (values.all ? QUEUED_SERVICES : (values.service ?? [])) as ServiceName[];
  for (const s of services) if (!QUEUED_SERVICES.includes(s)) throw new UsageError(`unknown service "${s}": use one of ${QUEUED_SERVICES.join(', ')}`);
  if (services.length === 0 && !values.outbox) throw new UsageError('say what to redrive: --service <name>, --all or --outbox');
  if (values.all && values.service) throw new UsageError('--all and --service exclude each other');
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) throw new UsageError(`--max must be a positive integer, got ${values.max}`);
  const dryRun = values['dry-run'] ?? false;

  const target = await resolveTarget(values);
  const cfg = target.config;
  const windowSeconds = idempotencyTtlSeconds(cfg);
  // A move task cannot look at ages: allow it only when no message can be older than the window anyway.
  const moveTaskSafe = (cfg.queue.retentionDays + cfg.queue.dlqRetentionDays) * DAY_SECONDS < windowSeconds;
  const refuseSentBefore = Date.now() - windowSeconds * 1000 + SAFETY_MARGIN_MS;
  log(`redrive: stage ${target.stage} on ${target.where}${dryRun ? ' (dry run: nothing moves)' : ''}; idempotency window ${windowSeconds / DAY_SECONDS} days`);

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    log('interrupted: stopping after the current batch (Ctrl-C again to exit now); running the command again is safe');
  };
  process.on('SIGINT', onSigint);
  const sqs = new SQSClient(target.clientConfig);
  let refused = 0;
  let failed = 0;
  try {
    const { pairs, missing } = queuePairs(target.outputs, services, (s) => serviceOutputs(s));
    for (const key of missing) {
      log(`  ${key}: not among the stack outputs (deployed before it existed? deploy again): skipped`);
      failed += 1;
    }
    const reports: MoveReport[] = [];
    for (const pair of pairs) {
      if (stop) break;
      const counts = await queueCounts(sqs, pair.source);
      log(`${pair.label} -> ${pair.service} queue: ${counts.visible} waiting${counts.inFlight ? `, ${counts.inFlight} in flight` : ''}`);
      if (dryRun || counts.visible === 0) continue;
      const report = await moveQueue(pair, { sqs, max, refuseSentBefore, moveTaskSafe, log, shouldStop: () => stop });
      reports.push(report);
      refused += report.refused;
      failed += report.failed;
      if (report.refused) {
        log(
          `  ${pair.label}: REFUSED ${report.refused} message(s) first sent more than ${windowSeconds / DAY_SECONDS} days ago (minus 1 h): the consumers may have forgotten them, so moving them back could apply their effect twice. They stay in the DLQ: inspect them by hand.`,
        );
      }
      for (const e of report.errors) log(`  ${pair.label}: ${e}`);
    }
    if (reports.length) {
      log('summary:');
      for (const r of reports) log(`  ${r.pair.label.padEnd(28)} ${r.method.padEnd(20)} moved ${r.moved}, refused ${r.refused}, failed ${r.failed}`);
    }

    if (values.outbox && !stop) {
      const outboxDlqUrl = target.outputs[STACK_OUTPUTS.outboxDlqUrl];
      const ordersTable = target.outputs[STACK_OUTPUTS.ordersTableName];
      if (!outboxDlqUrl || !ordersTable) throw new Error('the stack outputs lack OutboxDlqUrl or OrdersTableName');
      const counts = await queueCounts(sqs, outboxDlqUrl);
      log(`outbox on-failure queue: ${counts.visible} record(s) waiting`);
      if (counts.visible > 0) {
        const r = await replayOutboxFailures({
          sqs,
          ddb: DynamoDBDocumentClient.from(new DynamoDBClient(target.clientConfig)),
          outboxDlqUrl,
          ordersTable,
          dryRun,
          max,
          log,
          shouldStop: () => stop,
        });
        log(
          `  outbox: ${r.cleared} record(s) ${dryRun ? 'clearable' : 'cleared'}, ${r.pending} with events still pending (the sweeper's), ${r.unreadable} unreadable`,
        );
        refused += r.pending + r.unreadable;
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  return failed > 0 ? 1 : refused > 0 ? 2 : 0;
}

export class UsageError extends Error {}

if (process.argv[1] && /redrive\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : `redrive failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
