import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { flattenCfnValue } from '../../lib/nag.ts';
import type { HeraldStack } from '../../lib/stacks/herald-stack.ts';
import type { CfnTemplate } from './synth.ts';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/**
 * Readable names for the resources grants point at (`table:Connections`, `bucket:uploads`), so
 * expected grants read like a spec rather than a list of hashed logical ids.
 */
export function resourceLabels(stack: HeraldStack): Map<string, string> {
  const labels = new Map<string, string>();
  for (const { table, def } of stack.tables.all()) labels.set(logicalId(table), `table:${def.id}`);
  labels.set(logicalId(stack.buckets.uploads), 'bucket:uploads');
  labels.set(logicalId(stack.buckets.files), 'bucket:files');
  labels.set(logicalId(stack.buckets.key), 'key:buckets');
  labels.set(logicalId(stack.secrets.fcm), 'secret:fcm');
  labels.set(logicalId(stack.secrets.srvgw), 'secret:srvgw');
  labels.set(logicalId(stack.database.secret), 'secret:database');
  labels.set(logicalId(stack.webSocket.api), 'ws');
  for (const [id, worker] of stack.queueWorkers) {
    labels.set(logicalId(worker.queue), `queue:${id}`);
    labels.set(logicalId(worker.deadLetterQueue), `queue:${id}Dlq`);
  }
  for (const [id, subscriber] of stack.topicSubscribers) {
    labels.set(logicalId(subscriber.topic), `topic:${id}`);
    labels.set(logicalId(subscriber.deadLetterQueue), `queue:${id}Dlq`);
  }
  return labels;
}

/**
 * Every `action resource` pair the role of a function is allowed, across all its policies,
 * except its own logs and the platform policy (X-Ray, ENIs), which every function has.
 */
export function grantsOf(json: CfnTemplate, stack: HeraldStack, roleLogicalId: string): string[] {
  const labels = resourceLabels(stack);
  const label = (resource: unknown) =>
    flattenCfnValue(resource).replace(
      /<([A-Za-z0-9]+)(\.Arn)?>/g,
      (whole, id: string) => labels.get(id) ?? whole,
    );
  const out: string[] = [];
  for (const [id, r] of Object.entries(json.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = (r.Properties?.Roles as { Ref: string }[] | undefined) ?? [];
    if (!roles.some((ref) => ref.Ref === roleLogicalId)) continue;
    if (id.includes('PlatformPolicy')) continue;
    const doc = r.Properties?.PolicyDocument as { Statement: Statement[] };
    for (const s of doc.Statement) {
      if (s.Effect !== 'Allow') continue;
      for (const action of list(s.Action)) {
        if (action.startsWith('logs:')) continue;
        for (const resource of list(s.Resource)) out.push(`${action} ${label(resource)}`);
      }
    }
  }
  return out.sort();
}

/** Every Allow statement in the template, with the policy that holds it. */
export function allStatements(
  json: CfnTemplate,
): { policy: string; actions: string[]; resources: string[] }[] {
  const out: { policy: string; actions: string[]; resources: string[] }[] = [];
  for (const [id, r] of Object.entries(json.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const doc = r.Properties?.PolicyDocument as { Statement: Statement[] };
    for (const s of doc.Statement) {
      if (s.Effect !== 'Allow') continue;
      out.push({ policy: id, actions: list(s.Action), resources: list(s.Resource).map(flattenCfnValue) });
    }
  }
  return out;
}
