import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { stack as stackInfo } from '../../packages/local/tests/support.ts';

// Secrets Manager rotates the database credentials (single-user rotation: the database gets the
// new password before the secret's new version is current), while the functions hold the old
// one in the Parameters and Secrets extension's cache for up to SECRETS_MANAGER_TTL. A new
// connection must still succeed: the pool reads the secret fresh after a refusal. A hardening
// file (they run one at a time): ending every database session would break other tests' work.

const stack = stackInfo();
const admin = new pg.Pool({ connectionString: stack.postgres.connectionString, max: 1 });
afterAll(() => admin.end());

async function token(username: string): Promise<string> {
  const res = await fetch(`${stack.identity.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  return ((await res.json()) as { idToken: string }).idToken;
}

/** Ends every session of the functions' database user: their pools must open new connections. */
async function dropFunctionSessions(): Promise<number> {
  const { rows } = await admin.query<{ ended: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
      WHERE usename = 'herald_admin' AND pid <> pg_backend_pid()`,
  );
  return rows.length;
}

describe('database credential rotation while the stack runs', () => {
  it('keeps the API answering: new connections after a rotation succeed with the new password', async () => {
    const alice = await token('alice');
    const jobs = () => fetch(`${stack.apiUrl}/jobs`, { headers: { authorization: `Bearer ${alice}` } });
    expect((await jobs()).status).toBe(200);

    const rotated = await fetch(`${stack.localUrl}/_local/rotate-database-password`, { method: 'POST' });
    expect(rotated.status).toBe(204);
    expect(await dropFunctionSessions()).toBeGreaterThan(0);
    // The pools notice their connections are gone (their `error` events) before the next requests.
    await new Promise((resolve) => setTimeout(resolve, 300));

    for (let i = 0; i < 3; i++) expect((await jobs()).status).toBe(200);
    // The worker too (it connects to the instance itself, not through the proxy).
    const csv = `external_id,name\n${randomUUID()},Rotated One\n${randomUUID()},Rotated Two\n`;
    const created = (await (
      await fetch(`${stack.apiUrl}/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          dataset: 'customers',
          fileName: 'rotated.csv',
          sizeBytes: Buffer.byteLength(csv),
        }),
      })
    ).json()) as { jobId: string; upload: { url: string; headers: Record<string, string> } };
    expect(
      (await fetch(created.upload.url, { method: 'PUT', headers: created.upload.headers, body: csv })).status,
    ).toBe(200);
    let state = '';
    for (let i = 0; i < 100 && !['succeeded', 'failed'].includes(state); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const job = (await (
        await fetch(`${stack.apiUrl}/jobs/${created.jobId}`, {
          headers: { authorization: `Bearer ${alice}` },
        })
      ).json()) as { state: string };
      state = job.state;
    }
    expect(state).toBe('succeeded');
    // The old password no longer works: the requests really went through the new one.
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'herald_admin'`,
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  });
});
