import { randomUUID } from 'node:crypto';
import { CreateUploadResponseSchema, type JobView, JobViewSchema } from '@herald/protocol';
import { expect, inject } from 'vitest';

/** What this package's integration tests read from the run's local stack. */
export interface Stack {
  readonly apiUrl: string;
  readonly postgres: { readonly connectionString: string };
  readonly s3: {
    readonly endpoint: string;
    readonly buckets: { readonly uploads: string; readonly files: string };
  };
  readonly identity: { readonly issuer: string };
}

export const stack = (): Stack => inject('stack' as never) as Stack;

export const DEV_USERS = {
  alice: '6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001',
  bob: '6f1c1f9e-3b1a-4c55-9d0e-b0b000000002',
} as const;

/** A dev token from the local identity provider, as the demo page gets one. */
export async function issueToken(username: keyof typeof DEV_USERS): Promise<string> {
  const res = await fetch(`${stack().identity.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status}`);
  return ((await res.json()) as { idToken: string }).idToken;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const HEADER = 'transaction_id,customer_external_id,amount,currency,occurred_at,note';

/** A `transactions` CSV of `rows` generated rows (LF line ends, a header). */
export function transactionsCsv(rows: number): { text: string; ids: string[] } {
  const ids: string[] = [];
  const lines = [HEADER];
  const customer = randomUUID();
  for (let i = 0; i < rows; i++) {
    const id = randomUUID();
    ids.push(id);
    lines.push(`${id},${customer},${(i % 100_000) / 100},EUR,2026-05-01T10:00:00Z,row ${i}`);
  }
  return { text: `${lines.join('\n')}\n`, ids };
}

/** One REST call as `token`'s user; the JSON answer parsed. */
export async function api(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack().apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** POST /uploads then the presigned PUT; `declared` lets a test lie about the size. */
export async function upload(
  token: string,
  text: string,
  options: { dataset?: string; fileName?: string; declared?: number; dryRun?: boolean } = {},
): Promise<{ jobId: string; put: () => Promise<number> }> {
  const bytes = Buffer.from(text, 'utf8');
  const created = await api(token, 'POST', '/uploads', {
    dataset: options.dataset ?? 'transactions',
    fileName: options.fileName ?? 'transactions.csv',
    sizeBytes: options.declared ?? bytes.byteLength,
    ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { jobId, upload: presigned } = CreateUploadResponseSchema.parse(created.body);
  const put = async () =>
    (await fetch(presigned.url, { method: 'PUT', headers: presigned.headers, body: bytes })).status;
  expect(await put()).toBe(200);
  return { jobId, put };
}

/** Polls GET /jobs/{id} until the job is finished. */
export async function waitForJob(token: string, jobId: string, timeoutMs = 30_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(token, 'GET', `/jobs/${jobId}`);
    expect(res.status).toBe(200);
    const job = JobViewSchema.parse(res.body);
    if (job.finishedAt !== null) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state} after ${timeoutMs} ms`);
    await sleep(100);
  }
}
