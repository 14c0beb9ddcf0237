import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/log.ts';
import { RecordingLogger } from '../fakes/recording-logger.ts';

describe('createJsonLogger', () => {
  it('writes one JSON object per line with level, message, time and fields', () => {
    const logs = new RecordingLogger();
    logs.logger.log('info', 'hello', { userId: 'u-1' });
    expect(logs.lines).toHaveLength(1);
    expect(logs.entries[0]).toMatchObject({ level: 'info', message: 'hello', userId: 'u-1' });
    expect(Date.parse(String(logs.entries[0]?.timestamp))).not.toBeNaN();
  });

  it('drops lines below its minimum level, in children too', () => {
    const lines: string[] = [];
    const log = createJsonLogger({}, (line) => lines.push(line), 'warn');
    log.log('info', 'quiet');
    log.child({ a: 1 }).log('debug', 'quieter');
    log.log('warn', 'heard');
    log.child({ a: 1 }).log('error', 'heard too');
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['heard', 'heard too']);
  });

  it('adds child fields to every line of the child only', () => {
    const logs = new RecordingLogger();
    const child = logs.logger.child({ requestId: 'r-1' });
    child.log('warn', 'from child');
    logs.logger.log('info', 'from parent');
    expect(logs.entries[0]).toMatchObject({ requestId: 'r-1' });
    expect(logs.entries[1]).not.toHaveProperty('requestId');
  });

  it('redacts credential-like keys and reduces errors to name and message', () => {
    const logs = new RecordingLogger();
    const cause = new Error('secret-cause-detail');
    logs.logger.log('error', 'x', {
      token: 'eyJ.secret',
      idToken: 'eyJ.secret',
      ticket: 't-secret',
      'Sec-WebSocket-Protocol': 'herald.v1, eyJ.secret',
      error: new Error('boom', { cause }),
    });
    expect(logs.text).not.toContain('secret');
    expect(logs.entries[0]).toMatchObject({ token: '[redacted]', error: { name: 'Error', message: 'boom' } });
  });
});
