import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { LocalQueue } from '../queue.ts';
import { type S3EventSource, wireS3EventsToQueue } from '../s3-events.ts';
import type { LocalSecrets } from '../secrets.ts';
import { snsEvent } from '../sns.ts';
import { FunctionHost } from './function-host.ts';
import { resolveString } from './intrinsics.ts';
import {
  constructPath,
  functionName,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type LocalEnvironment,
  localResolver,
  physicalName,
  resolveEnvironment,
} from './mapping.ts';
import type { CfnResource, FunctionSpec, StackModel } from './model.ts';
import { nodeBinaryFor } from './runtime.ts';

/**
 * Runs a stack model on local servers: creates its tables and secrets, starts each function as
 * its bundle in its own processes with the template's environment (resolved through the local
 * mapping), and wires queues, event source mappings, S3 notifications, topic subscriptions and
 * custom resources as the template declares them. The gateway (REST and WebSocket) is wired by
 * the caller, from the same model.
 */

export interface TemplateRuntimeOptions {
  readonly model: StackModel;
  readonly local: LocalEnvironment;
  readonly dynamo: DynamoDBClient;
  /** s3rver: its object events feed the template's bucket notifications. */
  readonly s3Events: S3EventSource;
  readonly secrets: LocalSecrets;
  /** Port of the local secrets server (the Parameters and Secrets extension's stand-in). */
  readonly secretsPort: number;
  /**
   * Base URLs a function's AWS SDK clients use (`AWS_ENDPOINT_URL_<SERVICE>`), the execution
   * environment's equivalent of DNS for the regional endpoints.
   */
  readonly endpoints: Readonly<Record<'S3' | 'DYNAMODB' | 'SQS' | 'SNS' | 'SECRETS_MANAGER', string>>;
  /**
   * The database: its administrator creates the template's master user with the password of the
   * generated secret (RDS does that at instance creation).
   */
  readonly database: {
    readonly host: string;
    readonly port: number;
    createRole(role: string, password: string): Promise<void>;
  };
  /**
   * Tells the local services a function's own credentials (s3rver admits the key; IAM evaluates
   * the calls signed with it against the function's role).
   */
  readonly registerCredentials?: (functionId: string, credentials: FunctionCredentials) => void;
  /** Values of secrets whose content comes from outside AWS, by construct id (`SrvGwCredential`). */
  readonly externalSecrets?: Readonly<Record<string, string>>;
  /**
   * Variables added to every function's environment that no template states: the local
   * stand-ins for boundaries no local server can play (the FCM push outbox). Documented in the
   * README's "What runs locally".
   */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
  /**
   * The local stand-in for the public web PKI, trusted by every function as Lambda trusts the
   * public roots (a template's own `NODE_EXTRA_CA_CERTS` replaces it, with a bundle that has it).
   */
  readonly publicCaFile: string;
  /** Instances per function at most, where the template sets no concurrency. @default 8 */
  readonly defaultMaxInstances?: number;
  /**
   * Tests only: a shorter SQS visibility timeout than the template's (6 × a 900 s worker would make
   * a redelivery test wait 90 minutes). @default - the template's `VisibilityTimeout`
   */
  readonly visibilityTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** The temporary credentials of a function's execution role, as Lambda puts them in its environment. */
export interface FunctionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** A function's process environment, as Lambda builds it around the template's variables. */
function executionEnvironment(
  fn: FunctionSpec,
  name: string,
  credentials: FunctionCredentials,
  options: TemplateRuntimeOptions,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMiB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    LAMBDA_TASK_ROOT: fn.codeDir,
    _HANDLER: fn.handler,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    // The machine's trust store stands for the public web PKI: the local "public" CA is in it.
    NODE_EXTRA_CA_CERTS: options.publicCaFile,
    ...Object.fromEntries(
      Object.entries(options.endpoints).map(([service, url]) => [`AWS_ENDPOINT_URL_${service}`, url]),
    ),
    ...options.extraEnvironment,
  };
  return env;
}

export class TemplateRuntime {
  readonly model: StackModel;
  /** Function hosts by logical id. */
  readonly functions = new Map<string, FunctionHost>();
  /** Queues with an event source mapping, by physical name (what queue URLs end in). */
  readonly queues = new Map<string, LocalQueue>();
  readonly #options: TemplateRuntimeOptions;
  readonly #environments = new Map<string, Readonly<Record<string, string>>>();
  readonly #stops: Array<() => unknown> = [];

  private constructor(options: TemplateRuntimeOptions) {
    this.model = options.model;
    this.#options = options;
  }

  /**
   * Creates the template's resources and starts its functions (lazily: an instance starts at
   * its first invocation, a cold start as on Lambda).
   *
   * @example
   * const runtime = await TemplateRuntime.start({ model, local, dynamo, s3Events, secrets, … });
   * await runtime.invoke('RealtimeHttpWhoamiFunctionAEF4C318', event);
   */
  static async start(options: TemplateRuntimeOptions): Promise<TemplateRuntime> {
    const runtime = new TemplateRuntime(options);
    try {
      await runtime.#createTables();
      await runtime.#createSecrets();
      runtime.#startFunctions();
      runtime.#wireQueues();
      return runtime;
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }

  /** Invokes a function by logical id, as its triggers do. */
  invoke(functionId: string, event: unknown): Promise<unknown> {
    const host = this.functions.get(functionId);
    if (!host) throw new Error(`no function ${functionId} in the template`);
    return host.invoke(event);
  }

  /** The whole process environment of a function's instances (by logical id). */
  environmentOf(functionId: string): Readonly<Record<string, string>> | undefined {
    return this.#environments.get(functionId);
  }

  /** The physical name Lambda would give a function (`<stack>-<logical id>`, at most 64 characters). */
  functionName(functionId: string): string {
    return functionName(this.model.stackName, functionId);
  }

  /** The ARN of a topic with Lambda subscribers (construct id or logical id), or undefined. */
  topicArn(topic: string): string | undefined {
    const [subscription] = this.#subscriptionsOf(topic);
    return (
      subscription && localResolver(this.model.template, this.#options.local).ref(subscription.topicId, topic)
    );
  }

  /** The Lambda subscriptions of a topic named by its construct id (`NotifyTopic`) or logical id. */
  #subscriptionsOf(topic: string) {
    return this.model.subscriptions.filter(
      (s) => s.topicId === topic || s.topicPath?.split('/')[1] === topic,
    );
  }

  /**
   * Publishes a message to a topic as SNS does for a Lambda subscription (one invocation per
   * subscriber, without SNS's asynchronous retries). `topic` is the construct id (`NotifyTopic`)
   * or the logical id.
   */
  async publish(topic: string, message: string): Promise<string> {
    const subscriptions = this.#subscriptionsOf(topic);
    if (subscriptions.length === 0)
      throw new Error(`no topic ${topic} with a Lambda subscriber in the template`);
    const event = snsEvent(topic, message, LOCAL_REGION);
    await Promise.all(subscriptions.map((s) => this.invoke(s.functionId, event)));
    return event.Records[0]?.Sns.MessageId ?? randomUUID();
  }

  /**
   * Runs the template's custom resources backed by our functions (the migrator), as
   * CloudFormation's provider framework would on stack creation.
   */
  async runCustomResources(): Promise<void> {
    const resolver = localResolver(this.model.template, this.#options.local);
    for (const resource of this.model.customResources) {
      const properties = Object.fromEntries(
        Object.entries(resource.properties).map(([k, v]) => [
          k,
          resolveString(v, resolver, `${resource.id}.${k}`),
        ]),
      );
      await this.invoke(resource.functionId, {
        RequestType: 'Create',
        ServiceToken: properties.ServiceToken,
        ResponseURL: 'http://127.0.0.1/unused',
        StackId: `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stack/${this.model.stackName}/local`,
        RequestId: randomUUID(),
        LogicalResourceId: resource.id,
        ResourceType: resource.type,
        ResourceProperties: properties,
      });
    }
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.reverse()) await Promise.resolve(stop()).catch(() => {});
    this.#stops.length = 0;
  }

  async #createTables(): Promise<void> {
    const { dynamo } = this.#options;
    for (const table of this.model.tables.values()) {
      const p = table.properties as Record<string, unknown>;
      // CreateTable's input is the resource's properties minus what CloudFormation alone knows.
      const input = {
        TableName: physicalName.table(table.id, { Type: 'AWS::DynamoDB::Table', Properties: p }),
        AttributeDefinitions: p.AttributeDefinitions,
        KeySchema: p.KeySchema,
        BillingMode: p.BillingMode ?? 'PAY_PER_REQUEST',
        ...(p.GlobalSecondaryIndexes !== undefined && { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes }),
      } as CreateTableCommandInput;
      try {
        await dynamo.send(new CreateTableCommand(input));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilTableExists(
        { client: dynamo, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 },
        { TableName: input.TableName },
      );
    }
  }

  /**
   * Every `AWS::SecretsManager::Secret` of the template, with a value as AWS would hold it: the
   * generated database credentials in RDS's JSON shape (and the master user created with that
   * password), outside credentials from `externalSecrets`, a generated string otherwise.
   */
  async #createSecrets(): Promise<void> {
    const { template, stackName } = this.model;
    const resources = Object.entries(template.Resources);
    const resolver = localResolver(template, this.#options.local);
    const attachedTo = new Map<string, CfnResource>();
    for (const [, r] of resources) {
      if (r.Type !== 'AWS::SecretsManager::SecretTargetAttachment') continue;
      const secretId = (r.Properties?.SecretId as { Ref?: string } | undefined)?.Ref;
      const targetId = (r.Properties?.TargetId as { Ref?: string } | undefined)?.Ref;
      const target = targetId === undefined ? undefined : template.Resources[targetId];
      if (secretId !== undefined && target?.Type === 'AWS::RDS::DBInstance') attachedTo.set(secretId, target);
    }
    for (const [id, r] of resources) {
      if (r.Type !== 'AWS::SecretsManager::Secret') continue;
      const arn = resolver.ref(id, `secret ${id}`);
      const name = physicalName.secret(id, r, stackName);
      const external = this.#options.externalSecrets?.[constructPath(r)?.[0] ?? ''];
      const instance = attachedTo.get(id);
      if (instance) {
        const generate = r.Properties?.GenerateSecretString as
          | { SecretStringTemplate?: string; GenerateStringKey?: string }
          | undefined;
        const base = JSON.parse(generate?.SecretStringTemplate ?? '{}') as Record<string, unknown>;
        const username = String(instance.Properties?.MasterUsername ?? base.username);
        const password = randomBytes(24).toString('base64url');
        await this.#options.database.createRole(username, password);
        // What RDS puts in a secret attached to an instance (the `SecretTargetAttachment`).
        this.#options.secrets.create(
          arn,
          name,
          JSON.stringify({
            ...base,
            username,
            [generate?.GenerateStringKey ?? 'password']: password,
            engine: 'postgres',
            host: this.#options.database.host,
            port: this.#options.database.port,
            dbname: String(instance.Properties?.DBName ?? 'postgres'),
          }),
        );
      } else {
        this.#options.secrets.create(arn, name, external ?? randomBytes(24).toString('base64url'));
      }
    }
  }

  #startFunctions(): void {
    const o = this.#options;
    const concurrencyOf = new Map(this.model.eventSources.map((e) => [e.functionId, e.maxConcurrency]));
    for (const fn of this.model.functions.values()) {
      const name = this.functionName(fn.id);
      const credentials: FunctionCredentials = {
        // One key per function: what a request's credential scope names (AWS's `ASIA…` keys).
        accessKeyId: `ASIA${fn.id.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}`.slice(0, 128),
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(48).toString('base64'),
      };
      o.registerCredentials?.(fn.id, credentials);
      const env = resolveEnvironment(fn.id, fn.environment, this.model.template, o.local);
      if (fn.secretsExtension) {
        // The extension listens where its variable says; locally that is the secrets server.
        env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String(o.secretsPort);
        o.secrets.registerCaller(credentials.sessionToken, {
          functionName: name,
          ttlSeconds: Math.min(300, Number(env.SECRETS_MANAGER_TTL ?? 300)),
          cacheEnabled: (env.PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED ?? 'true') !== 'false',
        });
      }
      const environment = { ...executionEnvironment(fn, name, credentials, o), ...env };
      this.#environments.set(fn.id, environment);
      const host = new FunctionHost({
        functionName: name,
        codeDir: fn.codeDir,
        handler: fn.handler,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMiB: fn.memoryMiB,
        environment,
        nodeBinary: nodeBinaryFor(fn.runtime),
        maxInstances: fn.reservedConcurrency ?? concurrencyOf.get(fn.id) ?? o.defaultMaxInstances ?? 8,
        log: o.log && ((line) => o.log?.(`[${fn.description}] ${line}`)),
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT_ID,
      });
      this.functions.set(fn.id, host);
      this.#stops.push(() => host.close());
    }
  }

  #wireQueues(): void {
    const o = this.#options;
    const { stackName, template } = this.model;
    for (const source of this.model.eventSources) {
      const spec = this.model.queues.get(source.queueId);
      const resource = template.Resources[source.queueId];
      if (!spec || !resource) continue;
      const name = physicalName.queue(source.queueId, resource, stackName);
      const queue = new LocalQueue({
        name,
        handler: (event: SQSEvent) => this.invoke(source.functionId, event) as never,
        visibilityTimeoutMs: o.visibilityTimeoutMs ?? spec.visibilityTimeoutSeconds * 1000,
        ...(spec.maxReceiveCount !== undefined && { maxReceiveCount: spec.maxReceiveCount }),
        batchSize: source.batchSize,
        concurrency: source.maxConcurrency ?? 2,
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT_ID,
        ...(o.log && { log: o.log }),
      });
      this.queues.set(name, queue);
      this.#stops.unshift(() => queue.close());
    }
    for (const bucket of this.model.buckets.values()) {
      const resource = template.Resources[bucket.id] as CfnResource;
      for (const n of bucket.notifications) {
        const queueResource = template.Resources[n.queueId];
        const queue =
          queueResource && this.queues.get(physicalName.queue(n.queueId, queueResource, stackName));
        if (!queue)
          throw new Error(
            `bucket ${bucket.id} notifies queue ${n.queueId}, which has no local queue (no event source mapping)`,
          );
        const unwire = wireS3EventsToQueue(o.s3Events, {
          bucket: physicalName.bucket(bucket.id, resource, stackName),
          prefix: n.prefix,
          suffix: n.suffix,
          events: n.events,
          queue,
          region: LOCAL_REGION,
          ...(o.log && { log: o.log }),
        });
        this.#stops.push(unwire);
      }
    }
  }
}
