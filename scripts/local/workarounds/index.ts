/**
 * Emulator-only fixes, named in ONE place: the list below. The production template stays correct for AWS; each
 * workaround is applied after a local deploy (./record.ts), only where the emulator still lacks the feature (it
 * checks first), and reports what it did. One file per workaround; what each is: ./workaround.ts.
 *
 * Each workaround also has a `canary` (./canaries.ts): it deploys nothing of ours, but looks at a throw-away probe
 * stack (the same template properties, deployed through the emulator's CloudFormation) and answers "does the emulator
 * still lack this?". test/integration/workarounds.test.ts asserts the known answers for MiniStack, so it fails the day
 * an upgrade closes a gap: then delete the workaround and its canary.
 *
 * Known, MiniStack 1.5.33 (checked in its source and on the probe stack):
 * - ttlFromTemplate (./ttl.ts): `TimeToLiveSpecification` from CloudFormation is ignored (DescribeTimeToLive says
 *   DISABLED); UpdateTimeToLive works. Without it idempotency records and outbox items would never expire locally.
 * - redriveFromTemplate (./redrive.ts): the queue `RedrivePolicy` from CloudFormation IS applied by MiniStack 1.5.33
 *   (its canary says "not lacking"); the check stays because the DLQ tests depend on it and other emulators have
 *   dropped it. It sets the policy only if it is missing, and says so.
 * - streamBatchItemFailures (./stream-failures.ts): the DynamoDB-stream poller ignores `batchItemFailures`; the relay
 *   fails the whole batch instead. Its canary is test/integration/publish-failure.test.ts.
 * Fixed before start rather than after deploy (scripts/local/emulator.ts): a package.json marking .local/tmp as
 * CommonJS, where MiniStack unpacks Lambda code (the project's own says "type": "module"); MINISTACK_HOST=127.0.0.1.
 * Gaps with no workaround (test them in template tests): SSE is not reported by DescribeTable; queue policies and
 * IAM are not enforced; CloudWatch alarms never leave INSUFFICIENT_DATA; HTTP API throttling is not enforced.
 */
import { redriveFromTemplate } from './redrive';
import { streamBatchItemFailures } from './stream-failures';
import { ttlFromTemplate } from './ttl';
import type { Workaround } from './workaround';

export const WORKAROUNDS: readonly Workaround[] = [ttlFromTemplate, redriveFromTemplate, streamBatchItemFailures];
