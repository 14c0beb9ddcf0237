import { Stack, Validations } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Helpers to acknowledge cdk-nag findings next to the code that causes them, each with its
 * reason. cdk-nag v3 reads acknowledgements from construct metadata and honours them on the
 * construct and everything below it, so an acknowledgement on a narrow scope (one function's
 * role, one policy) cannot hide the same finding elsewhere.
 */

/** Acknowledges one cdk-nag rule (or one `Rule[finding]`) on `scope` and its children. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Turns a resolved CloudFormation value into the flat string cdk-nag's IAM5 rule reports
 * (`<Logical.Arn>/uploads/*`), mirroring `flattenCfnReference` in cdk-nag 3.
 */
export function flattenCfnValue(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnValue).join(delimiter);
    }
    if (o['Fn::Sub']) return flattenCfnValue(o['Fn::Sub']);
    if (o['Fn::GetAtt']) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnValue(resource)}.${flattenCfnValue(attribute)}>`;
    }
    if (o['Fn::ImportValue']) return flattenCfnValue(o['Fn::ImportValue']);
    if (o.Ref) return `<${flattenCfnValue(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** The `AwsSolutions-IAM5[...]` finding ids a statement produces (wildcard actions and resources). */
export function wildcardFindings(scope: IConstruct, statement: PolicyStatement): string[] {
  const json = Stack.of(scope).resolve(statement.toStatementJson()) as {
    Action?: string | string[];
    Resource?: unknown;
  };
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const actions = list(json.Action)
    .filter((a) => a.includes('*'))
    .map((a) => `Action::${a}`);
  const resources = list(json.Resource)
    .map(flattenCfnValue)
    .filter((r) => r.includes('*'))
    .map((r) => `Resource::${r}`);
  return [...actions, ...resources].map((finding) => `AwsSolutions-IAM5[${finding}]`);
}

/**
 * Acknowledges exactly the wildcard findings of `statement` on `scope` (the role or policy that
 * holds it), with one reason. A statement without wildcards acknowledges nothing.
 */
export function acknowledgeWildcards(scope: IConstruct, statement: PolicyStatement, reason: string): void {
  for (const id of wildcardFindings(scope, statement)) acknowledge(scope, id, reason);
}
