/**
 * `npm run test:fuzz`: Schemathesis (pinned, in its own venv .local/fuzz-venv) driven by docs/openapi.local.json
 * against the locally deployed API, every check on, then the pipeline's side of the story:
 * - every order stored during the run is one the fuzzer was told was accepted (202), and every 202 was stored:
 *   nothing was stored from a rejected request;
 * - once the queues have drained, no DLQ holds more messages than before the run.
 * Brings the stack up like the integration suite (reusing this checkout's emulator if it runs) and stops an emulator
 * it started. Exit code 0 only when Schemathesis and both checks pass.
 *
 * FUZZ_MAX_EXAMPLES (default DEFAULT_MAX_EXAMPLES) sets the examples per operation and phase; FUZZ_SEED makes a run repeatable.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { OPENAPI_FILES } from '../../lambdas/api/openapi';
import { serviceOutputs, STACK_OUTPUTS } from '../../lib/outputs';
import { QUEUED_SERVICES } from '../../lambdas/ops/redrive-stack';
import { clientConfig } from '../local/aws-env';
import { readState, stop } from '../local/emulator';
import { releaseLease, takeLease } from '../local/lease';
import { LOCAL, ROOT } from '../local/paths';
import { step } from '../local/progress';
import { bringUp } from '../local/up-steps';
import { ensureVenv, venvBin } from '../local/venv';

export const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = join(LOCAL, 'fuzz-venv');
const REPORT_DIR = join(LOCAL, 'fuzz');
const HAR = join(REPORT_DIR, 'requests.har');
/** What schemathesis_hooks.py changed in generated cases, and why, with counts (written when Schemathesis exits). */
const HOOKS_REPORT = join(REPORT_DIR, 'hooks.json');
const DEFAULT_MAX_EXAMPLES = '150';

/** The checks left out and the statuses a check accepts besides its defaults, each with its reason, live here. */
const CONFIG = join(ROOT, 'scripts/fuzz/schemathesis.toml');

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number; content?: { text?: string } };
}

/**
 * The `st run` command line. No `--checks`: in Schemathesis 4.32.5 a check named on the command line is enabled
 * explicitly and beats the config file, so `--checks all` turned schemathesis.toml's exclusions back on. The file
 * enables every check itself and turns off the documented exceptions; `checksPreflight` proves that is what runs.
 */
export function schemathesisArgs(apiUrl: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    '--config-file',
    CONFIG,
    'run',
    join(ROOT, OPENAPI_FILES.local),
    '--url',
    apiUrl,
    '--max-examples',
    env.FUZZ_MAX_EXAMPLES ?? DEFAULT_MAX_EXAMPLES,
    '--workers',
    '1',
    '--request-timeout',
    '20',
    '--continue-on-failure',
    '--report',
    'har,junit',
    '--report-dir',
    REPORT_DIR,
    '--report-har-path',
    HAR,
    '--warnings',
    'off',
    ...(env.FUZZ_SEED ? ['--seed', env.FUZZ_SEED] : []),
  ];
}

interface ChecksResolved {
  on: string[];
  off: string[];
  declared_off: string[];
}

/**
 * Asks the installed Schemathesis which checks the run will use (scripts/fuzz/checks.py) and throws unless the ones
 * off are exactly those schemathesis.toml turns off with a reason.
 */
function checksPreflight(args: readonly string[]): ChecksResolved {
  const i = args.indexOf('--checks');
  const named = i >= 0 ? args[i + 1]! : '';
  const out = spawnSync(venvBin(VENV, 'python'), [join(ROOT, 'scripts/fuzz/checks.py'), CONFIG, named], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`scripts/fuzz/checks.py failed:\n${out.stderr}`);
  const checks = JSON.parse(out.stdout) as ChecksResolved;
  if (checks.off.join() !== checks.declared_off.join()) {
    throw new Error(`the checks off (${checks.off.join(', ') || 'none'}) are not the ones schemathesis.toml turns off (${checks.declared_off.join(', ')})`);
  }
  return checks;
}

function runSchemathesis(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(venvBin(VENV, 'st'), args, {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, SCHEMATHESIS_HOOKS: join(ROOT, 'scripts/fuzz/schemathesis_hooks.py'), FUZZ_HOOKS_REPORT: HOOKS_REPORT, NO_COLOR: '1' },
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function dlqCounts(sqs: SQSClient, outputs: Record<string, string>): Promise<Record<string, number>> {
  const urls: Record<string, string> = { outbox: outputs[STACK_OUTPUTS.outboxDlqUrl]! };
  for (const s of QUEUED_SERVICES) {
    const k = serviceOutputs(s);
    urls[`${s} DLQ`] = outputs[k.dlqUrl]!;
    if (outputs[k.subscriptionDlqUrl]) urls[`${s} subscription DLQ`] = outputs[k.subscriptionDlqUrl]!;
  }
  const out: Record<string, number> = {};
  for (const [name, url] of Object.entries(urls)) out[name] = await messages(sqs, url);
  return out;
}

async function messages(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Order ids of the ORDER items created at or after `since`. */
async function ordersSince(ddb: DynamoDBDocumentClient, table: string, since: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const pages = paginateScan(
    { client: ddb },
    {
      TableName: table,
      FilterExpression: 'sk = :order AND createdAt >= :since',
      ExpressionAttributeValues: { ':order': 'ORDER', ':since': since },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) ids.add(String(item.orderId));
  return ids;
}

async function main(): Promise<number> {
  const t0 = performance.now();
  await step(`install Schemathesis ${SCHEMATHESIS_VERSION} into .local/fuzz-venv (pinned)`, async () =>
    ensureVenv(VENV, [`schemathesis==${SCHEMATHESIS_VERSION}`]),
  );
  takeLease();
  try {
    const { emulator, outputs, apiUrl } = await bringUp(true, 'tests');
    const sqs = new SQSClient(clientConfig(emulator.endpoint));
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(emulator.endpoint)));
    const before = await dlqCounts(sqs, outputs);
    const since = new Date(Date.now() - 1000).toISOString();
    rmSync(REPORT_DIR, { recursive: true, force: true });
    mkdirSync(REPORT_DIR, { recursive: true });

    const args = schemathesisArgs(apiUrl);
    const checks = checksPreflight(args);
    console.log(`fuzz: checks on: ${checks.on.join(', ')}; off (schemathesis.toml says why): ${checks.off.join(', ')}`);
    const tFuzz = performance.now();
    const stCode = await runSchemathesis(args);
    const fuzzSeconds = (performance.now() - tFuzz) / 1000;

    const entries = (JSON.parse(readFileSync(HAR, 'utf8')) as { log: { entries: HarEntry[] } }).log.entries;
    const byStatus: Record<string, number> = {};
    const accepted = new Set<string>();
    for (const e of entries) {
      byStatus[e.response.status] = (byStatus[e.response.status] ?? 0) + 1;
      if (e.request.method === 'POST' && e.response.status === 202) {
        const id = (JSON.parse(e.response.content?.text ?? '{}') as { orderId?: string }).orderId;
        if (id) accepted.add(id);
      }
    }
    const serverErrors = entries.filter((e) => e.response.status >= 500).length;
    const changed = existsSync(HOOKS_REPORT) ? (JSON.parse(readFileSync(HOOKS_REPORT, 'utf8')) as Record<string, number>) : {};
    console.log(
      `\nfuzz: generated cases changed by scripts/fuzz/schemathesis_hooks.py (rules.py says why): ${
        Object.entries(changed)
          .map(([what, n]) => `${n} x ${what}`)
          .join('; ') || 'none'
      }`,
    );
    console.log(
      `fuzz: ${entries.length} requests in ${fuzzSeconds.toFixed(0)} s; by status ${JSON.stringify(byStatus)}; ${serverErrors} server errors; ${accepted.size} orders accepted`,
    );

    const stored = await ordersSince(ddb, outputs[STACK_OUTPUTS.ordersTableName]!, since);
    const storedNotAccepted = [...stored].filter((id) => !accepted.has(id));
    const acceptedNotStored = [...accepted].filter((id) => !stored.has(id));
    console.log(
      `fuzz: ${stored.size} orders stored during the run; stored without a 202: ${storedNotAccepted.length}; a 202 not stored: ${acceptedNotStored.length}`,
    );

    // Let the pipeline finish the accepted orders, then compare the DLQs.
    const queues = QUEUED_SERVICES.map((s) => outputs[serviceOutputs(s).queueUrl]!);
    const deadline = Date.now() + 180_000;
    let backlog = Number.POSITIVE_INFINITY;
    while (Date.now() < deadline) {
      backlog = (await Promise.all(queues.map((q) => messages(sqs, q)))).reduce((a, b) => a + b, 0);
      if (backlog === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const after = await dlqCounts(sqs, outputs);
    const grew = Object.entries(after)
      .filter(([k, n]) => n > (before[k] ?? 0))
      .map(([k, n]) => `${k}: ${before[k] ?? 0} -> ${n}`);
    console.log(
      `fuzz: queues ${backlog === 0 ? 'drained' : `still hold ${backlog} messages after 180 s`}; DLQs that grew: ${grew.length ? grew.join(', ') : 'none'}`,
    );

    const ok =
      stCode === 0 &&
      serverErrors === 0 &&
      entries.length >= 1000 &&
      storedNotAccepted.length === 0 &&
      acceptedNotStored.length === 0 &&
      backlog === 0 &&
      grew.length === 0;
    if (entries.length < 1000) console.log(`fuzz: only ${entries.length} requests (at least 1000 wanted): raise FUZZ_MAX_EXAMPLES`);
    console.log(
      `fuzz: ${ok ? 'PASSED' : 'FAILED'} in ${((performance.now() - t0) / 1000).toFixed(0)} s (Schemathesis exit ${stCode}); reports in ${REPORT_DIR}`,
    );
    return ok ? 0 : 1;
  } finally {
    const lastUser = releaseLease();
    if (lastUser && readState()?.owner === 'tests' && process.env.KEEP_EMULATOR !== '1') await stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`test:fuzz failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
