import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalQueue } from '../../src/queue.ts';
import { handleSqsRequest } from '../../src/sqs-endpoint.ts';

describe('local SQS SendMessage endpoint', () => {
  const received: string[] = [];
  const queue = new LocalQueue({
    name: 'WorkQueue',
    handler: async (event: SQSEvent) => {
      for (const r of event.Records) received.push(r.body);
    },
  });
  const queues = new Map([['WorkQueue', queue]]);
  let server: Server;
  let base = '';
  let sqs: SQSClient;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void handleSqsRequest(queues, req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // An explicit endpoint, as handlers get from HERALD_SQS_ENDPOINT: nothing may leave loopback.
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: base,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });
  afterAll(async () => {
    sqs.destroy();
    await queue.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('accepts SendMessage from the real SDK (MD5 checked) and delivers the body to the queue', async () => {
    const out = await sqs.send(
      new SendMessageCommand({
        QueueUrl: `${base}/000000000000/WorkQueue`,
        MessageBody: '{"hello":"queue"}',
      }),
    );
    expect(out.MessageId).toEqual(expect.any(String));
    await queue.drain();
    expect(received).toEqual(['{"hello":"queue"}']);
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: `${base}/000000000000/Nope`, MessageBody: 'x' })),
    ).rejects.toThrow(/does not exist/);
  });

  it('refuses operations it does not emulate instead of pretending', async () => {
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'WorkQueue' }))).rejects.toThrow(
      /not emulated/,
    );
  });
});
