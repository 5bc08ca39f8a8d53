/**
 * cdk-nag's AwsSolutions pack on the synthesized app of every stage, and of the variants that add resources (the
 * customer-managed key, JWT on the local stage): no finding may stay unacknowledged. Acknowledgements, each with its
 * reason, live in lib/nag-suppressions.ts only.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { NAG_ACKNOWLEDGEMENTS } from '../../lib/nag-suppressions';
import { freshApp, STAGE_NAMES } from './synth';

/** Every unacknowledged AwsSolutions finding as `rule (severity) @ construct path`: errors and warnings alike. */
function findings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations
    .flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} (${v.severity}) @ ${(r as { constructPath?: string }).constructPath ?? r.resourceLogicalId}`),
    )
    .sort();
}

const JWT_LOCAL = {
  auth: 'jwt',
  jwtIssuer: 'http://127.0.0.1:9999',
  jwtAudience: 'orders-api',
  jwksUrl: 'http://127.0.0.1:9999/jwks.json',
  jwtScope: 'orders/api',
};
const variants: [string, Parameters<typeof freshApp>[0], Record<string, string>][] = [
  ...STAGE_NAMES.map((s) => [s, s, {}] as [string, Parameters<typeof freshApp>[0], Record<string, string>]),
  ['prod with the customer-managed key', 'prod', { kms: 'customer-managed' }],
  ['prod with an external issuer', 'prod', { jwtIssuer: 'https://issuer.example.com', jwtAudience: 'orders-api', jwtScope: 'orders/api' }],
  ['local with JWT and the customer-managed key', 'local', { ...JWT_LOCAL, kms: 'customer-managed' }],
];

describe.each(variants)('cdk-nag AwsSolutions: %s', (_name, stageName, context) => {
  it('no unacknowledged finding', () => {
    const { app, stack } = freshApp(stageName, context);
    app.synth();
    expect(findings(stack)).toEqual([]);
  });
});

describe('cdk-nag acknowledgements', () => {
  it('each names an AwsSolutions rule and gives a reason of substance', () => {
    for (const a of NAG_ACKNOWLEDGEMENTS) {
      expect(a.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(a.reason.length).toBeGreaterThan(60);
    }
    expect(new Set(NAG_ACKNOWLEDGEMENTS.map((a) => a.id)).size).toBe(NAG_ACKNOWLEDGEMENTS.length);
  });

  it('the check can fail: an unacknowledged violation is reported', () => {
    const { app, stack } = freshApp('local');
    app.synth();
    // The same app without the stage-specific acknowledgement of APIG4 (local has no authorizer).
    const before = findings(stack);
    const metadataKey = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
    const route = stack.api.api.node.findAll().find((c) => c.node.path.endsWith('POST--orders/Resource'))!;
    const meta = stack.api.api.node.metadata.find((m) => m.type === metadataKey)!;
    const data = meta.data as Record<string, unknown>;
    const key = Object.keys(data).find((k) => k.endsWith('AwsSolutions-APIG4'))!;
    const saved = data[key];
    delete data[key];
    try {
      expect(findings(stack)).toContain(`AwsSolutions-APIG4 (error) @ ${route.node.path}`);
    } finally {
      data[key] = saved;
    }
    expect(before).toEqual([]);
  });
});
