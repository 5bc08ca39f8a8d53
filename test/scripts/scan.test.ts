/**
 * The scan gate (scripts/scan.ts, `npm run scan`, CI): any cfn-lint or Checkov finding that lib/scan-acknowledgements.ts
 * does not acknowledge fails it. The scanners themselves run in `npm run scan` (minutes); this checks the judging.
 */
import { describe, expect, it } from 'vitest';
import { judge, SCAN_ACKNOWLEDGEMENTS, type ScanFinding } from '../../lib/scan-acknowledgements';

const finding = (o: Partial<ScanFinding>): ScanFinding => ({ tool: 'checkov', rule: 'CKV_AWS_117', resource: 'AWS::Lambda::Function.Fn', stage: 'prod', ...o });

describe('scan acknowledgements', () => {
  it('a new finding is unacknowledged and fails the scan', () => {
    const novel = finding({ rule: 'CKV_AWS_999' });
    expect(judge([finding({}), novel]).unacknowledged).toEqual([novel]);
    // A known rule from the other tool is not covered either.
    expect(judge([finding({ tool: 'cfn-lint' })]).unacknowledged).toHaveLength(1);
  });

  it('a stage-limited acknowledgement does not cover the other stages', () => {
    expect(judge([finding({ rule: 'CKV_AWS_28', stage: 'dev' })]).unacknowledged).toEqual([]);
    expect(judge([finding({ rule: 'CKV_AWS_28', stage: 'prod' })]).unacknowledged).toHaveLength(1);
    expect(judge([finding({ rule: 'CKV_AWS_26', stage: 'prod' })]).unacknowledged).toHaveLength(1);
  });

  it('each rule is acknowledged once, with a reason of substance', () => {
    for (const a of SCAN_ACKNOWLEDGEMENTS) expect(a.reason.length, `${a.tool} ${a.rule}`).toBeGreaterThan(60);
    const keys = SCAN_ACKNOWLEDGEMENTS.map((a) => `${a.tool} ${a.rule}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('reports acknowledgements that matched nothing (stale)', () => {
    expect(judge([finding({})]).unused.length).toBe(SCAN_ACKNOWLEDGEMENTS.length - 1);
  });
});
