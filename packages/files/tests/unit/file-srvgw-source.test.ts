import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SrvGwFileSource } from '../../src/adapters/srvgw-file-source.ts';
import { UpstreamTimeoutError } from '../../src/errors.ts';

/** An agent whose connections never open: every request waits for a socket forever. */
class StalledAgent extends Agent {
  override createConnection(): undefined {
    return undefined;
  }
}

const source = (baseUrl: string, agent?: Agent) =>
  new SrvGwFileSource({
    baseUrl,
    credential: async () => 'secret',
    connectTimeoutMs: 100,
    idleTimeoutMs: 5000,
    ...(agent !== undefined && { agent }),
  });

describe('SrvGwFileSource', () => {
  it('builds every URL under <base>/files/ on the configured origin, whatever the path holds', () => {
    const s = source('https://srvgw.example.com:8443/gw/');
    expect(s.urlFor('reports/2026/q3.csv').href).toBe(
      'https://srvgw.example.com:8443/gw/files/reports/2026/q3.csv',
    );
    expect(s.urlFor('a b/c#d?e=f.txt').href).toBe(
      'https://srvgw.example.com:8443/gw/files/a%20b/c%23d%3Fe%3Df.txt',
    );
    expect(s.urlFor('@evil.example/x').origin).toBe('https://srvgw.example.com:8443');
    expect(s.urlFor('x:y@evil/z').href).toBe('https://srvgw.example.com:8443/gw/files/x%3Ay%40evil/z');
  });

  it('refuses a non-http base URL', () => {
    expect(() => source('ftp://srvgw.example.com')).toThrow(TypeError);
  });

  it('gives up with a connect timeout when no connection opens in time', async () => {
    const agent = new StalledAgent();
    const started = Date.now();
    const error = await source('http://srvgw.invalid', agent)
      .open('a.csv', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as UpstreamTimeoutError).phase).toBe('connect');
    expect((error as UpstreamTimeoutError).retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    agent.destroy();
  });

  it('stops at once when the caller’s budget is already spent', async () => {
    const spent = AbortSignal.abort(new Error('budget spent'));
    await expect(
      source('http://srvgw.invalid', new StalledAgent()).open('a.csv', { signal: spent }),
    ).rejects.toThrow('budget spent');
  });
});
