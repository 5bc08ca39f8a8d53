/** What every emulator-only workaround is (the list and the rules: ./index.ts). */
import type { StackOutputs } from '../cdk';

/** Outputs of the canaries' probe stack (./canaries.ts). */
export type ProbeOutputs = { TableName: string; QueueUrl: string; DlqArn: string };

export interface Workaround {
  readonly name: string;
  /** What the emulator lacks, i.e. what AWS does that the emulator does not. */
  readonly lacks: string;
  /**
   * True while the emulator still lacks the feature, judged on the probe stack (never on our stack). Absent where the
   * probe cannot show it; that workaround's canary is an integration test (named in its comment).
   */
  canary?(endpoint: string, probe: ProbeOutputs): Promise<boolean>;
  /** Checks the deployed stack and fixes what is missing; returns one line per thing it changed (none: no-op). */
  apply(outputs: StackOutputs, endpoint: string): Promise<string[]>;
}
