import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getSecretValueRequest, secretArnOf } from './iam/actions.ts';
import type { Credential, IamCheck } from './iam/authority.ts';
import { signedCaller } from './iam/caller.ts';

/**
 * Secrets Manager, locally: secrets with versions and staging labels (`AWSCURRENT`,
 * `AWSPREVIOUS`), served two ways a function reaches them on AWS:
 *
 * - the **AWS Parameters and Secrets Lambda Extension** HTTP API
 *   (`GET /secretsmanager/get?secretId=…` with `X-Aws-Parameters-Secrets-Token: $AWS_SESSION_TOKEN`,
 *   answering GetSecretValue's JSON), with the extension's cache: a value is served from cache
 *   for `SECRETS_MANAGER_TTL` seconds after it was fetched, so a rotated secret reaches a caller
 *   only after its TTL, exactly the window a function sees on AWS
 *   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html);
 * - the **Secrets Manager JSON API** (`X-Amz-Target: secretsmanager.GetSecretValue`), uncached,
 *   for an SDK client pointed here with `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 *
 * With `iam`, every GetSecretValue that reaches Secrets Manager is authorized
 * (`secretsmanager:GetSecretValue` on the secret's ARN) for its caller: the signer of a JSON API
 * call, the function whose session token an extension call carries. The extension's cache
 * answers without calling Secrets Manager, so a cached value is served without a check, as on
 * AWS. A refusal is Secrets Manager's `400 AccessDeniedException`.
 */

export interface SecretVersion {
  readonly versionId: string;
  readonly secretString: string;
  readonly stages: readonly string[];
  readonly createdDate: number;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  versions: SecretVersion[];
}

/** Who may call the extension API: one entry per function (its session token). */
export interface ExtensionCaller {
  readonly functionName: string;
  /** `SECRETS_MANAGER_TTL` in seconds (at most 300; the extension's default is 300). */
  readonly ttlSeconds: number;
  /** `PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED` (default true). */
  readonly cacheEnabled: boolean;
}

/** The store: the local stack puts secrets; a rotation puts a new current version. */
export class LocalSecrets {
  readonly #iam: IamCheck | undefined;
  readonly #byKey = new Map<string, Secret>();
  readonly #callers = new Map<string, ExtensionCaller>();
  readonly #cache = new Map<
    string,
    { readonly value: SecretVersion & { arn: string; name: string }; readonly until: number }
  >();

  constructor(options: { readonly iam?: IamCheck } = {}) {
    this.#iam = options.iam;
  }

  /** Adds (or replaces) a secret; `value` becomes its `AWSCURRENT` version. */
  create(arn: string, name: string, value: string): void {
    const secret: Secret = { arn, name, versions: [] };
    this.#byKey.set(arn, secret);
    this.#byKey.set(name, secret);
    this.put(arn, value);
  }

  /** A new `AWSCURRENT` version; the old current one becomes `AWSPREVIOUS`. */
  put(arnOrName: string, value: string): void {
    const secret = this.#find(arnOrName);
    secret.versions = secret.versions
      .filter((v) => v.stages.includes('AWSCURRENT'))
      .map((v) => ({ ...v, stages: ['AWSPREVIOUS'] }));
    secret.versions.push({
      versionId: randomUUID(),
      secretString: value,
      stages: ['AWSCURRENT'],
      createdDate: Date.now(),
    });
  }

  /** The current value (for the stack itself, never cached). */
  current(arnOrName: string): string {
    return this.#version(arnOrName, {}).secretString;
  }

  /** Admits a function's session token to the extension API. */
  registerCaller(sessionToken: string, caller: ExtensionCaller): void {
    this.#callers.set(sessionToken, caller);
  }

  #find(arnOrName: string): Secret {
    const secret = this.#byKey.get(arnOrName);
    if (!secret) throw new SecretNotFound();
    return secret;
  }

  #version(arnOrName: string, which: { versionId?: string; versionStage?: string }) {
    const secret = this.#find(arnOrName);
    const stage = which.versionStage ?? (which.versionId === undefined ? 'AWSCURRENT' : undefined);
    const version = secret.versions.find(
      (v) =>
        (which.versionId === undefined || v.versionId === which.versionId) &&
        (stage === undefined || v.stages.includes(stage)),
    );
    if (!version) throw new SecretNotFound();
    return { ...version, arn: secret.arn, name: secret.name };
  }

  /** Serves both APIs on one loopback port. */
  async listen(): Promise<{ readonly port: number; readonly url: string; close(): Promise<void> }> {
    const server = createServer((req, res) => {
      void this.#handle(req, res).catch(() => {
        if (!res.headersSent)
          send(res, 500, { __type: 'InternalServiceError', Message: 'local secrets failed' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/secretsmanager/get') return this.#extension(req, res, url);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method === 'POST' && target === 'secretsmanager.GetSecretValue') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        SecretId?: string;
        VersionId?: string;
        VersionStage?: string;
      };
      const caller = signedCaller(req.headers, url.searchParams);
      if (this.#refused(res, caller, String(body.SecretId))) return;
      try {
        const v = this.#version(String(body.SecretId), {
          versionId: body.VersionId,
          versionStage: body.VersionStage,
        });
        return send(res, 200, wire(v));
      } catch (error) {
        if (error instanceof SecretNotFound) return send(res, 400, NOT_FOUND);
        throw error;
      }
    }
    send(res, 400, {
      __type: 'UnknownOperationException',
      Message: `local secrets: ${req.method} ${url.pathname} ${target}`,
    });
  }

  #extension(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const token = req.headers['x-aws-parameters-secrets-token'];
    const caller = typeof token === 'string' ? this.#callers.get(token) : undefined;
    if (!caller) {
      send(res, 401, { message: 'missing or invalid X-Aws-Parameters-Secrets-Token' });
      return;
    }
    const secretId = url.searchParams.get('secretId') ?? '';
    const which = {
      versionId: url.searchParams.get('versionId') ?? undefined,
      versionStage: url.searchParams.get('versionStage') ?? undefined,
    };
    const key = `${token}\n${secretId}\n${which.versionId ?? ''}\n${which.versionStage ?? ''}`;
    const cached = this.#cache.get(key);
    if (caller.cacheEnabled && cached && cached.until > Date.now()) {
      send(res, 200, wire(cached.value));
      return;
    }
    if (this.#refused(res, { sessionToken: token as string }, secretId)) return;
    try {
      const value = this.#version(secretId, which);
      if (caller.cacheEnabled) this.#cache.set(key, { value, until: Date.now() + caller.ttlSeconds * 1000 });
      send(res, 200, wire(value));
    } catch (error) {
      if (!(error instanceof SecretNotFound)) throw error;
      send(res, 400, NOT_FOUND);
    }
  }

  /** Answers a refused GetSecretValue (IAM decides before the secret is looked up, as on AWS). */
  #refused(res: ServerResponse, caller: Credential | undefined, secretId: string): boolean {
    const refusal = this.#iam?.authorize(caller, [
      getSecretValueRequest(this.#byKey.get(secretId)?.arn ?? secretArnOf(secretId)),
    ]);
    if (refusal) send(res, 400, { __type: 'AccessDeniedException', Message: refusal.message });
    return refusal !== undefined;
  }
}

class SecretNotFound extends Error {}

const NOT_FOUND = {
  __type: 'ResourceNotFoundException',
  Message: "Secrets Manager can't find the specified secret.",
};

function wire(v: SecretVersion & { arn: string; name: string }) {
  return {
    ARN: v.arn,
    Name: v.name,
    VersionId: v.versionId,
    SecretString: v.secretString,
    VersionStages: v.stages,
    CreatedDate: v.createdDate / 1000,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
}
