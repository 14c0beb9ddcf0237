import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretUnavailableError } from '../../src/errors.ts';
import { databaseSecretPassword, readSecretFromLambdaExtension } from '../../src/secrets.ts';

// A stand-in for the Parameters and Secrets extension's localhost HTTP interface.
let server: Server;
let port: number;
const seen: Array<{ url: string; token: string | undefined }> = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({
      url: req.url ?? '',
      token: req.headers['x-aws-parameters-secrets-token'] as string | undefined,
    });
    if (req.headers['x-aws-parameters-secrets-token'] !== 'session-1') return void res.writeHead(401).end();
    const secretId = new URL(req.url ?? '/', 'http://x').searchParams.get('secretId');
    if (secretId !== 'arn:aws:secretsmanager:eu-west-1:1:secret:fcm') return void res.writeHead(400).end();
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ SecretString: '{"a":1}' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('readSecretFromLambdaExtension', () => {
  it('asks the extension for the secret with the session token and returns SecretString', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:1:secret:fcm';
    expect(await readSecretFromLambdaExtension(arn, { port, sessionToken: 'session-1' })).toBe('{"a":1}');
    expect(seen.at(-1)?.url).toBe(`/secretsmanager/get?secretId=${encodeURIComponent(arn)}`);
  });

  it('fails with SecretUnavailableError on a refusal or an unreachable extension', async () => {
    await expect(readSecretFromLambdaExtension('x', { port, sessionToken: 'wrong' })).rejects.toBeInstanceOf(
      SecretUnavailableError,
    );
    await expect(readSecretFromLambdaExtension('x', { port: 1, sessionToken: 's' })).rejects.toMatchObject({
      retryable: true,
    });
  });
});

describe('databaseSecretPassword', () => {
  const same = (read: (id: string) => Promise<string>) => ({ cached: read, fresh: read });

  it('reads the password field of the secret each time it is asked (once per new connection)', async () => {
    const reads: string[] = [];
    let password = 'first';
    const source = databaseSecretPassword(
      'arn:db',
      same(async (id) => {
        reads.push(id);
        return JSON.stringify({ username: 'herald_admin', password });
      }),
    );
    expect(await source()).toBe('first');
    password = 'rotated';
    expect(await source()).toBe('rotated');
    expect(reads).toEqual(['arn:db', 'arn:db']);
  });

  it('reads once through the fresh reader after refresh(), then through the cache again', async () => {
    const used: string[] = [];
    const source = databaseSecretPassword('arn:db', {
      cached: async () => {
        used.push('cached');
        return '{"password":"old"}';
      },
      fresh: async () => {
        used.push('fresh');
        return '{"password":"new"}';
      },
    });
    expect(await source()).toBe('old');
    source.refresh?.();
    expect(await source()).toBe('new');
    expect(await source()).toBe('old');
    expect(used).toEqual(['cached', 'fresh', 'cached']);
  });

  it('fails with SecretUnavailableError when the secret has no password or is not JSON, never quoting it', async () => {
    const error = await databaseSecretPassword(
      'arn:db',
      same(async () => '{"username":"u"}'),
    )().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect((error as Error).message).toBe('the database secret has no password field');
    const notJson = await databaseSecretPassword(
      'arn:db',
      same(async () => 'hunter2-not-json'),
    )().catch((e: unknown) => e);
    expect(notJson).toBeInstanceOf(SecretUnavailableError);
    expect((notJson as Error).message).not.toContain('hunter2');
    const down = new SecretUnavailableError('the secrets extension is unreachable', { retryable: true });
    await expect(
      databaseSecretPassword(
        'arn:db',
        same(async () => {
          throw down;
        }),
      )(),
    ).rejects.toBe(down);
  });
});
