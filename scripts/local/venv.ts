/**
 * A Python venv under `.local/` with pinned packages, installed once (a stamp file names what is in it). Each tool
 * gets its own venv: MiniStack pins botocore exactly, so a tool that pulls boto3 in must never share its venv.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const venvBin = (venv: string, name: string) => join(venv, 'bin', name);

/** Creates `venv` with `python` and pip-installs `packages` (exact pins), unless its stamp says they are there. */
export function ensureVenv(venv: string, packages: readonly string[], python = 'python3'): 'installed' | 'present' {
  const stamp = join(venv, `.installed-${packages.join('+').replace(/[^A-Za-z0-9.=+-]/g, '_')}`);
  const py = venvBin(venv, 'python');
  if (existsSync(stamp) && existsSync(py)) return 'present';
  const version = spawnSync(python, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${python} was not found: it is needed with the venv module`);
  mkdirSync(dirname(venv), { recursive: true });
  const created = spawnSync(python, ['-m', 'venv', venv], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`${python} -m venv failed (is the venv module installed? e.g. apt-get install python3-venv):\n${created.stderr}`);
  const pip = spawnSync(py, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...packages], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (pip.status !== 0) throw new Error(`pip install ${packages.join(' ')} failed:\n${pip.stderr.slice(-2000)}`);
  writeFileSync(stamp, new Date().toISOString());
  return 'installed';
}
