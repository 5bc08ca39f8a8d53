import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';

/** Everything the local run writes lives under `.local/` (git-ignored), so one `rm -rf .local` resets it. */
export const ROOT = PROJECT_ROOT;
export const LOCAL = join(ROOT, '.local');
export const VENV = join(LOCAL, 'venv');
export const TMP = join(LOCAL, 'tmp');
export const STATE_FILE = join(LOCAL, 'emulator.json');
export const LOG_FILE = join(LOCAL, 'ministack.log');
export const OUTPUTS_FILE = join(LOCAL, 'outputs.json');
export const WORKAROUNDS_FILE = join(LOCAL, 'workarounds.json');
export const STACK_NAME = 'OrderPipeline-local';

// The pinned AWS SDK warns that releases after January 2027 need Node 22; the scripts run on Node 20 (see engines).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
