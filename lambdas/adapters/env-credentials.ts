/**
 * Bundled in place of `@aws-sdk/credential-provider-node` (esbuild alias, lib/constructs/pipeline-function.ts): a
 * Lambda function always finds its role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), so the SDK's full chain (SSO, INI files, IMDS, web identity, process) is dead weight in a
 * bundle: ~120 KB and the nested STS/SSO clients. The local emulator sets the same variables.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (): ReturnType<typeof fromEnv> => fromEnv();
