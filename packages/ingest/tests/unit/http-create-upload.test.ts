import { SinglePutUploadResponseSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.ts';
import { makeHttpCreateUploadHandler } from '../../src/handlers/http-create-upload.ts';
import { ALICE, fakeDeps } from '../fakes/fake-deps.ts';

// API Gateway REST passes `cognito:groups` as a string (`[a b]`).
const event = (body: unknown, sub: string | null = ALICE, groups = '[analysts]') => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  requestContext: {
    requestId: 'req-1',
    authorizer:
      sub === null ? null : { claims: { sub, 'cognito:username': 'alice', 'cognito:groups': groups } },
  },
});

const valid = { dataset: 'transactions', fileName: 'May 2026.csv', sizeBytes: 1234 };

describe('http-create-upload handler', () => {
  it('creates a job awaiting its upload and answers 201 with a presigned PUT', async () => {
    const f = fakeDeps();
    const response = await makeHttpCreateUploadHandler(f.provide)(event(valid));
    expect(response.statusCode).toBe(201);
    const body = SinglePutUploadResponseSchema.parse(JSON.parse(response.body));
    const key = `uploads/${ALICE}/${body.jobId}.csv`;
    expect(body.upload).toEqual({
      method: 'PUT',
      url: expect.stringContaining(key),
      headers: { 'content-type': 'text/csv' },
      expiresAt: '2026-01-15T09:15:00.000Z',
    });
    expect(f.objects.presigned).toEqual([
      { method: 'PUT', key, contentLength: 1234, contentType: 'text/csv', expiresInSeconds: 900 },
    ]);
    expect(f.jobs.peek(body.jobId)).toMatchObject({
      userId: ALICE,
      dataset: 'transactions',
      fileName: 'May 2026.csv',
      sizeBytes: 1234,
      objectKey: key,
      state: 'awaiting_upload',
    });
    expect(f.logs.text).not.toContain(body.upload.url);
  });

  it.each([
    [{ ...valid, dataset: 'payroll' }, 400, 'UNKNOWN_DATASET'],
    [{ ...valid, sizeBytes: 10_001 }, 413, 'FILE_TOO_LARGE'],
    [{ ...valid, sizeBytes: 0 }, 400, 'EMPTY_FILE'],
    [{ ...valid, fileName: 'report.xlsx' }, 400, 'INVALID_FILE_NAME'],
    [{ ...valid, fileName: '../../etc/passwd.csv' }, 400, 'INVALID_FILE_NAME'],
    [{ ...valid, fileName: '' }, 400, 'INVALID_FILE_NAME'],
    [{ ...valid, fileName: `${'x'.repeat(300)}.csv` }, 400, 'INVALID_FILE_NAME'],
    [{ ...valid, fileName: 'tab\there.csv' }, 400, 'INVALID_FILE_NAME'],
  ])('refuses %j with %i %s and creates nothing', async (body, status, code) => {
    const f = fakeDeps();
    const response = await makeHttpCreateUploadHandler(f.provide)(event(body));
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toMatchObject({ code, message: expect.any(String) });
    expect(f.objects.presigned).toEqual([]);
    expect(await f.jobs.listForOwner(ALICE, { limit: 10 })).toEqual({ jobs: [], hasMore: false });
  });

  it('names the datasets the caller may upload to when the dataset is unknown', async () => {
    const unknown = (groups: string) =>
      makeHttpCreateUploadHandler(fakeDeps().provide)(event({ ...valid, dataset: 'payroll' }, ALICE, groups));
    expect(JSON.parse((await unknown('[analysts]')).body)).toMatchObject({
      message: expect.stringContaining('use one of: customers, transactions.'),
      details: { datasets: ['customers', 'transactions'] },
    });
    expect(JSON.parse((await unknown('[admins]')).body)).toMatchObject({
      details: { datasets: ['transactions'] },
    });
    expect(JSON.parse((await unknown('')).body)).toMatchObject({
      message: expect.stringContaining('you may upload to none'),
      details: { datasets: [] },
    });
  });

  it.each([
    ['an admin to customers (analysts only)', 'customers', '[admins]'],
    ['a user in no group', 'transactions', ''],
    ['a user in another group', 'transactions', '[auditors]'],
  ])('refuses %s with 403 DATASET_NOT_ALLOWED and creates nothing', async (_label, dataset, groups) => {
    const f = fakeDeps();
    const response = await makeHttpCreateUploadHandler(f.provide)(
      event({ ...valid, dataset }, ALICE, groups),
    );
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({
      code: 'DATASET_NOT_ALLOWED',
      message: expect.stringContaining(`"${dataset}"`),
    });
    expect(f.objects.presigned).toEqual([]);
    expect(await f.jobs.listForOwner(ALICE, { limit: 10 })).toEqual({ jobs: [], hasMore: false });
  });

  it('checks the groups before the file: a refused caller learns nothing about the file rules', async () => {
    const f = fakeDeps();
    const response = await makeHttpCreateUploadHandler(f.provide)(
      event({ ...valid, dataset: 'customers', fileName: 'x.exe', sizeBytes: 0 }, ALICE, '[admins]'),
    );
    expect(JSON.parse(response.body).code).toBe('DATASET_NOT_ALLOWED');
  });

  it('answers 400 BAD_REQUEST to a body that is not JSON', async () => {
    for (const body of ['{"dataset":', '', 'null']) {
      const response = await makeHttpCreateUploadHandler(fakeDeps().provide)(event(body));
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).code).toBe(body === 'null' ? 'VALIDATION_FAILED' : 'BAD_REQUEST');
    }
  });

  it('answers 400 VALIDATION_FAILED with the path and message of each schema issue', async () => {
    const response = await makeHttpCreateUploadHandler(fakeDeps().provide)(
      event({ dataset: 7, fileName: 'a.csv', sizeBytes: -1, extra: true }),
    );
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body);
    expect(body.code).toBe('VALIDATION_FAILED');
    const paths = body.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['dataset', 'sizeBytes']));
    expect(body.details.issues.every((i: { message: string }) => typeof i.message === 'string')).toBe(true);
  });

  it('answers 401 without a Cognito sub', async () => {
    const response = await makeHttpCreateUploadHandler(fakeDeps().provide)(event(valid, null));
    expect(response.statusCode).toBe(401);
  });

  it('answers 503 when the database is unreachable, 500 for anything else, with no internals', async () => {
    const f = fakeDeps();
    f.jobs.failNextWith(new DatabaseError('database error while creating a job', { retryable: true }));
    const unavailable = await makeHttpCreateUploadHandler(f.provide)(event(valid));
    expect(unavailable.statusCode).toBe(503);
    expect(JSON.parse(unavailable.body).code).toBe('UPSTREAM_UNAVAILABLE');
    f.jobs.failNextWith(new TypeError('boom at line 12'));
    const broken = await makeHttpCreateUploadHandler(f.provide)(event(valid));
    expect(broken.statusCode).toBe(500);
    expect(broken.body).not.toContain('boom');
  });
});
