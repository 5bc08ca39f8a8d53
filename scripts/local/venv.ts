/**
 * A Python venv under `.local/` with pinned packages, installed once (a stamp file names what is in it). Each tool
 * gets its own venv: MiniStack pins botocore exactly, so a tool that pulls boto3 in must never share its venv.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const venvBin = (venv: string, name: string) => join(venv, 'bin', name);

/** The file whose presence says `venv` holds exactly `packages`. */
export const venvStamp = (venv: string, packages: readonly string[]) => join(venv, `.installed-${packages.join('+').replace(/[^A-Za-z0-9.=+-]/g, '_')}`);

/**
 * Creates `venv` with `python` and pip-installs `packages` (exact pins), unless its stamp says exactly these are
 * there; a venv without that stamp (other pins, an interrupted install) is removed and built anew. `python` may be
 * a function, asked only when the venv has to be built (finding an interpreter can fail where none is needed).
 */
export function ensureVenv(venv: string, packages: readonly string[], python: string | (() => string) = 'python3'): 'installed' | 'present' {
  const stamp = venvStamp(venv, packages);
  const py = venvBin(venv, 'python');
  if (existsSync(stamp) && existsSync(py)) return 'present';
  const exe = typeof python === 'string' ? python : python();
  const version = spawnSync(exe, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${exe} was not found: it is needed with the venv module`);
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(dirname(venv), { recursive: true });
  const created = spawnSync(exe, ['-m', 'venv', venv], { encoding: 'utf8' });
  if (created.status !== 0)
    throw new Error(`${exe} -m venv ${venv} failed (is the venv module installed? e.g. apt-get install python3-venv):\n${created.stderr}`);
  const pip = spawnSync(py, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...packages], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (pip.status !== 0) throw new Error(`pip install ${packages.join(' ')} failed:\n${(pip.stderr ?? '').slice(-3000)}`);
  writeFileSync(stamp, new Date().toISOString());
  return 'installed';
}
