import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionGoneError, PostToConnectionError } from '../../src/errors.ts';
import type { ConnectionPoster } from '../../src/ports.ts';
import { type ConnectionsServer, startConnectionsServer } from '../helpers/connections-server.ts';

/** What a poster under test is pointed at. */
export interface PosterTarget {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Short, so the `slow` case ends quickly. */
  readonly requestTimeoutMs: number;
}

const SECRET = 'test-secret';
const CREDENTIALS = { accessKeyId: 'ASIATESTPOSTER', secretAccessKey: SECRET, sessionToken: 'session-token' };
const REQUEST_TIMEOUT_MS = 300;

/**
 * The error mapping and wire behaviour every {@link ConnectionPoster} must have, run against a
 * real HTTP server speaking `@connections` (tests/helpers/connections-server.ts): one table, so
 * the SDK client's adapter and the lean SigV4 one cannot drift.
 *
 * @param make builds the poster under test for a target (endpoint, region, credentials, timeout).
 */
export function describeConnectionPosterContract(
  name: string,
  make: (target: PosterTarget) => ConnectionPoster,
): void {
  describe(`ConnectionPoster contract: ${name}`, () => {
    let server: ConnectionsServer;
    let poster: ConnectionPoster;
    const target = (overrides: Partial<PosterTarget> = {}): PosterTarget => ({
      endpoint: server.endpoint,
      region: server.region,
      credentials: CREDENTIALS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      ...overrides,
    });
    const failure = (p: ConnectionPoster, id: string) =>
      p.post(id, 'x').then(
        () => undefined,
        (e: unknown) => e,
      );

    beforeAll(async () => {
      server = await startConnectionsServer({ secretAccessKey: SECRET });
      poster = make(target());
    });
    afterAll(() => server.close());

    it('posts the data, SigV4-signed for execute-api, to the URL-encoded connection id', async () => {
      server.received.length = 0;
      await poster.post('L0SM+9c/FvHcCIhw=', '{"type":"pong"}');
      await poster.post("Ab!c'd(e)*f=", 'ü');
      expect(server.received).toEqual([
        {
          method: 'POST',
          path: '/local/@connections/L0SM%2B9c%2FFvHcCIhw%3D',
          body: '{"type":"pong"}',
          scope: expect.stringMatching(/^ASIATESTPOSTER\/\d{8}\/eu-west-1\/execute-api\/aws4_request$/),
          sessionToken: 'session-token',
          signatureValid: true,
        },
        expect.objectContaining({
          path: '/local/@connections/Ab%21c%27d%28e%29%2Af%3D',
          body: 'ü',
          signatureValid: true,
        }),
      ]);
    });

    it('is refused (403, permanent) when signed with the wrong secret', async () => {
      const wrong = make(target({ credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' } }));
      const error = await failure(wrong, 'c=');
      expect(error).toBeInstanceOf(PostToConnectionError);
      expect(error).toMatchObject({ connectionId: 'c=', statusCode: 403, retryable: false });
    });

    it('turns 410 GoneException into ConnectionGoneError for exactly that id', async () => {
      const error = await failure(poster, 'gone=');
      expect(error).toBeInstanceOf(ConnectionGoneError);
      expect(error).toMatchObject({ connectionId: 'gone=', retryable: false });
    });

    it.each([
      ['throttled=', 429, 'TooManyRequestsException', true],
      ['limited=', 429, 'LimitExceededException', true],
      ['broken=', 500, 'InternalServerErrorException', true],
      ['unavailable=', 503, undefined, true],
      ['forbidden=', 403, 'ForbiddenException', false],
      ['large=', 413, 'PayloadTooLargeException', false],
    ])('turns %s (%i %s) into PostToConnectionError, retryable: %s', async (id, status, type, retryable) => {
      const error = await failure(poster, id);
      expect(error).toBeInstanceOf(PostToConnectionError);
      expect(error).toMatchObject({ connectionId: id, statusCode: status, retryable });
      if (type) expect((error as Error).message).toContain(type);
    });

    it('marks a socket dropped without an answer retryable', async () => {
      const error = await failure(poster, 'dropped=');
      expect(error).toBeInstanceOf(PostToConnectionError);
      expect(error).toMatchObject({ connectionId: 'dropped=', retryable: true, statusCode: undefined });
    });

    it('gives up on a silent server after the request timeout, retryable', async () => {
      const started = performance.now();
      const error = await failure(poster, 'slow=');
      expect(error).toBeInstanceOf(PostToConnectionError);
      expect(error).toMatchObject({ connectionId: 'slow=', retryable: true });
      expect(performance.now() - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 20);
      expect(performance.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
    });

    it('marks an unreachable endpoint retryable', async () => {
      const error = await failure(make(target({ endpoint: 'http://127.0.0.1:1/local' })), 'c=');
      expect(error).toMatchObject({ name: 'PostToConnectionError', retryable: true });
    });

    it('keeps its sockets alive across posts', async () => {
      const fresh = make(target());
      await fresh.post('warm=', 'x');
      const before = server.sockets();
      for (let i = 0; i < 20; i++) await fresh.post(`c${i}=`, 'x');
      expect(server.sockets()).toBe(before);
    });
  });
}
