import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { dynamoRequests } from './actions.ts';
import type { IamCheck } from './authority.ts';
import { signedCaller } from './caller.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** DynamoDB's own cap on a request (16 MB); a bigger body is not buffered here. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Puts IAM in front of dynalite: a call signed by a function is read (the table is in the JSON
 * body), authorized (`dynamodb:<Operation>` on the table or index ARN, see `actions.ts`) and
 * either refused with DynamoDB's `400 AccessDeniedException` or handed to dynalite as it came.
 * Calls of the account owner go straight through, unread; unsigned calls too (dynalite answers
 * them with DynamoDB's `MissingAuthenticationTokenException`).
 *
 * @example
 * const server = dynalite({});
 * gateDynamo(server, iam);
 */
export function gateDynamo(server: Server, iam: IamCheck): void {
  const listeners = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  const serve: Listener = (req, res) => {
    for (const listener of listeners) listener(req, res);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const caller = signedCaller(req.headers, new URL(req.url ?? '/', 'http://localhost').searchParams);
    if (req.method !== 'POST' || !iam.evaluates(caller)) return serve(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      // What dynalite answers to a request over the limit.
      if (size > MAX_BODY_BYTES) return void res.writeHead(413).end();
      const body = Buffer.concat(chunks);
      let input: unknown;
      try {
        input = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        input = undefined;
      }
      const target = req.headers['x-amz-target'];
      const refusal =
        input === undefined
          ? undefined // not JSON: dynalite answers SerializationException
          : iam.authorize(caller, dynamoRequests(typeof target === 'string' ? target : '', input));
      if (refusal) {
        const json = JSON.stringify({
          __type: 'com.amazon.coral.service#AccessDeniedException',
          message: refusal.message,
        });
        res
          .writeHead(400, {
            'content-type': 'application/x-amz-json-1.0',
            'content-length': Buffer.byteLength(json),
          })
          .end(json);
        return;
      }
      // dynalite reads the request as a stream (`data`/`end`): replay the body to it.
      const replay = Object.assign(new PassThrough(), {
        headers: req.headers,
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        socket: req.socket,
      }) as unknown as IncomingMessage;
      serve(replay, res);
      (replay as unknown as PassThrough).end(body);
    });
  });
}
