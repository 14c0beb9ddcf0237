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
  // A file of 16 MiB or more is uploaded in parts.
  const call: UserCall = (method, path, body) => api(token, method, path, body);
  const partNumbers = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
  const put = async () =>
    presigned.method === 'PUT'
      ? (await fetch(presigned.url, { method: 'PUT', headers: presigned.headers, body: bytes })).status
      : (
          await completeParts(
            call,
            jobId,
            await putParts(call, jobId, bytes, presigned.partSize, partNumbers(presigned.partCount)),
          )
        ).status;
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

/** A REST call as one user: `(method, path, body)` → status and parsed body. */
export type UserCall = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

/**
 * PUTs parts of a multipart upload (each presigned through `POST /uploads/{jobId}/parts`), four
 * at a time; the ETags by part number. A Blob (`fs.openAsBlob`) is read part by part from disk.
 */
export async function putParts(
  call: UserCall,
  jobId: string,
  data: Buffer | Blob,
  partSize: number,
  numbers: readonly number[],
): Promise<Map<number, string>> {
  const etags = new Map<number, string>();
  const queue = [...numbers];
  const worker = async () => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      const presigned = await call('POST', `/uploads/${jobId}/parts`, { partNumbers: [n] });
      if (presigned.status !== 200) throw new Error(`presign ${n}: ${presigned.status}`);
      const [part] = (presigned.body as { parts: { url: string }[] }).parts;
      const res = await fetch(part?.url ?? '', {
        method: 'PUT',
        body: data.slice((n - 1) * partSize, n * partSize),
      });
      if (res.status !== 200) throw new Error(`part ${n}: ${res.status}`);
      etags.set(n, res.headers.get('etag') ?? '');
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return etags;
}

/** `POST /uploads/{jobId}/complete` with these parts, ascending. */
export const completeParts = (call: UserCall, jobId: string, etags: ReadonlyMap<number, string>) =>
  call('POST', `/uploads/${jobId}/complete`, {
    parts: [...etags].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag })),
  });
