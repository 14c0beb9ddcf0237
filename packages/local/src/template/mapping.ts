import {
  type Mappings,
  type ReferenceResolver,
  resolveString,
  UnmappedReferenceError,
} from './intrinsics.ts';
import type { CfnResource, CfnTemplate } from './model.ts';

/**
 * THE mapping from a synthesized template to the local stack: what each `Ref` and
 * `Fn::GetAtt` a function's environment uses becomes locally, and which AWS addresses stand for
 * which local server. Everything the template states (names, timeouts, routes, settings) is taken
 * from the template; only what AWS would assign at deploy time (physical ids, endpoints, the
 * account) is assigned here. An unmapped reference fails the start naming its logical id.
 *
 * | template                                   | locally                                                  |
 * | ------------------------------------------ | -------------------------------------------------------- |
 * | `AWS::Region` / `AWS::AccountId`           | `us-east-1` / `000000000000`                             |
 * | DynamoDB table `Ref`                       | its `TableName` (dynalite creates it from the template)  |
 * | S3 bucket `Ref`                            | its `BucketName`, else `<stack>-<construct path>` lowercased |
 * | SQS queue `Ref` / `QueueUrl` / `Arn`       | the local SQS endpoint's queue URL / ARN                 |
 * | SNS topic `Ref`                            | a topic ARN the local SNS endpoint routes                |
 * | Secrets Manager secret (or attachment) `Ref` | a secret ARN the local secrets extension serves        |
 * | RDS instance / proxy `Endpoint(.Address)`  | the local PostgreSQL's host; `Endpoint.Port` its port     |
 * | WebSocket / REST API `Ref`                 | a local API id; its `execute-api` host → local gateway     |
 * | Cognito user pool / client `Ref`           | the local identity provider's pool id / client id        |
 * | Lambda function `Ref` / `Arn`              | `<stack>-<logical id>` / its ARN                         |
 * | IAM role `Ref` / `Arn`                     | `<stack>-<logical id>` (64 at most) / its ARN            |
 * | KMS key `Ref` / `Arn`                      | the logical id / `arn:aws:kms:…:key/<logical id>`        |
 * | Log group `Ref` / `Arn`                    | its `LogGroupName`, else `<stack>-<construct path>` / its ARN (`…:*`) |
 * | CloudFront distribution `DomainName`       | `<logical id>.cloudfront.net`; its `https://` URL → the local distribution |
 * | CloudFront public key `Ref`                | the logical id (the `Key-Pair-Id` of signed URLs)        |
 *
 * Addresses (`aliases`) are rewritten in resolved values, as DNS would resolve them: the
 * `execute-api` host of the WebSocket API → the local `@connections` endpoint, Cognito's issuer
 * host → the local identity provider, the deployment's SRV-GW host → the sample file server.
 * Files of the Lambda runtime (`/var/runtime/ca-cert.pem`, the CA bundle Lambda ships) map to
 * their local stand-ins.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Local values of what AWS assigns at deploy time. */
export interface LocalEnvironment {
  readonly stackName: string;
  /** Base URL of the local SQS endpoint (queue URLs are `<base>/<account>/<name>`). */
  readonly sqsEndpoint: string;
  readonly database: { readonly host: string; readonly port: number };
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  /** Prefix rewrites applied to every resolved value: AWS address → local address. */
  readonly aliases: readonly { readonly from: string; readonly to: string }[];
  /** Lambda runtime files → local files. */
  readonly files: Readonly<Record<string, string>>;
}

type Attr = (id: string, r: CfnResource, local: LocalEnvironment) => string;
interface TypeMapping {
  readonly ref?: Attr;
  readonly attrs?: Readonly<Record<string, Attr>>;
}

const p = (r: CfnResource, key: string): string | undefined => {
  const value = r.Properties?.[key];
  return typeof value === 'string' ? value : undefined;
};
const arn = (service: string, resource: string, region = LOCAL_REGION) =>
  `arn:aws:${service}:${region}:${LOCAL_ACCOUNT_ID}:${resource}`;

/** A resource's construct path without the stack and the trailing `Resource` (`Buckets/Uploads`). */
export function constructPath(r: CfnResource): string[] | undefined {
  const path = (r.Metadata as Record<string, unknown> | undefined)?.['aws:cdk:path'];
  if (typeof path !== 'string') return undefined;
  const segments = path.split('/').slice(1);
  return segments.at(-1) === 'Resource' ? segments.slice(0, -1) : segments;
}

/** `<stack>-<construct path>` (or the logical id without path metadata), as CloudFormation names unnamed resources. */
const generated = (id: string, r: CfnResource, stackName: string): string =>
  `${stackName}-${constructPath(r)?.join('-') ?? id}`;

/** Physical names, as the local stack creates the resources: the template's names, else generated. */
export const physicalName = {
  table: (id: string, r: CfnResource): string => p(r, 'TableName') ?? id,
  bucket: (id: string, r: CfnResource, stackName: string): string =>
    p(r, 'BucketName') ?? generated(id, r, stackName).toLowerCase().slice(0, 63),
  queue: (id: string, r: CfnResource, stackName: string): string =>
    p(r, 'QueueName') ?? generated(id, r, stackName).slice(0, 80),
  topic: (id: string, r: CfnResource, stackName: string): string =>
    p(r, 'TopicName') ?? generated(id, r, stackName),
  secret: (id: string, r: CfnResource, stackName: string): string =>
    p(r, 'Name') ?? generated(id, r, stackName),
  /** The local API id: the logical id lowercased (API Gateway's ids are 10 lowercase characters). */
  api: (id: string): string => id.toLowerCase(),
  role: (id: string, r: CfnResource, stackName: string): string =>
    p(r, 'RoleName') ?? `${stackName}-${id}`.slice(0, 64),
  logGroup: (id: string, r: CfnResource, stackName: string): string =>
    p(r, 'LogGroupName') ?? generated(id, r, stackName),
};

const queueUrl = (id: string, r: CfnResource, l: LocalEnvironment) =>
  `${l.sqsEndpoint}/${LOCAL_ACCOUNT_ID}/${physicalName.queue(id, r, l.stackName)}`;
const secretArn = (id: string, r: CfnResource, l: LocalEnvironment) =>
  arn('secretsmanager', `secret:${physicalName.secret(id, r, l.stackName)}`);

const BY_TYPE: Readonly<Record<string, TypeMapping>> = {
  'AWS::DynamoDB::Table': {
    ref: (id, r) => physicalName.table(id, r),
    attrs: { Arn: (id, r) => arn('dynamodb', `table/${physicalName.table(id, r)}`) },
  },
  'AWS::S3::Bucket': {
    ref: (id, r, l) => physicalName.bucket(id, r, l.stackName),
    attrs: { Arn: (id, r, l) => `arn:aws:s3:::${physicalName.bucket(id, r, l.stackName)}` },
  },
  'AWS::SQS::Queue': {
    ref: queueUrl,
    attrs: {
      QueueUrl: queueUrl,
      QueueName: (id, r, l) => physicalName.queue(id, r, l.stackName),
      Arn: (id, r, l) => arn('sqs', physicalName.queue(id, r, l.stackName)),
    },
  },
  'AWS::SNS::Topic': {
    ref: (id, r, l) => arn('sns', physicalName.topic(id, r, l.stackName)),
    attrs: { TopicArn: (id, r, l) => arn('sns', physicalName.topic(id, r, l.stackName)) },
  },
  'AWS::SecretsManager::Secret': { ref: secretArn, attrs: { Id: secretArn } },
  'AWS::RDS::DBInstance': {
    attrs: {
      'Endpoint.Address': (_id, _r, l) => l.database.host,
      'Endpoint.Port': (_id, _r, l) => String(l.database.port),
    },
  },
  'AWS::RDS::DBProxy': { attrs: { Endpoint: (_id, _r, l) => l.database.host } },
  'AWS::ApiGatewayV2::Api': { ref: (id) => physicalName.api(id) },
  'AWS::ApiGateway::RestApi': { ref: (id) => physicalName.api(id) },
  'AWS::Cognito::UserPool': {
    ref: (_id, _r, l) => l.userPoolId,
    attrs: { Arn: (_id, _r, l) => arn('cognito-idp', `userpool/${l.userPoolId}`) },
  },
  'AWS::Cognito::UserPoolClient': { ref: (_id, _r, l) => l.userPoolClientId },
  'AWS::Lambda::Function': {
    ref: (id, _r, l) => functionName(l.stackName, id),
    attrs: { Arn: (id, _r, l) => arn('lambda', `function:${functionName(l.stackName, id)}`) },
  },
  // IAM is global: no region in its ARNs.
  'AWS::IAM::Role': {
    ref: (id, r, l) => physicalName.role(id, r, l.stackName),
    attrs: {
      Arn: (id, r, l) => `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${physicalName.role(id, r, l.stackName)}`,
    },
  },
  'AWS::KMS::Key': { ref: (id) => id, attrs: { Arn: (id) => arn('kms', `key/${id}`) } },
  'AWS::CloudFront::Distribution': {
    ref: (id) => id,
    attrs: { DomainName: (id) => distributionDomain(id) },
  },
  'AWS::CloudFront::PublicKey': { ref: (id) => id },
  // A log group's `Arn` attribute ends in `:*` (it covers the group's streams).
  'AWS::Logs::LogGroup': {
    ref: (id, r, l) => physicalName.logGroup(id, r, l.stackName),
    attrs: { Arn: (id, r, l) => arn('logs', `log-group:${physicalName.logGroup(id, r, l.stackName)}:*`) },
  },
};

/** The host name a distribution gets locally (CloudFront's are `d111111abcdef8.cloudfront.net`). */
export function distributionDomain(distributionId: string): string {
  return `${distributionId.toLowerCase()}.cloudfront.net`;
}

/** The name Lambda gives a function without `FunctionName`: `<stack>-<logical id>`, at most 64 characters. */
export function functionName(stackName: string, functionId: string): string {
  return `${stackName}-${functionId}`.slice(0, 64);
}

const PSEUDO: Readonly<Record<string, (l: LocalEnvironment) => string>> = {
  'AWS::Region': () => LOCAL_REGION,
  'AWS::AccountId': () => LOCAL_ACCOUNT_ID,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': (l) => l.stackName,
};

/**
 * A resolver for the template's references under the local mapping.
 *
 * @example
 * const resolver = localResolver(template, local);
 * resolveString({ Ref: 'TablesConnectionsF6D675B1' }, resolver, 'env'); // 'heralddev-connections'
 */
export function localResolver(template: CfnTemplate, local: LocalEnvironment): ReferenceResolver {
  const lookup = (id: string, where: string) => {
    const resource = template.Resources[id];
    if (resource === undefined)
      throw new UnmappedReferenceError(id, 'no such resource in the template', where);
    return resource;
  };
  return {
    ref(id, where) {
      const pseudo = PSEUDO[id];
      if (pseudo) return pseudo(local);
      const resource = lookup(id, where);
      // A secret attachment's Ref is the attached secret's ARN.
      if (resource.Type === 'AWS::SecretsManager::SecretTargetAttachment') {
        const secretId = (resource.Properties?.SecretId as { Ref?: string } | undefined)?.Ref;
        if (secretId !== undefined) return this.ref(secretId, where);
      }
      const ref = BY_TYPE[resource.Type]?.ref;
      if (!ref) throw new UnmappedReferenceError(id, `Ref of a ${resource.Type}`, where);
      return ref(id, resource, local);
    },
    getAtt(id, attribute, where) {
      const resource = lookup(id, where);
      const attr = BY_TYPE[resource.Type]?.attrs?.[attribute];
      if (!attr) throw new UnmappedReferenceError(id, `Fn::GetAtt ${attribute} of a ${resource.Type}`, where);
      return attr(id, resource, local);
    },
  };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Applies the runtime-file mapping and the address aliases to one resolved value. An alias
 * replaces a whole address (`https://srv-gw.invalid` in `https://srv-gw.invalid/files`, or each
 * origin of a comma-separated list), never part of a longer host name.
 *
 * @example
 * localizeValue('https://srv-gw.invalid/v1', { …, aliases: [{ from: 'https://srv-gw.invalid', to: 'https://127.0.0.1:4433' }] });
 * // 'https://127.0.0.1:4433/v1'
 */
export function localizeValue(value: string, local: Pick<LocalEnvironment, 'files' | 'aliases'>): string {
  const file = local.files[value];
  if (file !== undefined) return file;
  let out = value;
  for (const { from, to } of local.aliases)
    out = out.replace(new RegExp(`${escapeRegExp(from)}(?=$|[/,?#])`, 'g'), to);
  return out;
}

/**
 * A function's `Environment.Variables`, resolved and localized. Throws
 * {@link UnmappedReferenceError} naming the function, the variable and the logical id.
 */
export function resolveEnvironment(
  functionId: string,
  variables: Readonly<Record<string, unknown>>,
  template: CfnTemplate,
  local: LocalEnvironment,
): Record<string, string> {
  const resolver = localResolver(template, local);
  const mappings = (template.Mappings ?? {}) as Mappings;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables))
    env[name] = localizeValue(
      resolveString(value, resolver, `function ${functionId}, variable ${name}`, mappings),
      local,
    );
  return env;
}
