import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../src/errors.ts';
import { createJsonLogger, errorFields } from '../../src/log.ts';

/** The real JSON logger writing into memory, so tests see exactly what production would print. */
function recording(minLevel?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const logger = createJsonLogger({}, (line) => lines.push(line), minLevel);
  return {
    logger,
    lines,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join('\n'),
  };
}

describe('createJsonLogger', () => {
  it('writes one JSON object per line with level, message, time and fields', () => {
    const logs = recording();
    logs.logger.log('info', 'hello', { userId: 'u-1' });
    expect(logs.lines).toHaveLength(1);
    expect(logs.entries()[0]).toMatchObject({ level: 'info', message: 'hello', userId: 'u-1' });
    expect(Date.parse(String(logs.entries()[0]?.timestamp))).not.toBeNaN();
  });

  it('drops lines below its minimum level, in children too', () => {
    const logs = recording('warn');
    logs.logger.log('info', 'quiet');
    logs.logger.child({ a: 1 }).log('debug', 'quieter');
    logs.logger.log('warn', 'heard');
    logs.logger.child({ a: 1 }).log('error', 'heard too');
    expect(logs.entries().map((e) => e.message)).toEqual(['heard', 'heard too']);
  });

  it('adds child fields to every line of the child only, children of children included', () => {
    const logs = recording();
    logs.logger
      .child({ requestId: 'r-1' })
      .child({ jobId: 'j-1' })
      .log('warn', 'from child', { attempts: 1 });
    logs.logger.log('info', 'from parent');
    expect(logs.entries()[0]).toMatchObject({ requestId: 'r-1', jobId: 'j-1', attempts: 1 });
    expect(logs.entries()[1]).not.toHaveProperty('requestId');
  });

  it('redacts credential-like keys and reduces errors to name and message, never a library cause', () => {
    const logs = recording();
    const cause = new Error('secret-cause-detail');
    logs.logger.log('error', 'x', {
      token: 'eyJ.secret',
      idToken: 'eyJ.secret',
      ticket: 't-secret',
      'Sec-WebSocket-Protocol': 'herald.v1, eyJ.secret',
      error: new Error('boom', { cause }),
    });
    expect(logs.text()).not.toContain('secret');
    expect(logs.entries()[0]).toMatchObject({
      token: '[redacted]',
      error: { name: 'Error', message: 'boom' },
    });
  });

  it('redacts presigned URLs, signatures and credentials by key, but not the kind of credential', () => {
    const logs = recording();
    logs.logger.log('info', 'x', {
      url: 'https://s3/x?X-Amz-Signature=abc',
      uploadUrl: 'https://s3/y',
      authorization: 'Bearer z',
      srvgwCredential: 'c-1',
      credentialKind: 'ticket',
    });
    expect(logs.text()).not.toMatch(/X-Amz-Signature|Bearer|s3\/y|c-1/);
    expect(logs.entries()[0]).toMatchObject({ credentialKind: 'ticket', srvgwCredential: '[redacted]' });
  });
});

describe('errorFields', () => {
  it('leaves out PostgreSQL messages that quote row values (SQLSTATE 22xxx and 23xxx)', () => {
    const pgError = Object.assign(
      new Error('duplicate key value violates unique constraint: Key (id)=(secret-row) exists'),
      { code: '23505' },
    );
    const fields = errorFields(pgError);
    expect(JSON.stringify(fields)).not.toContain('secret-row');
    expect(fields).toEqual({ name: 'Error', code: '23505' });
  });

  it('keeps messages of connection faults, and marks retryable errors', () => {
    const fields = errorFields(
      Object.assign(new Error('Connection terminated unexpectedly'), { retryable: true }),
    );
    expect(fields).toEqual({ name: 'Error', message: 'Connection terminated unexpectedly', retryable: true });
  });

  it('follows the cause chain: our messages, and only the name and code of a library error', () => {
    const library = Object.assign(new Error('Invalid issuer. Received: eyJ-claim'), { code: 'E_JWT' });
    const inner = new HeraldError('the key set could not be read', { cause: library, retryable: true });
    const outer = new HeraldError('authentication failed', { cause: inner });
    expect(errorFields(outer)).toEqual({
      name: 'HeraldError',
      message: 'authentication failed',
      cause: {
        name: 'HeraldError',
        message: 'the key set could not be read',
        retryable: true,
        cause: { name: 'Error', code: 'E_JWT' },
      },
    });
  });

  it('describes a thrown non-error by its type', () => {
    expect(errorFields('boom')).toEqual({ name: 'string' });
  });
});
