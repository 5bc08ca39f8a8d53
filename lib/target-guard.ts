/**
 * The local stage runs with authentication off and fault hooks on: it must never reach a real AWS account. The CDK
 * apps (bin/) call this before building a stack: for the local stage the AWS endpoint must be a loopback emulator
 * (AWS_ENDPOINT_URL, which `npm run local` and the test harnesses set), so `STAGE=local npm run deploy` or
 * `cdk deploy -c stage=local` against real credentials stops here, before anything is synthesized or deployed.
 */
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]|::1)$/i;

export function assertLocalStageTargetsEmulator(stage: string, env: NodeJS.ProcessEnv = process.env): void {
  if (stage !== 'local') return;
  const endpoint = env.AWS_ENDPOINT_URL;
  let host: string | undefined;
  try {
    host = endpoint ? new URL(endpoint).hostname : undefined;
  } catch {
    host = undefined;
  }
  if (host !== undefined && LOOPBACK.test(host)) return;
  throw new Error(
    `refusing the local stage without a local emulator: it deploys with authentication off and fault hooks on. ` +
      `Set AWS_ENDPOINT_URL=http://127.0.0.1:<port> (npm run local does), or deploy -c stage=dev|prod to AWS` +
      (endpoint ? ` (AWS_ENDPOINT_URL=${endpoint} is not a loopback address)` : ''),
  );
}
