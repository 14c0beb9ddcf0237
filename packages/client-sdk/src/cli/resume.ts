import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

// Where `herald upload` keeps the resume token of an upload sent in parts, so that after Ctrl-C
// (or a lost connection) `herald upload <file> --resume` continues from the parts S3 holds.
// One JSON file per uploaded file (by its absolute path) under `HERALD_STATE_DIR`
// (default `~/.herald`), deleted once the upload completes.

/** The state file of one uploaded file. */
function stateFile(env: Readonly<Record<string, string | undefined>>, file: string): string {
  const dir = env.HERALD_STATE_DIR ?? join(homedir(), '.herald');
  const id = createHash('sha256').update(resolve(file)).digest('hex').slice(0, 32);
  return join(dir, 'uploads', `${id}.json`);
}

/**
 * Remembers the resume token of `file`'s upload.
 *
 * @example
 * await saveResumeToken(process.env, 'big.csv', token, jobId);
 */
export async function saveResumeToken(
  env: Readonly<Record<string, string | undefined>>,
  file: string,
  token: string,
  jobId: string,
): Promise<void> {
  const path = stateFile(env, file);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, JSON.stringify({ file: resolve(file), jobId, token }), { mode: 0o600 });
}

/**
 * The remembered resume token of `file`'s upload, if any.
 *
 * @example
 * const saved = await loadResumeToken(process.env, 'big.csv');
 */
export async function loadResumeToken(
  env: Readonly<Record<string, string | undefined>>,
  file: string,
): Promise<{ readonly token: string; readonly jobId: string } | undefined> {
  try {
    const saved = JSON.parse(await readFile(stateFile(env, file), 'utf8')) as {
      token?: unknown;
      jobId?: unknown;
    };
    return typeof saved.token === 'string' && typeof saved.jobId === 'string'
      ? { token: saved.token, jobId: saved.jobId }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Forgets `file`'s upload (it completed).
 *
 * @example
 * await forgetResumeToken(process.env, 'big.csv');
 */
export async function forgetResumeToken(
  env: Readonly<Record<string, string | undefined>>,
  file: string,
): Promise<void> {
  await rm(stateFile(env, file), { force: true });
}
