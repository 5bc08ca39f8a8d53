import { describe, expect, it } from 'vitest';
import {
  applyMutant,
  coveringFiles,
  judged,
  needsJudging,
  ownTests,
  recheckRounds,
  strykerOptions,
  summarize,
  type Mutant,
  type Report,
} from '../../scripts/mutation';

const at = (line: number, column: number, endLine: number, endColumn: number) => ({ start: { line, column }, end: { line: endLine, column: endColumn } });
const mutant = (over: Partial<Mutant>): Mutant => ({ id: '1', mutatorName: 'StringLiteral', status: 'Survived', location: at(1, 1, 1, 1), ...over });

describe('applyMutant', () => {
  it('puts the replacement where the report says (1-based lines and columns, end exclusive), on any line', () => {
    const source = "const a = 'x';\nconst list = ['CHARGED', 'DECLINED'];\n";
    expect(applyMutant(source, { location: at(2, 15, 2, 24), replacement: '""' })).toBe("const a = 'x';\nconst list = [\"\", 'DECLINED'];\n");
    expect(applyMutant(source, { location: at(1, 11, 1, 14), replacement: '""' })).toBe("const a = \"\";\nconst list = ['CHARGED', 'DECLINED'];\n");
    expect(applyMutant(source, { location: at(2, 14, 2, 37), replacement: '[]' })).toBe("const a = 'x';\nconst list = [];\n");
  });

  it('spans lines (a removed `default:` branch)', () => {
    const source = 'switch (x) {\n  default:\n    return 1;\n}\n';
    expect(applyMutant(source, { location: at(2, 3, 3, 14), replacement: 'default:' })).toBe('switch (x) {\n  default:\n}\n');
  });

  it('refuses a mutant without a replacement', () => {
    expect(() => applyMutant('x', { location: at(1, 1, 1, 2) })).toThrow(/replacement/);
  });
});

describe('coveringFiles', () => {
  const report: Report = {
    files: {},
    testFiles: { 'test/a.test.ts': { tests: [{ id: '1' }, { id: '2' }] }, 'test/b.test.ts': { tests: [{ id: '3' }] }, 'test/c.test.ts': { tests: [] } },
  };
  it('maps the test ids that covered a mutant to their files', () => {
    expect(coveringFiles(report, { coveredBy: ['2', '3'] })).toEqual(['test/a.test.ts', 'test/b.test.ts']);
    expect(coveringFiles(report, { coveredBy: ['1'] })).toEqual(['test/a.test.ts']);
    expect(coveringFiles(report, {})).toEqual([]);
  });
});

describe('summarize', () => {
  it("is Stryker's score: killed and timed out over those a test could judge", () => {
    const statuses = ['Killed', 'Killed', 'Timeout', 'Survived', 'NoCoverage', 'CompileError', 'Ignored'] as const;
    const { counts, score } = summarize({ files: { f: { source: '', mutants: statuses.map((status) => mutant({ status })) } } });
    expect(counts).toEqual({ Killed: 2, Timeout: 1, Survived: 1, NoCoverage: 1, CompileError: 1, Ignored: 1 });
    expect(score).toBe(60);
  });
});

describe('the recheck on the source', () => {
  const STATIC = 'Static mutant (and "ignoreStatic" was enabled)';

  it('judges survivors, uncovered mutants and the static ones Stryker skipped; nothing Stryker settled otherwise', () => {
    expect(needsJudging({ status: 'Survived' })).toBe(true);
    expect(needsJudging({ status: 'NoCoverage' })).toBe(true);
    expect(needsJudging({ status: 'Ignored', statusReason: STATIC })).toBe(true);
    // Ignored by a `// Stryker disable` comment (an explained equivalent), or already decided: left alone.
    expect(needsJudging({ status: 'Ignored', statusReason: 'equivalent: unreachable default' })).toBe(false);
    expect(needsJudging({ status: 'Ignored' })).toBe(false);
    for (const status of ['Killed', 'Timeout', 'CompileError', 'RuntimeError', 'Pending'] as const) expect(needsJudging({ status })).toBe(false);
  });

  it('a failing test kills it; otherwise a skipped static mutant counts as a survivor and the rest keep their status', () => {
    for (const status of ['Survived', 'NoCoverage', 'Ignored'] as const) expect(judged({ status }, true)).toBe('Killed');
    expect(judged({ status: 'Ignored' }, false)).toBe('Survived');
    expect(judged({ status: 'Survived' }, false)).toBe('Survived');
    expect(judged({ status: 'NoCoverage' }, false)).toBe('NoCoverage');
  });

  it('so the static mutants count in the score again', () => {
    const statics = [true, true, false].map((failed) => judged({ status: 'Ignored' }, failed));
    const files = { f: { source: '', mutants: [...statics, 'Killed' as const].map((status) => mutant({ status })) } };
    expect(summarize({ files }).score).toBe(75);
  });
});

describe('strykerOptions', () => {
  it("passes Stryker's own options on, without the scopes or the runner's flags, and leaves static mutants to the recheck", () => {
    expect(strykerOptions(['core', '--concurrency', '1', 'adapters', '--recheck-only'])).toEqual(['--concurrency', '1', '--ignoreStatic']);
    expect(strykerOptions(['--ignoreStatic'])).toEqual(['--ignoreStatic']);
  });
  it('--static lets Stryker run the static mutants itself', () => {
    expect(strykerOptions(['stages', '--static'])).toEqual([]);
  });
});

describe('recheckRounds', () => {
  const unit = ['test/lambdas/services/registry.test.ts'];
  const judge = ['test/lib/access.test.ts'];
  it("runs the covering and own tests first, and the file's judges only for a survivor of those", () => {
    expect(recheckRounds(['test/a.test.ts'], unit, judge)).toEqual([['test/a.test.ts', ...unit], judge]);
  });
  it('runs a file once: no judge twice, no own test that also covered it twice', () => {
    expect(recheckRounds(unit, unit, [...judge, ...unit])).toEqual([unit, judge]);
    expect(recheckRounds(judge, [], judge)).toEqual([judge]);
  });
  it('with no covering or own test, the judges alone; with nothing at all, one run of the related tests ([])', () => {
    expect(recheckRounds([], [], judge)).toEqual([judge]);
    expect(recheckRounds([], [], [])).toEqual([[]]);
  });
});

describe('ownTests', () => {
  it("is the mirrored test file, and for a service's file also its folder's test", () => {
    expect(ownTests('lambdas/core/order.ts')).toEqual(['test/lambdas/core/order.test.ts', 'test/lambdas/core.test.ts']);
    expect(ownTests('lambdas/services/payment/provider.ts')).toEqual([
      'test/lambdas/services/payment/provider.test.ts',
      'test/lambdas/services/payment.test.ts',
    ]);
  });
});
