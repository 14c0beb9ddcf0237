import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

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

/** A REST call as one user: `(method, path, body)` → status and parsed body. */
export type UserCall = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

/**
 * PUTs parts of a multipart upload (each presigned through `POST /uploads/{jobId}/parts`), four
 * at a time; the ETags by part number.
 */
export async function putParts(
  call: UserCall,
  jobId: string,
  data: Buffer,
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
        body: data.subarray((n - 1) * partSize, n * partSize),
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
