import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  ErrorEnvelopeSchema,
  errorEnvelope,
  httpStatusFor,
  isErrorEnvelope,
} from '../../src/index.ts';

describe('errorEnvelope', () => {
  it('uses the catalogue sentence when no message is given', () => {
    expect(errorEnvelope('NOT_FOUND')).toEqual({ code: 'NOT_FOUND', message: ERROR_CODES.NOT_FOUND.message });
  });

  it('falls back to the catalogue sentence for an empty message', () => {
    expect(errorEnvelope('CONFLICT', '').message).toBe(ERROR_CODES.CONFLICT.message);
  });

  it('keeps a custom message and details', () => {
    const envelope = errorEnvelope('VALIDATION_FAILED', 'line 3: bad', { field: 'amount' });
    expect(envelope).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'line 3: bad',
      details: { field: 'amount' },
    });
  });

  it('omits details when none are given', () => {
    expect(Object.hasOwn(errorEnvelope('INTERNAL'), 'details')).toBe(false);
  });

  it('builds envelopes the schema accepts', () => {
    expect(ErrorEnvelopeSchema.safeParse(errorEnvelope('RATE_LIMITED', undefined, [1, 2])).success).toBe(
      true,
    );
  });
});

describe('httpStatusFor', () => {
  it.each([
    ['UNAUTHENTICATED', 401],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['ROUTE_NOT_FOUND', 404],
    ['METHOD_NOT_ALLOWED', 405],
    ['BAD_REQUEST', 400],
    ['VALIDATION_FAILED', 400],
    ['CONFLICT', 409],
    ['PAYLOAD_TOO_LARGE', 413],
    ['UNSUPPORTED_MEDIA_TYPE', 415],
    ['RATE_LIMITED', 429],
    ['INTERNAL', 500],
    ['UPSTREAM_UNAVAILABLE', 503],
    ['UPSTREAM_TIMEOUT', 504],
    ['MALFORMED_FRAME', 400],
    ['UNKNOWN_ACTION', 400],
    ['MESSAGE_TOO_LARGE', 413],
  ] as const)('maps %s to %i', (code, status) => {
    expect(httpStatusFor(code)).toBe(status);
  });
});

describe('isErrorEnvelope', () => {
  it('accepts a well-formed envelope', () => {
    expect(isErrorEnvelope({ code: 'FORBIDDEN', message: 'No.', details: { path: 'a/b' } })).toBe(true);
  });

  it.each([
    ['an unknown code', { code: 'TEAPOT', message: 'x' }],
    ['an empty message', { code: 'FORBIDDEN', message: '' }],
    ['scalar details', { code: 'FORBIDDEN', message: 'x', details: 'why' }],
    ['an extra field', { code: 'FORBIDDEN', message: 'x', stack: 'at ...' }],
    ['a non-object', 'FORBIDDEN'],
    ['null', null],
  ])('rejects %s', (_label, value) => {
    expect(isErrorEnvelope(value)).toBe(false);
  });
});
