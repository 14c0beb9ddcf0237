import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/log.ts';
import { createPgPool } from '../../src/pg.ts';
import { databaseSecretPassword } from '../../src/secrets.ts';
import { postgresUrl } from './support.ts';

// Written first against the way @herald/ingest built its pool
// (`new pg.Pool({ connectionString: urlWithoutPassword, password: fn })`), where it failed with
// PostgreSQL's "empty password returned by client" (SCRAM on RDS: "client password must be a
// string"): pg 8 lets the URL's fields override the config object, so the function became null.
const quiet = createJsonLogger({}, () => {});

/** The local stack's URL without its password, and that password. */
function splitUrl(): { url: string; password: string } {
  const url = new URL(postgresUrl());
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { url: url.href, password };
}

describe('createPgPool on the real local PostgreSQL', () => {
  it('connects with a URL without the password plus a password function, asked per new connection', async () => {
    const { url, password } = splitUrl();
    let asked = 0;
    const pool = createPgPool(
      {
        url,
        password: async () => {
          asked++;
          return password;
        },
        max: 2,
      },
      quiet,
    );
    try {
      const [a, b] = await Promise.all([pool.connect(), pool.connect()]);
      const { rows } = await a.query<{ user: string }>('SELECT current_user AS user');
      expect(rows).toEqual([{ user: new URL(url).username }]);
      a.release();
      b.release();
      expect(asked).toBe(2);
      await pool.query('SELECT 1');
      expect(asked).toBe(2); // idle connections are reused, not re-authenticated
    } finally {
      await pool.end();
    }
  });

  it('uses the password of the URL when it has one, without asking the function', async () => {
    let asked = 0;
    const pool = createPgPool(
      {
        url: postgresUrl(),
        password: async () => {
          asked++;
          return 'wrong';
        },
      },
      quiet,
    );
    try {
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(asked).toBe(0);
    } finally {
      await pool.end();
    }
  });

  it('fails to connect when the function supplies a wrong password (the password is really used)', async () => {
    const { url } = splitUrl();
    const pool = createPgPool({ url, password: async () => 'not-the-password', max: 1 }, quiet);
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow(/password authentication failed/);
    } finally {
      await pool.end();
    }
  });

  it('survives a rotation: a password refused after rotation is read again, fresh, and the connection retried once', async () => {
    const admin = createPgPool({ url: postgresUrl(), max: 1 }, quiet);
    const role = `rotation_${Date.now().toString(36)}`;
    const setPassword = async (password: string) => {
      const { rows } = await admin.query<{ sql: string }>(
        'SELECT format($$ALTER ROLE %I PASSWORD %L$$, $1::text, $2::text) AS sql',
        [role, password],
      );
      await admin.query(rows[0]?.sql ?? '');
    };
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await setPassword('before-rotation');
    const url = new URL(splitUrl().url);
    url.username = role;
    // The extension's cache still holds the old value; Secrets Manager has the new one.
    let current = 'before-rotation';
    const reads = { cached: 0, fresh: 0 };
    const password = databaseSecretPassword('db-secret', {
      cached: async () => {
        reads.cached++;
        return JSON.stringify({ username: role, password: 'before-rotation' });
      },
      fresh: async () => {
        reads.fresh++;
        return JSON.stringify({ username: role, password: current });
      },
    });
    const pool = createPgPool({ url: url.href, password, max: 1, idleTimeoutMillis: 1 }, quiet);
    try {
      expect((await pool.query('SELECT current_user AS u')).rows).toEqual([{ u: role }]);
      current = 'after-rotation';
      await setPassword(current);
      // The idle connection is gone (1 ms idle timeout): the next query needs a new one.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(reads).toEqual({ cached: 2, fresh: 1 });
      // Without the fresh read, the stale cached password is refused: the retry is what saves the request.
      const stale = createPgPool({ url: url.href, password: async () => 'before-rotation', max: 1 }, quiet);
      await expect(stale.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });
      await stale.end();
    } finally {
      await pool.end();
      await admin.query(`DROP ROLE ${role}`);
      await admin.end();
    }
  });
});
