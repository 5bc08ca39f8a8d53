import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FAULT_HEADER } from '../../lambdas/core/faults';
import { ROOT } from '../../scripts/local/paths';
import { schemathesisArgs } from '../../scripts/fuzz/run';

/** Runs scripts/fuzz/rules.py's `strip` on each case with the system python3 (it imports no Schemathesis). */
function strip(cases: { headers: Record<string, string>; phase: string; target?: string }[]) {
  const program = [
    'import json, sys',
    'sys.path.insert(0, "scripts/fuzz")',
    'import rules as f',
    'p = f.accepted_pattern()',
    'out = []',
    'for c in json.load(sys.stdin):',
    '    h = dict(c["headers"])',
    '    reasons = f.strip(h, pattern=p, phase=c["phase"], target=c.get("target"))',
    '    out.append({"headers": h, "reasons": reasons})',
    'print(json.dumps({"pattern": p.pattern, "ACCEPTED": f.ACCEPTED, "COVERAGE_SEED": f.COVERAGE_SEED, "out": out}))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', program], { cwd: ROOT, input: JSON.stringify(cases), encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { pattern: string; ACCEPTED: string; COVERAGE_SEED: string; out: { headers: Record<string, string>; reasons: string[] }[] };
}

describe('npm run test:fuzz: the st run command line', () => {
  it('names no checks: a check named there beats schemathesis.toml, so `--checks all` turned its exclusions back on', () => {
    const args = schemathesisArgs('http://127.0.0.1:4566/_aws/execute-api/x', {});
    expect(args).not.toContain('--checks');
    expect(args).not.toContain('-c');
    expect(args.some((a) => a.startsWith('--checks=') || a.startsWith('--exclude-checks'))).toBe(false);
    expect(args[args.indexOf('--config-file') + 1]).toMatch(/scripts\/fuzz\/schemathesis\.toml$/);
    expect(args[args.indexOf('--max-examples') + 1]).toBe('150');
    expect(schemathesisArgs('http://x', { FUZZ_MAX_EXAMPLES: '7', FUZZ_SEED: '42' })).toEqual(expect.arrayContaining(['7', '--seed', '42']));
  });
});

describe('scripts/fuzz/rules.py: what the fuzzer sends as X-Fault-Inject', () => {
  it("reads the API's own pattern from docs/openapi.local.json and agrees with FAULT_HEADER on accepted values", () => {
    const samples = [
      'publish-fail-once',
      ' relay-gives-up , fail:payment ',
      'drop:x,crash-in-provider',
      'crash-after-effect:inventory',
      '0',
      '',
      'publish-fail-once\n',
      'Publish-fail-once',
      'fail:',
      'drop:x,',
      'fail:payment;x',
    ];
    const { pattern, out, ACCEPTED } = strip(samples.map((v) => ({ headers: { 'X-Fault-Inject': v }, phase: 'fuzzing' })));
    expect(pattern).toBe(FAULT_HEADER.source);
    samples.forEach((v, i) => expect([v, out[i]!.reasons.includes(ACCEPTED)]).toEqual([v, FAULT_HEADER.test(v)]));
  });

  it('never sends a value that names real fault hooks, in any phase and any spelling of the header name', () => {
    const { out, ACCEPTED } = strip([
      { headers: { 'X-Fault-Inject': 'relay-gives-up', 'Idempotency-Key': 'k1' }, phase: 'fuzzing' },
      { headers: { 'x-fault-inject': 'fail:payment' }, phase: 'stateful' },
      { headers: { 'X-Fault-Inject': 'publish-fail-once' }, phase: 'coverage', target: 'X-Fault-Inject' },
    ]);
    expect(out).toEqual([
      { headers: { 'Idempotency-Key': 'k1' }, reasons: [ACCEPTED] },
      { headers: {}, reasons: [ACCEPTED] },
      { headers: {}, reasons: [ACCEPTED] },
    ]);
  });

  it("drops the coverage phase's stand-in value from cases that do not test the header, keeps it where they do", () => {
    const { out, COVERAGE_SEED } = strip([
      // "Default positive test case" and body mutations: Schemathesis 4.32.5 put `X-Fault-Inject: 0` into all of them.
      { headers: { 'X-Fault-Inject': '0' }, phase: 'coverage', target: 'application/json' },
      { headers: { 'X-Fault-Inject': '0', 'Idempotency-Key': '' }, phase: 'coverage', target: 'Idempotency-Key' },
      { headers: { 'X-Fault-Inject': '0' }, phase: 'coverage' },
      // The cases that mutate X-Fault-Inject itself: a malformed value must be a 400.
      { headers: { 'X-Fault-Inject': 'null,null' }, phase: 'coverage', target: 'X-Fault-Inject' },
      // Outside the coverage phase a refused value is sent as generated.
      { headers: { 'X-Fault-Inject': 'wbOk[/w' }, phase: 'fuzzing' },
    ]);
    expect(out).toEqual([
      { headers: {}, reasons: [COVERAGE_SEED] },
      { headers: { 'Idempotency-Key': '' }, reasons: [COVERAGE_SEED] },
      { headers: {}, reasons: [COVERAGE_SEED] },
      { headers: { 'X-Fault-Inject': 'null,null' }, reasons: [] },
      { headers: { 'X-Fault-Inject': 'wbOk[/w' }, reasons: [] },
    ]);
  });
});

describe('scripts/fuzz/rules.py: one line per SKU', () => {
  const py = (program: string, input: unknown) => {
    const run = spawnSync('python3', ['-c', `import json, sys\nsys.path.insert(0, "scripts/fuzz")\nimport rules\n${program}`], {
      cwd: ROOT,
      input: JSON.stringify(input),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout);
  };

  it('renames the repeats of a coverage-phase body (50 x sku "0") to distinct SKUs within 64 characters, NFC-aware', () => {
    const long = 'x'.repeat(64);
    const bodies = [
      { items: Array.from({ length: 50 }, () => ({ sku: '0', quantity: 1 })) },
      {
        items: [
          { sku: long, quantity: 1 },
          { sku: long, quantity: 2 },
          { sku: `${long.slice(0, 62)}~1`, quantity: 3 },
        ],
      },
      {
        items: [
          { sku: 'e\u0301', quantity: 1 },
          { sku: '\u00e9', quantity: 1 },
        ],
      },
      {
        items: [
          { sku: 'a', quantity: 1 },
          { sku: 'b', quantity: 1 },
        ],
      },
    ];
    const out = py(
      'bodies = json.load(sys.stdin)\nn = [rules.distinct_skus(b) for b in bodies]\nprint(json.dumps({"n": n, "bodies": bodies, "dup": [rules.has_duplicate_sku(b) for b in bodies]}))',
      bodies,
    );
    expect(out.n).toEqual([49, 1, 1, 0]);
    expect(out.dup).toEqual([false, false, false, false]);
    for (const b of out.bodies as { items: { sku: string; quantity: number }[] }[]) {
      const skus = b.items.map((l) => l.sku.normalize('NFC'));
      expect(new Set(skus).size).toBe(skus.length);
      for (const s of skus) expect([...s].length).toBeLessThanOrEqual(64);
    }
    expect(out.bodies[0].items[0]).toEqual({ sku: '0', quantity: 1 });
    expect(out.bodies[3]).toEqual(bodies[3]);
  });

  it('sees a duplicate the way the API does (after NFC), and leaves other bodies alone', () => {
    expect(
      py('print(json.dumps([rules.has_duplicate_sku(b) for b in json.load(sys.stdin)]))', [
        { items: [{ sku: 'e\u0301' }, { sku: '\u00e9' }] },
        { items: 'x' },
        null,
        { items: [{ sku: 'a' }, { sku: 'b' }] },
      ]),
    ).toEqual([true, false, false, false]);
  });
});
