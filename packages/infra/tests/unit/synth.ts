import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addHeraldStack } from '../../lib/app.ts';
import type { HeraldStack } from '../../lib/stacks/herald-stack.ts';

/** A synthesized Herald app, shared by the tests of one file (synthesis takes seconds). */
export interface Synthesized {
  readonly app: App;
  readonly stack: HeraldStack;
  readonly template: Template;
  /** The resolved CloudFormation template. */
  readonly json: CfnTemplate;
  /** cdk-nag AwsSolutions findings left unacknowledged. */
  readonly violations: ReturnType<AwsSolutionsChecks['validateScope']>['violations'];
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly [key: string]: unknown;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/**
 * Synthesizes the app as `cdk synth -c env=<envName>` would, except that esbuild does not run
 * (the `aws:cdk:bundling-stacks` context the CLI uses for `--exclusively`): bundling is asserted
 * once, in bundling.test.ts. The checks run the same AwsSolutions pack `bin/app.ts` registers.
 */
export function synthesize(envName: 'dev' | 'prod', context: Record<string, string> = {}): Synthesized {
  // The built-in CloudFormation validation (a WASM linter, ~10 s per template on this machine)
  // runs once, in stack-prod.test.ts.
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [], env: envName, ...context },
  });
  const stack = addHeraldStack(app, { nag: false });
  const template = Template.fromStack(stack);
  const violations = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app).violations;
  return { app, stack, template, json: template.toJSON() as CfnTemplate, violations };
}

/** A function's `Environment.Variables`, by the function's logical id. */
export function variablesOf(json: CfnTemplate, functionId: string): Record<string, unknown> {
  const environment = json.Resources[functionId]?.Properties?.Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;
  return environment?.Variables ?? {};
}

/** Resources of one type, by logical id. */
export function resourcesOf(json: CfnTemplate, type: string): [string, CfnResourceJson][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

/**
 * Flattens a CloudFormation value to a string, replacing every unresolved part (`Ref`,
 * `Fn::GetAtt`, …) by `token`: `postgresql://token:5432/herald`.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map(flatten).join(sep);
  }
  return 'token';
}
