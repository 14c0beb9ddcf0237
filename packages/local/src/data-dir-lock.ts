import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One local stack per data folder. PostgreSQL, s3rver and dynalite each keep their files there;
 * a second stack on the same folder would fight over them (and used to die with an error that
 * said nothing). The first stack writes `stack.json` (its pid and, once up, its URLs); a second
 * start on the folder is refused, naming them. A file left by a stack that died is taken over.
 */

export const LOCK_FILE = 'stack.json';

export interface StackLockInfo {
  readonly pid: number;
  readonly startedAt: string;
  readonly urls?: Readonly<Record<string, string>>;
}

/** Raised when another live stack holds the data folder. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly holder: StackLockInfo,
  ) {
    const urls = Object.entries(holder.urls ?? {})
      .map(([name, url]) => `${name} ${url}`)
      .join(', ');
    super(
      `another local stack (pid ${holder.pid}, started ${holder.startedAt}${urls ? `; ${urls}` : ''}) is using ` +
        `the data folder ${dataDir}. Use that stack, stop it (Ctrl-C in its terminal, or kill ${holder.pid}), ` +
        'or start this one on another folder: npm run dev -- --data-dir <folder>',
    );
  }
}

export interface DataDirLock {
  /** Records the running stack's URLs, so a refused second start can point at them. */
  describe(urls: Readonly<Record<string, string>>): void;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): StackLockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as StackLockInfo;
    return Number.isInteger(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data folder for this process, or throws {@link DataDirInUseError}.
 *
 * @example
 * const lock = lockDataDir('.herald');
 * lock.describe({ 'REST API': apiUrl });
 * // …
 * lock.release();
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  let info: StackLockInfo = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // O_EXCL: of two starts racing for the folder, exactly one creates the file.
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      const release = () => {
        if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
        process.removeListener('exit', release);
      };
      process.on('exit', release);
      return {
        describe(urls) {
          info = { ...info, urls };
          writeFileSync(file, JSON.stringify(info));
        },
        release,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder && holder.pid !== process.pid && alive(holder.pid))
        throw new DataDirInUseError(dataDir, holder);
      // Left by a stack that died (or unreadable): take the folder over.
      if (existsSync(file)) rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock the data folder ${dataDir}`);
}

/**
 * A sentence for anything thrown: an `Error`'s message, a string, or what was thrown instead
 * (`undefined` included), never a TypeError from reading `.message` of it.
 *
 * @example
 * describeThrown(undefined); // 'an unknown error (undefined was thrown)'
 */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message || thrown.name;
  if (typeof thrown === 'string' && thrown !== '') return thrown;
  return `an unknown error (${thrown === undefined ? 'undefined' : (JSON.stringify(thrown) ?? String(thrown))} was thrown)`;
}
