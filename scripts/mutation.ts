/**
 * `npm run test:mutation [-- <scope>... [stryker options]]`: Stryker once per scope (stryker.config.mjs), one after
 * another, in priority order (core, adapters, services, api, stages); then every survivor is judged again (below);
 * then each scope's counts and score. Scopes and options may be given: `npm run test:mutation -- core --concurrency 1`.
 * Static mutants are left to the recheck (`--ignoreStatic` is added) unless `--static` is given.
 * `npm run test:mutation -- --recheck-only core` skips Stryker and re-judges the survivors of the last report.
 * Run it niced (`nice -n 19`); docs/mutation-testing.md has the figures and the reasons.
 *
 * Why survivors are judged again: Stryker 9.6.1's vitest runner switches a mutant on after its module has loaded
 * when the mutant also has per-test coverage (stryker-js#6144, #6209). A mutant in module-level code (a constant, a
 * list, a regular expression built at import) is then never seen by the tests and "survives" tests that kill it.
 * The recheck applies each survivor's replacement to the source file itself, runs the test files that covered it in
 * a fresh vitest process, and restores the file: a failing test marks it Killed (`recheckedBy: 'source'`); the rest
 * stay Survived and are the list to kill or to explain as equivalent.
 * The same recheck judges the mutants Stryker did not: those no test covered (per-test coverage misses module-level
 * code too) and, with `--ignoreStatic`, the static ones it skipped. A static mutant has no per-test coverage, so
 * Stryker re-runs every test file that imports its module (hours for a scope); here it is judged by the file's
 * mirrored test and the scope's own judges (JUDGES), a fresh vitest of a file or two, so it counts in the score
 * again: Killed when a test fails, Survived when none does.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { projectPath } from '../lib/paths';

/** The scopes of stryker.config.mjs, in priority order (that file says what each mutates and which tests judge it). */
export const SCOPES = ['core', 'adapters', 'services', 'api', 'stages'];
/**
 * Test files that check a file's promises beyond its mirrored test, in either vitest project: they judge every recheck
 * of that file. The stage numbers are typed in from docs/stage-numbers.md; the registry's grants are listed by hand
 * per function in the template test.
 */
export const JUDGES: Readonly<Record<string, readonly string[]>> = {
  'lib/stages.ts': ['test/lib/stage-numbers.test.ts'],
  'lambdas/services/registry.ts': ['test/lib/access.test.ts'],
};

const STATIC_SKIPPED = /^Static mutant/;
/** Judged on the source (see the header): survivors, uncovered mutants, and static ones Stryker was told to skip. */
export function needsJudging(m: Pick<Mutant, 'status' | 'statusReason'>): boolean {
  return m.status === 'Survived' || m.status === 'NoCoverage' || (m.status === 'Ignored' && STATIC_SKIPPED.test(m.statusReason ?? ''));
}

/** A judged mutant's status: Killed when a test failed; otherwise a skipped static mutant counts as Survived. */
export function judged(m: Pick<Mutant, 'status'>, testFailed: boolean): Status {
  if (testFailed) return 'Killed';
  return m.status === 'Ignored' ? 'Survived' : m.status;
}

type Status = 'Killed' | 'Survived' | 'Timeout' | 'NoCoverage' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';
interface Position {
  line: number;
  column: number;
}
export interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: Status;
  location: { start: Position; end: Position };
  coveredBy?: string[];
  statusReason?: string;
  recheckedBy?: 'source';
}
export interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
  testFiles?: Record<string, { tests: { id: string }[] }>;
}

/** Stryker's score: killed and timed-out mutants over every mutant a test could judge (compile errors and ignored left out). */
export function summarize(report: Pick<Report, 'files'>) {
  const counts: Record<string, number> = {};
  for (const file of Object.values(report.files)) for (const m of file.mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
  const n = (s: Status) => counts[s] ?? 0;
  const detected = n('Killed') + n('Timeout');
  const valid = detected + n('Survived') + n('NoCoverage');
  return { counts, score: valid ? (100 * detected) / valid : NaN };
}

/** The source with the mutant's replacement in place (the report's lines and columns are 1-based, the end exclusive). */
export function applyMutant(source: string, mutant: Pick<Mutant, 'location' | 'replacement'>): string {
  const lines = source.split('\n');
  const offset = ({ line, column }: Position) => lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0) + column - 1;
  if (mutant.replacement === undefined) throw new Error('mutant without a replacement');
  return source.slice(0, offset(mutant.location.start)) + mutant.replacement + source.slice(offset(mutant.location.end));
}

/** The test files that covered a mutant (by the report's test ids); empty when it had no per-test coverage. */
export function coveringFiles(report: Report, mutant: Pick<Mutant, 'coveredBy'>): string[] {
  const wanted = new Set(mutant.coveredBy ?? []);
  return Object.entries(report.testFiles ?? {})
    .filter(([, f]) => f.tests.some((t) => wanted.has(t.id)))
    .map(([file]) => file);
}

/**
 * Where a file's own tests live (the tree is mirrored): `test/<path>.test.ts`, or, for a file in a folder of its own
 * (a service: lambdas/services/payment/provider.ts), the folder's test `test/lambdas/services/payment.test.ts`.
 */
export function ownTests(path: string): string[] {
  const mirrored = `test/${path.replace(/\.ts$/, '.test.ts')}`;
  const folder = `test/${path.replace(/\/[^/]+\.ts$/, '.test.ts')}`;
  return mirrored === folder ? [mirrored] : [mirrored, folder];
}

/**
 * The vitest runs that judge one mutant on the source, cheapest first; the recheck stops at the first run with a failing
 * test. First the tests that covered it and the file's own (mirrored) tests: a static mutant's coverage is the tests
 * that happened to load its module first, not the ones that check it. Then, for a survivor of those, the file's
 * judges (JUDGES) not already run. With no files at all, one run of the tests related to the file (`[]`).
 */
export function recheckRounds(covering: readonly string[], own: readonly string[], judges: readonly string[]): string[][] {
  const first = [...new Set([...covering, ...own])];
  const rest = judges.filter((f) => !first.includes(f));
  if (!first.length) return [rest];
  return rest.length ? [first, rest] : [first];
}

/**
 * Re-judges the survivors (and the mutants Stryker did not judge) of one scope's report in place; returns how many were
 * killed. Asynchronous on purpose: a signal handler only runs when the event loop does, so with a synchronous child
 * (spawnSync) a Ctrl-C or SIGTERM was never handled and left the mutant of the moment in the source.
 */
async function recheck(scope: string, file: string): Promise<number> {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  let killed = 0;
  for (const [path, entry] of Object.entries(report.files)) {
    if (!entry.mutants.some(needsJudging)) continue;
    const original = readFileSync(projectPath(path), 'utf8');
    if (original !== entry.source) throw new Error(`${path} changed since the ${scope} report: run Stryker again first`);
    const restore = () => writeFileSync(projectPath(path), original);
    const out = projectPath(`.local/stryker/${scope}/recheck.json`);
    let vitest: ChildProcess | undefined;
    // A stopped run must not leave a mutant in the source: stop the tests, put the file back, then stop as asked.
    const stop = (signal: NodeJS.Signals) => {
      vitest?.kill(signal);
      restore();
      process.kill(process.pid, signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for (const mutant of entry.mutants.filter(needsJudging)) {
        const own = ownTests(path).filter((f) => existsSync(projectPath(f)));
        writeFileSync(projectPath(path), applyMutant(original, mutant));
        let failed = false;
        // Cheapest first, and each run stops at its first failing test: most mutants die in their own unit test in
        // seconds, and only a survivor of those pays for a judge (a template test synthesizes the whole stack).
        for (const files of recheckRounds(coveringFiles(report, mutant), own, JUDGES[path] ?? [])) {
          // No files at all: the tests that import the file, directly or not.
          const select = files.length ? ['run', ...files] : ['related', '--run', path];
          // Both projects: a judge may be a template test (infra) of a lambdas/ file, or the other way round.
          await new Promise<void>((done) => {
            vitest = spawn(
              projectPath('node_modules/.bin/vitest'),
              [...select, '--project', 'unit', '--project', 'infra', '--bail', '1', '--reporter=json', `--outputFile=${out}`],
              { cwd: projectPath('.'), stdio: 'ignore', env: process.env },
            );
            vitest.on('close', () => done()).on('error', () => done());
          });
          // Killed only by a failing test or a test file that no longer loads; a run that found no tests kills nothing.
          const result = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { numFailedTests: number; numFailedTestSuites: number }) : undefined;
          rmSync(out, { force: true });
          failed = !!result && result.numFailedTests + result.numFailedTestSuites > 0;
          if (failed) break;
        }
        restore();
        const where = `${path}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.mutatorName} (was ${mutant.status})`;
        mutant.status = judged(mutant, failed);
        mutant.recheckedBy = 'source';
        if (mutant.status === 'Killed') {
          killed++;
          console.log(`recheck ${scope}: killed   ${where}`);
        } else console.log(`recheck ${scope}: ${mutant.status.toLowerCase()} ${where} -> ${JSON.stringify(mutant.replacement)}`);
      }
    } finally {
      restore();
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  }
  writeFileSync(file, JSON.stringify(report));
  return killed;
}

/**
 * Stryker's options from the command line: everything but the scopes and this runner's own flags. Static mutants are
 * skipped by Stryker (`--ignoreStatic`) and judged by the recheck instead, unless `--static` asks Stryker to run them.
 */
export function strykerOptions(argv: readonly string[]): string[] {
  const options = argv.filter((a) => !SCOPES.includes(a) && a !== '--recheck-only' && a !== '--static');
  return argv.includes('--static') || options.includes('--ignoreStatic') ? options : [...options, '--ignoreStatic'];
}

async function main(argv: string[]): Promise<number> {
  const recheckOnly = argv.includes('--recheck-only');
  const scopes = argv.filter((a) => SCOPES.includes(a));
  const options = strykerOptions(argv);
  let failed = 0;
  const lines: string[] = [];
  for (const scope of scopes.length ? scopes : SCOPES) {
    const started = Date.now();
    const file = projectPath(`.local/stryker/${scope}/mutation.json`);
    if (!recheckOnly) {
      const run = spawnSync(projectPath('node_modules/.bin/stryker'), ['run', 'stryker.config.mjs', ...options], {
        cwd: projectPath('.'),
        stdio: 'inherit',
        env: { ...process.env, MUTATION_SCOPE: scope },
      });
      if (run.status !== 0 || !existsSync(file)) {
        failed++;
        lines.push(`${scope}: stryker exited ${run.status ?? run.signal} after ${((Date.now() - started) / 60_000).toFixed(1)} min`);
        continue;
      }
    }
    const rechecked = await recheck(scope, file);
    const { counts, score } = summarize(JSON.parse(readFileSync(file, 'utf8')) as Report);
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    lines.push(`${scope}: ${score.toFixed(1)} % in ${minutes} min ${JSON.stringify(counts)} (${rechecked} survivors killed on recheck)`);
  }
  console.log(['mutation scores:', ...lines].join('\n  '));
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main(process.argv.slice(2));
