/**
 * `npm run test:localstack`: the messaging conformance suite on real LocalStack 4.14.0, without Docker.
 *   install (pinned, .local/localstack-venv) -> start (127.0.0.1, free port from 4610) -> cdk bootstrap ->
 *   cdk deploy OrderMessaging-local -> vitest --project conformance -> stop (always; SIGKILL fallback).
 * Every step prints its time. Exit code: the suite's, or 1 when a step before it failed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';
import { step } from '../local/progress';
import { ensureInstalled, LOCALSTACK_VERSION, OUTPUTS_FILE, start, STATE_DIR, stop, type Running } from './emulator';
import { emulatorEnv } from '../local/aws-env';
import { bootstrap, deployMessaging, MESSAGING_STACK } from './messaging-deploy';

const OUT_DIR = 'cdk.messaging.out';

function runSuite(endpoint: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['vitest', 'run', '--project', 'conformance'], {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
      env: { ...process.env, ...emulatorEnv(endpoint), EMULATOR: 'localstack', CONFORMANCE_OUTPUTS: OUTPUTS_FILE },
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function stopQuietly(): Promise<void> {
  await step('stop LocalStack', async () => {
    return stop({ onlyIfStartedBy: process.pid });
  }).then(
    (r) =>
      console.log(
        `  ${r.stopped ? (r.killed ? 'stopped with SIGKILL' : 'stopped') : 'was not running'}${r.leftovers ? `, ${r.leftovers} stray process(es) killed` : ''}; temp files removed`,
      ),
    (err: unknown) => console.error(`  could not stop LocalStack: ${err instanceof Error ? err.message : String(err)}`),
  );
}

async function main(): Promise<number> {
  const total = performance.now();
  let running: Running | undefined;
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping LocalStack`);
    void stop({ onlyIfStartedBy: process.pid }).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const installed = await step(`install localstack-core ${LOCALSTACK_VERSION} into .local/localstack-venv (pinned)`, async () => ensureInstalled());
    if (installed === 'present') console.log('  (already installed: the stamp matches the pins)');
    running = await step('start LocalStack host mode (sqs, sns, s3, iam, sts, ssm, ecr, kms, cloudformation)', () => start());
    console.log(`  ${running.endpoint} (PID ${running.pid}, state in ${STATE_DIR})`);
    const endpoint = running.endpoint;
    await step('cdk bootstrap aws://000000000000/us-east-1', () => bootstrap(endpoint, OUT_DIR, join(STATE_DIR, 'bootstrap.log')));
    await step(`cdk deploy ${MESSAGING_STACK} (stage local, no Lambda, no API)`, () =>
      deployMessaging(endpoint, OUT_DIR, OUTPUTS_FILE, join(STATE_DIR, 'deploy.log')),
    );
    const code = await step('conformance suite (vitest --project conformance)', () => runSuite(endpoint));
    console.log(code === 0 ? 'conformance suite passed on LocalStack' : `conformance suite FAILED on LocalStack (exit ${code})`);
    return code;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  } finally {
    if (!interrupted) await stopQuietly();
    console.log(`total ${((performance.now() - total) / 1000).toFixed(1)} s`);
  }
}

process.exitCode = await main();
