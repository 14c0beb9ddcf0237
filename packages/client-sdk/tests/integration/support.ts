import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

/** The endpoints of the run's local stack (started by the integration project's globalSetup). */
export interface Stack {
  readonly apiUrl: string;
  readonly wsUrl: string;
  readonly identity: { readonly issuer: string };
}

export function stack(): Stack {
  return inject('stack' as never) as Stack;
}

/** A dev user's ID token from the local identity provider. */
export async function issueToken(username = 'alice'): Promise<string> {
  const res = await fetch(`${stack().identity.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { idToken: string }).idToken;
}

export const HEADER = 'transaction_id,customer_external_id,amount,currency,occurred_at,note';

/** A valid `transactions` CSV of `rows` rows. */
export function goodCsv(rows: number): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `${randomUUID()},${randomUUID()},${(i * 3.25).toFixed(2)},EUR,2026-03-0${(i % 9) + 1}T10:00:00Z,row ${i}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A `transactions` CSV whose line 3 (the second data row) has `12,5` as its amount. */
export function badCsv(): string {
  return [
    HEADER,
    `${randomUUID()},${randomUUID()},10.00,EUR,2026-03-01T10:00:00Z,fine`,
    `${randomUUID()},${randomUUID()},"12,5",EUR,2026-03-01T10:00:00Z,bad amount`,
    `${randomUUID()},${randomUUID()},7.25,USD,2026-03-02T10:00:00Z,`,
    '',
  ].join('\n');
}
