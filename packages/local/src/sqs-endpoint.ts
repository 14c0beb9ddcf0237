import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sqsRequests } from './iam/actions.ts';
import type { IamCheck } from './iam/authority.ts';
import { signedCaller } from './iam/caller.ts';
import type { LocalQueue } from './queue.ts';

const MAX_BODY_BYTES = 256 * 1024; // SQS's message size limit

function reply(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    ...(errorType && { 'x-amzn-query-error': `${errorType};Sender` }),
  });
  res.end(JSON.stringify(body));
}

/**
 * The SQS `SendMessage` call (AWS JSON 1.0 protocol, what `@aws-sdk/client-sqs` v3 speaks) for the
 * local queues, so handlers enqueue work with the same SDK code as on AWS. Queue URLs look like
 * `<localUrl>/000000000000/<QueueId>`; the SDK sends to the queue URL's host. Only SendMessage is
 * served: Lambda's event source mapping, not our code, receives and deletes. With `iam`, the
 * signer must be allowed `sqs:SendMessage` on the queue's ARN; a refusal is SQS's
 * `400 AccessDeniedException`.
 */
export async function handleSqsRequest(
  queues: ReadonlyMap<string, LocalQueue>,
  req: IncomingMessage,
  res: ServerResponse,
  iam?: IamCheck,
): Promise<boolean> {
  const target = req.headers['x-amz-target'];
  if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith('AmazonSQS.')) return false;
  if (target !== 'AmazonSQS.SendMessage') {
    reply(res, 400, {
      __type: 'com.amazonaws.sqs#UnsupportedOperation',
      message: `${target} is not emulated locally.`,
    });
    return true;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES + 4096) {
      reply(res, 400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'Message too long.' });
      return true;
    }
    chunks.push(chunk);
  }
  let input: { QueueUrl?: unknown; MessageBody?: unknown };
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof input;
  } catch {
    reply(res, 400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'Body is not JSON.' });
    return true;
  }
  const caller = signedCaller(req.headers, new URL(req.url ?? '/', 'http://localhost').searchParams);
  const refusal = iam?.authorize(caller, sqsRequests(target, input));
  if (refusal) {
    reply(
      res,
      400,
      { __type: 'com.amazon.coral.service#AccessDeniedException', message: refusal.message },
      'AccessDenied',
    );
    return true;
  }
  const queueId = typeof input.QueueUrl === 'string' ? input.QueueUrl.split('/').pop() : undefined;
  const queue = queueId ? queues.get(queueId) : undefined;
  if (!queue) {
    reply(res, 400, {
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist.',
    });
    return true;
  }
  if (typeof input.MessageBody !== 'string' || Buffer.byteLength(input.MessageBody) > MAX_BODY_BYTES) {
    reply(res, 400, {
      __type: 'com.amazonaws.sqs#InvalidParameterValue',
      message: 'MessageBody is missing or too long.',
    });
    return true;
  }
  const messageId = queue.send(input.MessageBody);
  // The SDK checks this digest against the body it sent.
  const md5 = createHash('md5').update(input.MessageBody, 'utf8').digest('hex');
  reply(res, 200, { MessageId: messageId, MD5OfMessageBody: md5 });
  return true;
}
