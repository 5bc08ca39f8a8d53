/** Environment for the CDK CLI and SDK clients talking to the emulator (test credentials, one region). */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** Throws unless `endpoint` is on a loopback address: nothing here is meant for anything but a local emulator. */
export function assertLoopback(endpoint: string): string {
  const host = new URL(endpoint).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error(`refusing a non-loopback emulator endpoint: ${endpoint}`);
  return endpoint;
}

export function emulatorEnv(endpoint: string): Record<string, string> {
  assertLoopback(endpoint);
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

/** SDK client config for the emulator. */
export const clientConfig = (endpoint: string) => ({
  endpoint,
  region: LOCAL_REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
