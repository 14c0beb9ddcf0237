import { describe, expect, it } from 'vitest';
import {
  ClientActionSchema,
  encodeServerFrame,
  errorEnvelope,
  LIMITS,
  parseClientFrame,
  type ServerFrame,
  ServerFrameSchema,
} from '../../src/index.ts';

const jobId = '3f1c2b9e-8a4d-4c6b-9e2f-1a2b3c4d5e6f';
const at = '2025-01-02T03:04:05.678Z';

/** Runs parseClientFrame and returns the failure, failing the test if it succeeded. */
function parseFailure(raw: string | Uint8Array) {
  const result = parseClientFrame(raw);
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.action)}`);
  return result;
}

describe('parseClientFrame', () => {
  it.each([
    { action: 'ping' },
    { action: 'ping', id: 'p-1' },
    { action: 'subscribe', jobId },
    { action: 'subscribe', topic: 'files' },
    { action: 'unsubscribe', id: 'u', jobId },
    { action: 'unsubscribe', topic: 'datasets:sales' },
    { action: 'resume', jobId, afterSeq: 4 },
    { action: 'resume', jobId, afterSeq: -1 },
  ])('accepts %j', (frame) => {
    expect(parseClientFrame(JSON.stringify(frame))).toEqual({ ok: true, action: frame });
  });

  it('accepts UTF-8 bytes', () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ action: 'ping', id: 'é' }));
    expect(parseClientFrame(bytes)).toEqual({ ok: true, action: { action: 'ping', id: 'é' } });
  });

  describe('size', () => {
    // Pads a valid ping to an exact UTF-8 byte length with a multi-byte filler (é = 2 bytes).
    const pingOfBytes = (bytes: number) => {
      const empty = JSON.stringify({ action: 'ping', pad: '' }).length;
      const filler = 'é'.repeat(Math.floor((bytes - empty) / 2)) + 'a'.repeat((bytes - empty) % 2);
      return JSON.stringify({ action: 'ping', pad: filler });
    };

    it('refuses a string one byte over the message limit with MESSAGE_TOO_LARGE', () => {
      const raw = pingOfBytes(LIMITS.wsMessageBytes + 1);
      expect(raw.length).toBeLessThan(LIMITS.wsMessageBytes); // only the UTF-8 size is over
      expect(parseFailure(raw).error.code).toBe('MESSAGE_TOO_LARGE');
    });

    it('reads a string exactly at the limit (and then judges its content)', () => {
      expect(parseFailure(pingOfBytes(LIMITS.wsMessageBytes)).error.code).toBe('MALFORMED_FRAME');
    });

    it('refuses oversize bytes before looking at their content', () => {
      const bytes = new Uint8Array(LIMITS.wsMessageBytes + 1).fill(0x7b); // '{{{{…', not JSON
      expect(parseFailure(bytes).error.code).toBe('MESSAGE_TOO_LARGE');
    });
  });

  describe('JSON', () => {
    it.each(['{"action": "ping"', 'ping', ''])('refuses %j with MALFORMED_FRAME and a sentence', (raw) => {
      const { error } = parseFailure(raw);
      expect(error.code).toBe('MALFORMED_FRAME');
      expect(error.message).toMatch(/not valid .*JSON/);
    });

    it('does not quote the input back', () => {
      expect(parseFailure('{"action": secret-token}').error.message).not.toContain('secret');
    });

    it('refuses invalid UTF-8 bytes', () => {
      expect(parseFailure(new Uint8Array([0x7b, 0xff, 0x7d])).error.code).toBe('MALFORMED_FRAME');
    });

    it.each(['[]', '42', 'null', '"ping"'])('refuses the non-object %s', (raw) => {
      expect(parseFailure(raw).error.code).toBe('MALFORMED_FRAME');
    });
  });

  describe('action', () => {
    it('refuses a frame without an action with MALFORMED_FRAME, echoing its id', () => {
      const failure = parseFailure(JSON.stringify({ id: 'a1', jobId }));
      expect(failure.error.code).toBe('MALFORMED_FRAME');
      expect(failure.id).toBe('a1');
    });

    it('refuses an unknown action with UNKNOWN_ACTION naming it', () => {
      const failure = parseFailure(JSON.stringify({ action: 'explode', id: 'x9' }));
      expect(failure.error.code).toBe('UNKNOWN_ACTION');
      expect(failure.error.message).toContain('"explode"');
      expect(failure.id).toBe('x9');
    });

    it('does not treat inherited object keys as actions', () => {
      expect(parseFailure(JSON.stringify({ action: 'toString' })).error.code).toBe('UNKNOWN_ACTION');
    });

    it('truncates a long unknown action name in the message', () => {
      const { error } = parseFailure(JSON.stringify({ action: 'x'.repeat(5000) }));
      expect(error.message.length).toBeLessThan(300);
    });
  });

  describe('schema', () => {
    it('refuses a missing field with MALFORMED_FRAME and the path in details', () => {
      const { error } = parseFailure(JSON.stringify({ action: 'resume', jobId }));
      expect(error.code).toBe('MALFORMED_FRAME');
      expect(error.message).toContain('afterSeq');
      expect(error.details).toEqual({ issues: [{ path: 'afterSeq', message: expect.any(String) }] });
    });

    it('never echoes the offending value', () => {
      const { error } = parseFailure(JSON.stringify({ action: 'subscribe', jobId: 'hunter2-password' }));
      expect(JSON.stringify(error)).not.toContain('hunter2');
    });

    it('keeps the error small when a frame has a huge unknown key', () => {
      const { error } = parseFailure(JSON.stringify({ action: 'ping', ['k'.repeat(10_000)]: 1 }));
      expect(JSON.stringify(error).length).toBeLessThan(1000);
    });

    it.each([
      ['neither jobId nor topic', { action: 'subscribe' }],
      ['both jobId and topic', { action: 'unsubscribe', jobId, topic: 'files' }],
    ])('refuses a subscription naming %s', (_label, frame) => {
      const { error } = parseFailure(JSON.stringify(frame));
      expect(error.code).toBe('MALFORMED_FRAME');
      expect(error.message).toContain('exactly one of jobId or topic');
    });

    it.each([
      ['an unknown field', { action: 'ping', extra: true }],
      ['an id over 64 characters', { action: 'ping', id: 'i'.repeat(65) }],
      ['a fractional afterSeq', { action: 'resume', jobId, afterSeq: 1.5 }],
      ['an afterSeq below -1', { action: 'resume', jobId, afterSeq: -2 }],
      ['a topic with spaces', { action: 'subscribe', topic: 'a b' }],
    ])('refuses %s', (_label, frame) => {
      expect(parseFailure(JSON.stringify(frame)).error.code).toBe('MALFORMED_FRAME');
    });
  });
});

describe('ClientActionSchema', () => {
  it('accepts every client action and refuses an unknown one', () => {
    expect(ClientActionSchema.safeParse({ action: 'subscribe', topic: 'files' }).success).toBe(true);
    expect(ClientActionSchema.safeParse({ action: 'explode' }).success).toBe(false);
  });
});

describe('encodeServerFrame', () => {
  const frames: ServerFrame[] = [
    { type: 'pong', id: 'p1', at },
    { type: 'error', error: errorEnvelope('UNKNOWN_ACTION') },
    { type: 'resumed', id: 'r', jobId, lastSeq: 7 },
    { type: 'subscribed', id: 's', jobId },
    { type: 'subscribed', jobId },
    { type: 'event', event: { type: 'job.queued', seq: 0, at, jobId, dataset: 'sales' } },
  ];

  it.each(frames)('serialises a valid $type frame to JSON that parses back to it', (frame) => {
    expect(ServerFrameSchema.parse(JSON.parse(encodeServerFrame(frame)))).toEqual(frame);
  });

  it.each([
    ['a pong without a timestamp', { type: 'pong' }],
    ['an event frame carrying an invalid event', { type: 'event', event: { type: 'job.queued', seq: -1 } }],
    ['an error frame with an unknown code', { type: 'error', error: { code: 'NOPE', message: 'x' } }],
    ['an unknown frame type', { type: 'hello' }],
    ['an extra field', { type: 'pong', at, rows: [] }],
    ['a subscribed frame without the job it acknowledges', { type: 'subscribed', id: 's' }],
  ])('throws on %s', (_label, frame) => {
    expect(() => encodeServerFrame(frame as unknown as ServerFrame)).toThrow(/invalid server frame/);
  });

  it('throws on a frame over the WebSocket message limit', () => {
    const frame: ServerFrame = {
      type: 'error',
      error: errorEnvelope('INTERNAL', undefined, { blob: 'x'.repeat(LIMITS.wsMessageBytes) }),
    };
    expect(() => encodeServerFrame(frame)).toThrow(RangeError);
  });
});
