import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { StackInfo } from './global-setup.ts';

/** The endpoints of the run's local stack. */
export function stack(): StackInfo {
  return inject('stack');
}

/** A dev token from the local identity provider, as the demo page gets one. */
export async function issueToken(
  username: string,
  options: { expiresIn?: number; audience?: string } = {},
): Promise<string> {
  const res = await fetch(`${stack().identity.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, ...options }),
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { idToken: string }).idToken;
}

/** A unique, lowercase name for this test file's schema, bucket prefix or table prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}
