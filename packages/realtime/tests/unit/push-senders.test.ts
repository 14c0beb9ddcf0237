import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BatchResponse, MulticastMessage } from 'firebase-admin/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FcmPushSender, type MulticastMessaging } from '../../src/adapters/fcm-push-sender.ts';
import { OutboxPushSender } from '../../src/adapters/outbox-push-sender.ts';
import { PushError } from '../../src/errors.ts';
import { describePushSenderContract, type PushScript } from '../contracts/push-sender.contract.ts';
import { RecordingPushSender } from '../fakes/recording-push-sender.ts';

/** Per-token answers as FCM gives them (`FirebaseMessagingError` codes), for a script. */
function answer(script: PushScript, token: string) {
  const fail = (code: string) => ({ success: false, error: Object.assign(new Error(code), { code }) });
  if (script.unregistered.includes(token)) return fail('messaging/registration-token-not-registered');
  if (script.invalid.includes(token)) return fail('messaging/invalid-registration-token');
  if (script.transient.includes(token)) return fail('messaging/internal-error');
  return { success: true, messageId: `projects/p/messages/${token}` };
}

/** A fake of firebase-admin's `Messaging` at its API surface: `sendEachForMulticast`. */
class FakeMessaging implements MulticastMessaging {
  readonly calls: MulticastMessage[] = [];
  failWith: Error | undefined;

  constructor(readonly script: PushScript = { unregistered: [], invalid: [], transient: [] }) {}

  async sendEachForMulticast(message: MulticastMessage): Promise<BatchResponse> {
    if (this.failWith) throw this.failWith;
    this.calls.push(structuredClone(message));
    const responses = message.tokens.map((t) => answer(this.script, t)) as BatchResponse['responses'];
    const successCount = responses.filter((r) => r.success).length;
    return { responses, successCount, failureCount: responses.length - successCount };
  }
}

describePushSenderContract('RecordingPushSender (fake)', async (script) => {
  const sender = new RecordingPushSender();
  for (const token of [...script.unregistered, ...script.invalid]) sender.unregister(token);
  // The fake has no notion of transient per-token failures; it accepts those tokens.
  const wrapped = {
    send: async (...args: Parameters<RecordingPushSender['send']>) => {
      const outcome = await sender.send(...args);
      const transient = args[1].filter((t) => script.transient.includes(t)).length;
      return { ...outcome, sent: outcome.sent - transient };
    },
  };
  return { sender: wrapped, delivered: async () => sender.sent.flatMap((s) => s.tokens) };
});

describePushSenderContract('FcmPushSender on a fake Messaging', async (script) => {
  const messaging = new FakeMessaging(script);
  return {
    sender: new FcmPushSender({ messaging }),
    delivered: async () => messaging.calls.flatMap((c) => c.tokens),
  };
});

// An HTTP server answering like the local push outbox (`POST /_local/pushes`).
let outbox: Server;
let outboxUrl: string;
let outboxScript: PushScript = { unregistered: [], invalid: [], transient: [] };
let outboxStatus = 200;
const outboxReceived: Array<Record<string, unknown>> = [];
beforeAll(async () => {
  outbox = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (outboxStatus !== 200) return void res.writeHead(outboxStatus).end();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { tokens: string[] };
      outboxReceived.push(body);
      const responses = body.tokens.map((t) => {
        const a = answer(outboxScript, t);
        return 'error' in a ? { success: false, error: { code: a.error.code } } : a;
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ responses }));
    });
  });
  await new Promise<void>((resolve) => outbox.listen(0, '127.0.0.1', resolve));
  outboxUrl = `http://127.0.0.1:${(outbox.address() as AddressInfo).port}/_local/pushes`;
});
afterAll(async () => {
  outbox.closeAllConnections();
  await new Promise((resolve) => outbox.close(resolve));
});

describePushSenderContract('OutboxPushSender on an HTTP outbox', async (script) => {
  outboxScript = script;
  outboxStatus = 200;
  outboxReceived.length = 0;
  return {
    sender: new OutboxPushSender({ url: outboxUrl }),
    delivered: async () =>
      outboxReceived.flatMap((b) => (b.tokens as string[]).filter((t) => answer(script, t).success)),
  };
});

describe('FcmPushSender', () => {
  const message = { notification: { title: 'T', body: 'B' }, data: { jobId: 'j-1' } };

  it('sends one multicast with notification, string data and high priority', async () => {
    const messaging = new FakeMessaging();
    await new FcmPushSender({ messaging }).send('u', ['t1', 't2'], message);
    expect(messaging.calls).toEqual([
      {
        tokens: ['t1', 't2'],
        notification: { title: 'T', body: 'B' },
        data: { jobId: 'j-1' },
        android: { priority: 'high' },
        apns: { headers: { 'apns-priority': '10' } },
      },
    ]);
  });

  it('splits more than 500 tokens into several multicasts', async () => {
    const messaging = new FakeMessaging();
    const tokens = Array.from({ length: 1001 }, (_, i) => `t${i}`);
    const outcome = await new FcmPushSender({ messaging }).send('u', tokens, message);
    expect(messaging.calls.map((c) => c.tokens.length)).toEqual([500, 500, 1]);
    expect(outcome.sent).toBe(1001);
  });

  it('loads Messaging lazily, once', async () => {
    let loads = 0;
    const messaging = new FakeMessaging();
    const sender = new FcmPushSender({
      messaging: async () => {
        loads++;
        return messaging;
      },
    });
    expect(loads).toBe(0);
    await sender.send('u', ['t1'], message);
    await sender.send('u', ['t2'], message);
    expect(loads).toBe(1);
  });

  it('turns a whole-call failure into PushError, retryable when FCM is unavailable', async () => {
    const messaging = new FakeMessaging();
    messaging.failWith = Object.assign(new Error('down'), { code: 'messaging/unavailable' });
    const error = await new FcmPushSender({ messaging }).send('u', ['t1'], message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PushError);
    expect(error).toMatchObject({ retryable: true });
    messaging.failWith = Object.assign(new Error('bad creds'), { code: 'app/invalid-credential' });
    await expect(new FcmPushSender({ messaging }).send('u', ['t1'], message)).rejects.toMatchObject({
      retryable: false,
    });
  });
});

describe('OutboxPushSender', () => {
  it('turns HTTP errors and unreachable outboxes into PushError', async () => {
    outboxStatus = 503;
    const message = { notification: { title: 'T', body: 'B' }, data: {} };
    await expect(new OutboxPushSender({ url: outboxUrl }).send('u', ['t'], message)).rejects.toMatchObject({
      name: 'PushError',
      retryable: true,
    });
    outboxStatus = 200;
    await expect(
      new OutboxPushSender({ url: 'http://127.0.0.1:1/_local/pushes' }).send('u', ['t'], message),
    ).rejects.toBeInstanceOf(PushError);
  });
});
