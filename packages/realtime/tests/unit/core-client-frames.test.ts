import { describe, expect, it } from 'vitest';
import { replyToClientFrame } from '../../src/core/client-frames.ts';

const now = Date.parse('2025-06-01T12:00:00.000Z');

describe('replyToClientFrame', () => {
  it('answers ping with pong, echoing the id and giving the server time', () => {
    expect(replyToClientFrame('{"action":"ping","id":"p-1"}', now)).toEqual({
      type: 'pong',
      id: 'p-1',
      at: '2025-06-01T12:00:00.000Z',
    });
  });

  it('answers a ping without id with a pong without id', () => {
    expect(replyToClientFrame('{"action":"ping"}', now)).toEqual({
      type: 'pong',
      at: '2025-06-01T12:00:00.000Z',
    });
  });

  it('accepts the frame as bytes too', () => {
    expect(replyToClientFrame(new TextEncoder().encode('{"action":"ping"}'), now).type).toBe('pong');
  });

  it('answers invalid JSON with MALFORMED_FRAME', () => {
    const reply = replyToClientFrame('{not json', now);
    expect(reply.type === 'error' && reply.error.code).toBe('MALFORMED_FRAME');
  });

  it('answers an unknown action with UNKNOWN_ACTION and echoes the id', () => {
    const reply = replyToClientFrame('{"action":"dance","id":"d-1"}', now);
    expect(reply).toMatchObject({ type: 'error', id: 'd-1', error: { code: 'UNKNOWN_ACTION' } });
  });

  it.each([
    ['subscribe', '{"action":"subscribe","id":"s-1","topic":"news"}'],
    ['unsubscribe', '{"action":"unsubscribe","id":"s-1","topic":"news"}'],
    ['resume', '{"action":"resume","id":"s-1","jobId":"0b6f3c8e-7a43-4a8e-9f0a-3f6d2b1c9e11","afterSeq":3}'],
  ])('refuses %s with BAD_REQUEST saying this version does not support it', (action, raw) => {
    expect(replyToClientFrame(raw, now)).toEqual({
      type: 'error',
      id: 's-1',
      error: { code: 'BAD_REQUEST', message: `action ${action} is not supported by this server version` },
    });
  });

  it('reports a malformed subscribe as MALFORMED_FRAME, not as unsupported', () => {
    const reply = replyToClientFrame('{"action":"subscribe","id":"s-2"}', now);
    expect(reply).toMatchObject({ type: 'error', id: 's-2', error: { code: 'MALFORMED_FRAME' } });
  });
});
