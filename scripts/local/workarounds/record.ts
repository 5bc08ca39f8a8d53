/** Applying the workarounds after a local deploy, and the record of what was done (.local/workarounds.json). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { StackOutputs } from '../cdk';
import { LOCAL, WORKAROUNDS_FILE } from '../paths';
import { WORKAROUNDS } from './index';

export interface WorkaroundRecord {
  /** Per workaround: what it changed on this deploy (empty: the emulator had it right). */
  applied: Record<string, string[]>;
  appliedAt: string;
}

export async function applyWorkarounds(outputs: StackOutputs, endpoint: string): Promise<WorkaroundRecord> {
  const applied: Record<string, string[]> = {};
  for (const w of WORKAROUNDS) applied[w.name] = await w.apply(outputs, endpoint);
  const record = { applied, appliedAt: new Date().toISOString() };
  mkdirSync(LOCAL, { recursive: true });
  writeFileSync(WORKAROUNDS_FILE, JSON.stringify(record, null, 2));
  return record;
}

/** One line per workaround for the progress output: what it did, or that nothing was needed. */
export function summarize(record: WorkaroundRecord): string[] {
  return Object.entries(record.applied).map(([name, done]) => `${name}: ${done.length ? `${done.length} fixed` : 'nothing needed'}`);
}

export function readWorkaroundRecord(): WorkaroundRecord | undefined {
  try {
    return JSON.parse(readFileSync(WORKAROUNDS_FILE, 'utf8')) as WorkaroundRecord;
  } catch {
    return undefined;
  }
}
