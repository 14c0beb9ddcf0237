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
