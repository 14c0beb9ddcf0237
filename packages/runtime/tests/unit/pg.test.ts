import { describe, expect, it } from 'vitest';
import { pgPoolOptions } from '../../src/pg.ts';

const password = async () => 'from-the-secret';

describe('pgPoolOptions', () => {
  it('passes explicit fields, never connectionString, with the password function when the URL has none', () => {
    const options = pgPoolOptions({
      url: 'postgresql://herald_admin@proxy.example.com:5432/herald?sslmode=verify-full',
      password,
      max: 2,
    });
    expect(options).toEqual({
      host: 'proxy.example.com',
      port: 5432,
      user: 'herald_admin',
      database: 'herald',
      password,
      ssl: { rejectUnauthorized: true },
      max: 2,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
    });
    expect(options).not.toHaveProperty('connectionString');
  });

  it('takes the URL’s password when it has one, decoded, and no TLS without sslmode', () => {
    const options = pgPoolOptions({ url: 'postgres://u%40x:p%2Fw%3A1@127.0.0.1/db%20one', password });
    expect(options).toMatchObject({
      user: 'u@x',
      password: 'p/w:1',
      database: 'db one',
      port: 5432,
      ssl: false,
    });
  });

  it.each([
    ['disable', false],
    ['require', { rejectUnauthorized: true }],
    ['verify-ca', { rejectUnauthorized: true }],
    ['no-verify', { rejectUnauthorized: false }],
  ])('maps sslmode=%s', (mode, ssl) => {
    expect(pgPoolOptions({ url: `postgres://u@h/db?sslmode=${mode}` }).ssl).toEqual(ssl);
  });

  // The hardening suite finds a worker's backends by it; libpq and pg's connection strings accept it.
  it('passes application_name from the URL, and only when present', () => {
    expect(pgPoolOptions({ url: 'postgres://u@h/db?application_name=hx-worker-1' }).application_name).toBe(
      'hx-worker-1',
    );
    expect(pgPoolOptions({ url: 'postgres://u@h/db' })).not.toHaveProperty('application_name');
  });

  it('refuses what it cannot honour, without quoting the URL', () => {
    expect(() => pgPoolOptions({ url: 'mysql://u:secret-pw@h/db' })).toThrow(/postgres:\/\//);
    expect(() => pgPoolOptions({ url: 'postgres://u:secret-pw@h/db?sslmode=allow' })).toThrow(
      /sslmode "allow"/,
    );
    expect(() => pgPoolOptions({ url: 'not a url secret-pw' })).toThrow(/not a URL$/);
    for (const url of ['mysql://u:secret-pw@h/db', 'not a url secret-pw']) {
      expect(() => pgPoolOptions({ url })).not.toThrow(/secret-pw/);
    }
  });
});
