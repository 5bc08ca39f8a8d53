/**
 * Shared by the template tests: synthesize the real stack for a stage once per test file, and small readers of
 * the template that tie resources back to the registry (logical ids of the stack's exposed parts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { PipelineStack, stackName } from '../../lib/pipeline-stack';
import { STAGES, type StageConfig, type StageName } from '../../lib/stages';

export const STAGE_NAMES = Object.keys(STAGES) as StageName[];

export interface Synthesized {
  readonly stage: StageConfig;
  readonly stack: PipelineStack;
  readonly template: Template;
}

const cache = new Map<string, Synthesized>();

/**
 * The stack for one stage, synthesized once per test file. Bundling is skipped unless asked for
 * (`aws:cdk:bundling-stacks`): the template is the same, and bundling 9 functions per stage would dominate the run.
 * CDK's built-in CloudFormation schema validation is off too (seconds per cold synth; it only warns, and
 * `cdk synth` still runs it).
 */
export function synth(stageName: StageName, { bundle = false } = {}): Synthesized {
  const key = `${stageName}:${bundle}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const stage = STAGES[stageName];
  const app = new App({
    builtinCloudFormationValidation: false,
    outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')),
    context: { stage: stageName, 'aws:cdk:bundling-stacks': bundle ? ['**'] : [] },
  });
  const stack = new PipelineStack(app, stackName(stage), { stage });
  const result = { stage, stack, template: Template.fromStack(stack) };
  cache.set(key, result);
  return result;
}

/**
 * A new app and stack for one stage, not cached (for tests that add aspects, such as cdk-nag, or set context such as
 * `auth` and `kms`). Bundling and schema validation are skipped as in `synth`.
 */
export function freshApp(stageName: StageName, context: Record<string, string> = {}): { app: App; stack: PipelineStack; template: () => Template } {
  const stage = STAGES[stageName];
  const app = new App({
    builtinCloudFormationValidation: false,
    outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')),
    context: { stage: stageName, 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stack = new PipelineStack(app, stackName(stage), { stage });
  return { app, stack, template: () => Template.fromStack(stack) };
}

/** The CloudFormation logical id of an L2 construct's main resource. */
export const logicalId = (construct: IConstruct): string => {
  const cfn = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(cfn);
};

/** Every logical id a JSON fragment references (Ref and Fn::GetAtt). */
export function referencedIds(fragment: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(fragment)) fragment.forEach((f) => referencedIds(f, into));
  else if (fragment && typeof fragment === 'object') {
    for (const [k, v] of Object.entries(fragment)) {
      if (k === 'Ref' && typeof v === 'string') into.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v)) into.add(String(v[0]));
      else referencedIds(v, into);
    }
  }
  return into;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The statements of every identity policy attached to a function's role. */
export function roleStatements(template: Template, fn: { role?: IConstruct }): Statement[] {
  if (!fn.role) throw new Error('function has no role');
  const roleId = logicalId(fn.role);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => referencedIds(p.Properties.Roles).has(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** A resource's properties by logical id. */
export const propsOf = (template: Template, id: string): Record<string, any> => {
  const resource = template.toJSON().Resources[id];
  if (!resource) throw new Error(`no resource ${id}`);
  return resource.Properties ?? {};
};
