import { errorFields } from '@herald/runtime';
import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import { DatabaseError } from '../../src/errors.ts';

describe('createJsonLogger', () => {
  it('writes one JSON object per line with the correlation keys of its child', () => {
    const logs = new RecordingLogger();
    logs.logger
      .child({ requestId: 'r-1' })
      .child({ jobId: 'j-1' })
      .log('info', 'job claimed', { attempts: 1 });
    expect(logs.entries).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'job claimed',
        requestId: 'r-1',
        jobId: 'j-1',
        attempts: 1,
      }),
    ]);
  });

  it('redacts presigned URLs, tokens and credentials by key', () => {
    const logs = new RecordingLogger();
    logs.logger.log('info', 'x', {
      url: 'https://s3/x?X-Amz-Signature=abc',
      uploadUrl: 'https://s3/y',
      idToken: 'eyJ',
      authorization: 'Bearer z',
    });
    expect(logs.text).not.toMatch(/X-Amz-Signature|eyJ|Bearer|s3\/y/);
  });
});

describe('errorFields', () => {
  it('leaves out PostgreSQL messages that quote row values (SQLSTATE 22xxx and 23xxx)', () => {
    const pgError = Object.assign(
      new Error('duplicate key value violates unique constraint: Key (id)=(secret-row) exists'),
      {
        code: '23505',
      },
    );
    const fields = errorFields(
      new DatabaseError('database error while loading', {
        cause: pgError,
        retryable: false,
        sqlState: '23505',
      }),
    );
    expect(JSON.stringify(fields)).not.toContain('secret-row');
    expect(fields).toMatchObject({ name: 'DatabaseError', cause: { code: '23505' } });
  });

  it('keeps messages of connection faults, and marks retryable errors', () => {
    const fields = errorFields(
      Object.assign(new Error('Connection terminated unexpectedly'), { retryable: true }),
    );
    expect(fields).toEqual({ name: 'Error', message: 'Connection terminated unexpectedly', retryable: true });
  });
});
