import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ROUTES } from '@herald/protocol';
import {
  type Clock,
  type CorsPolicy,
  delay,
  type Logger,
  lambdaExtensionSecrets,
  type Metrics,
  SecretUnavailableError,
} from '@herald/runtime';
import { createS3Client } from '@herald/runtime/s3';
import { CloudFrontDownloadLinks, parseCloudFrontSigningKey } from './adapters/cloudfront-download-links.ts';
import { RealtimeFileNotifier } from './adapters/realtime-file-notifier.ts';
import { S3FileStore } from './adapters/s3-file-store.ts';
import { SqsFetchQueue } from './adapters/sqs-fetch-queue.ts';
import { SrvGwFileSource } from './adapters/srvgw-file-source.ts';
import { getDeps, resetBaseDeps } from './compose/base.ts';
import { type FileDeliveryConfig, loadDeliveryConfig, type SrvGwCredentialSource } from './config.ts';
import type { FileLinkDeps } from './core/file-link.ts';
import type { GrantRepository } from './ports.ts';

// The composition is split by weight: `compose/base.ts` builds what every handler uses (the
// pool, the grants repository, logger and metrics); this module adds delivery: S3, SQS, the
// SRV-GW agent and the `file.ready` notifier, whose realtime publisher brings the DynamoDB and
// `@connections` clients and firebase-admin. Only the link handler and the fetch worker deliver
// (and publish), so only their entry files import this module.

/**
 * What every handler of the package needs; the admin grant routes need nothing more. Handlers
 * are built by factories taking a {@link DepsProvider}, so tests pass fakes and Lambda passes
 * {@link getDeps}.
 *
 * @example
 * const { grants, log } = getDeps();
 */
export interface FilesDeps {
  /** The `file_grants` table. */
  readonly grants: GrantRepository;
  readonly clock: Clock;
  readonly log: Logger;
  /** Which browser origins the REST handlers answer with CORS headers (`HERALD_ALLOWED_ORIGINS`). */
  readonly cors: CorsPolicy;
  /** File fetches by result (the link handler, the worker), publishes; flushed per invocation. */
  readonly metrics: Metrics;
  /** New grant and request ids (random UUIDs). */
  readonly newId: () => string;
  /** Releases what {@link buildDeps} opened (the pool). */
  readonly close?: () => Promise<void>;
}

/**
 * Supplies the deps at invocation time (never at import: the local stack sets the env later).
 *
 * @example
 * const provide: DepsProvider<'grants' | 'log' | 'metrics'> = () => ({ grants, log, metrics: noMetrics });
 */
export type DepsProvider<K extends keyof FilesDeps = keyof FilesDeps> = () => Pick<FilesDeps, K>;

/**
 * What delivering files needs (`POST /files/links`, the fetch worker): {@link FilesDeps} plus the
 * SRV-GW client, the files bucket, the fetch queue and the `file.ready` notifier.
 *
 * @example
 * const { source, files, fetchQueue } = getDeliveryDeps();
 */
export interface DeliveryDeps extends FileLinkDeps {
  readonly log: Logger;
  readonly cors: CorsPolicy;
  /** Receives after which `FileFetchQueue` dead-letters a message (from the route table). */
  readonly maxReceives: number;
  /** The fetch worker's timeout (from the route table), for a caller that passes no Lambda context. */
  readonly workerTimeoutMs: number;
  /** Releases what {@link buildDeliveryDeps} opened (the S3 and SQS clients, SRV-GW sockets). */
  readonly close?: () => Promise<void>;
}

/**
 * Supplies the delivery deps at invocation time.
 *
 * @example
 * export const handler = makeSqsFetchFileHandler(getDeliveryDeps);
 */
export type DeliveryDepsProvider<K extends keyof DeliveryDeps = keyof DeliveryDeps> = () => Pick<
  DeliveryDeps,
  K
>;

const fetchQueue = ROUTES.queues.find(
  (q) => q.handler.package === 'files' && q.handler.name === 'sqs-fetch-file',
);

/**
 * The SRV-GW credential, resolved ONCE per container: the plain value, or the Secrets Manager
 * secret read through the AWS Parameters and Secrets Lambda Extension (the layer must be
 * attached; the function needs `secretsmanager:GetSecretValue` on that secret). The secret's
 * `SecretString` is the credential itself, or JSON `{"credential": "…"}`. A failed read is not
 * cached, so the next request tries again.
 *
 * @example
 * const credential = credentialProvider({ kind: 'secret', secretId: arn });
 * await credential(); // read once, then reused
 */
export function credentialProvider(
  source: SrvGwCredentialSource,
  read: (secretId: string) => Promise<string> = lambdaExtensionSecrets(process.env),
): () => Promise<string> {
  if (source.kind === 'plain') {
    const value = source.value;
    return async () => value;
  }
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= read(source.secretId)
      .then(credentialFromSecret)
      .catch((error: unknown) => {
        pending = undefined;
        throw new SecretUnavailableError('the SRV-GW credential could not be read from Secrets Manager', {
          cause: error,
          retryable: (error as { retryable?: unknown })?.retryable !== false,
        });
      });
    return pending;
  };
}

function credentialFromSecret(secret: string): string {
  const text = secret.trim();
  if (text.startsWith('{')) {
    const parsed = JSON.parse(text) as { credential?: unknown };
    if (typeof parsed.credential !== 'string' || parsed.credential === '') {
      throw new Error('the SRV-GW secret is JSON without a "credential" string');
    }
    return parsed.credential;
  }
  if (text === '') throw new Error('the SRV-GW secret is empty');
  return text;
}

/**
 * Builds delivery's clients and adapters (S3, SQS, the SRV-GW agent, the `file.ready` notifier)
 * on top of built deps, reusing their grants, logger, metrics, clock and ids. The only place
 * that does.
 *
 * @example
 * const delivery = buildDeliveryDeps(buildDeps(loadConfig(process.env)), loadDeliveryConfig(process.env));
 */
export function buildDeliveryDeps(base: FilesDeps, config: FileDeliveryConfig): DeliveryDeps {
  const s3 = createS3Client({ region: config.region, endpoint: config.s3Endpoint });
  // `endpoint` is undefined on AWS and the local stack's SendMessage server locally.
  const sqs = new SQSClient({ region: config.region, endpoint: config.sqsEndpoint });
  const agent = config.srvgwUrl.startsWith('https:')
    ? new HttpsAgent({ keepAlive: true, maxSockets: 16 })
    : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const files = new S3FileStore({ client: s3, bucket: config.filesBucket });
  const { cdn } = config;
  const readSecret = lambdaExtensionSecrets(process.env);
  return {
    grants: base.grants,
    files,
    // Through CloudFront when the stack has a distribution; presigned S3 otherwise. The key is
    // read per link through the secrets extension (cached there), so a rotation reaches warm
    // containers within the extension's TTL.
    links: cdn
      ? new CloudFrontDownloadLinks({
          baseUrl: cdn.url,
          signingKey: () => readSecret(cdn.signingKeySecretId).then(parseCloudFrontSigningKey),
          now: () => base.clock.now(),
        })
      : files,
    source: new SrvGwFileSource({
      baseUrl: config.srvgwUrl,
      credential: credentialProvider(config.srvgwCredential),
      connectTimeoutMs: config.connectTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      agent,
    }),
    fetchQueue: new SqsFetchQueue({ client: sqs, queueUrl: config.fetchQueueUrl }),
    notifier: new RealtimeFileNotifier({ log: base.log, metrics: base.metrics }),
    clock: base.clock,
    log: base.log,
    cors: base.cors,
    metrics: base.metrics,
    newId: base.newId,
    delivery: config.delivery,
    random: Math.random,
    sleep: delay,
    maxReceives: fetchQueue?.maxReceiveCount ?? 3,
    workerTimeoutMs: (fetchQueue?.timeoutSeconds ?? 300) * 1000,
    close: async () => {
      s3.destroy();
      sqs.destroy();
      agent.destroy();
    },
  };
}

let deliveryDeps: DeliveryDeps | undefined;

/**
 * The container's delivery deps: built at the first file request from `process.env`
 * ({@link loadDeliveryConfig}; a missing variable fails that request naming it), on top of
 * {@link getDeps}, then reused.
 *
 * @example
 * export const handler = makeHttpCreateFileLinkHandler(getDeliveryDeps);
 */
export const getDeliveryDeps: DeliveryDepsProvider = () => {
  deliveryDeps ??= buildDeliveryDeps(getDeps() as FilesDeps, loadDeliveryConfig(process.env));
  return deliveryDeps;
};

/**
 * Forgets the built deps so the next invocation reads the environment again, and closes what
 * they opened. For an in-process host (the local stack) that restarts its servers on new
 * ports; Lambda never needs it.
 *
 * @example
 * await resetDeps(); // before stopping PostgreSQL
 */
export async function resetDeps(): Promise<void> {
  const previousDelivery = deliveryDeps;
  deliveryDeps = undefined;
  await previousDelivery?.close?.().catch(() => {});
  await resetBaseDeps();
}

export { buildDeps, getDeps } from './compose/base.ts';
