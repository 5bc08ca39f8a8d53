/**
 * Several test runs of one checkout may share its emulator (e.g. two terminals). Each run holds a lease (a file named
 * by its PID); the run that started the emulator stops it only when no other live run holds one. Deploys are
 * serialised with a lock directory, because two cdk commands in one output directory collide.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './processes';
import { LOCAL } from './paths';

const LEASES = join(LOCAL, 'leases');
const LOCK = join(LOCAL, 'deploy.lock');

export function takeLease(): void {
  mkdirSync(LEASES, { recursive: true });
  writeFileSync(join(LEASES, String(process.pid)), '');
}

/** Drops our lease; true when no other live run still holds one. */
export function releaseLease(): boolean {
  rmSync(join(LEASES, String(process.pid)), { force: true });
  let others = 0;
  for (const name of readdirSync(LEASES)) {
    if (isAlive(Number(name))) others++;
    else rmSync(join(LEASES, name), { force: true });
  }
  return others === 0;
}

export async function withDeployLock<T>(fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  mkdirSync(LOCAL, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(readPid());
      if (holder && !isAlive(holder)) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another deploy of this checkout held ${LOCK} for ${timeoutMs / 1000} s`);
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function readPid(): string {
  try {
    return readFileSync(join(LOCK, 'pid'), 'utf8');
  } catch {
    return '0';
  }
}
