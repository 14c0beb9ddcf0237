import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createHeraldClient, type HeraldClient } from '../client.ts';
import { HeraldClientError, JobFailedError } from '../errors.ts';
import { createFetchUploader } from '../fetch-uploader.ts';
import type { JobHandle, JobProgress, JobResult, UploadHandle } from '../job-handle.ts';
import { multipartUploader, type PartCounts, resumeUpload } from '../multipart.ts';
import type { HeraldClientOptions } from '../options.ts';
import { FileBlob } from './file-blob.ts';
import { filePartFetch } from './file-part-fetch.ts';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatJobsTable,
  formatRowErrors,
  progressLine,
} from './format.ts';
import { forgetResumeToken, loadResumeToken, saveResumeToken } from './resume.ts';

/**
 * Where the CLI reads and writes; `process` by default, fakes in tests.
 *
 * @example
 * await main(['jobs', '--json'], { stdout, stderr, env: { HERALD_TOKEN: token } });
 */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts a running command (the launcher wires Ctrl-C to it). */
  readonly signal?: AbortSignal;
  /**
   * Asks a yes/no question (the launcher reads the answer from a terminal); without it, the
   * answer is no. An interrupted upload asks whether to cancel its job on the server too.
   */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Extra client options (tests shorten timings). */
  readonly clientOptions?: Partial<HeraldClientOptions>;
}

/**
 * Exit codes: 0 success, 1 the operation failed (a failed job, an API error), 2 a usage or
 * configuration mistake, 130 interrupted.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

const USAGE = `Usage: herald <command> [options]

Commands:
  upload <file> --dataset <name>   upload a CSV and follow its job (exit 1 if the job fails);
                                   Ctrl-C asks whether to cancel the job too
  jobs [--limit <n>] [--cursor <c>] list your jobs, newest first
  job <jobId>                      show one job
  link <path>                      print a download link for a file

Options:
  --dataset, -d <name>   dataset to load into (upload)
  --file-name <name>     file name to record (upload; default: the file's name)
  --dry-run              validate the whole file as a load would, load nothing (upload)
  --json                 machine-readable output on stdout
  --api-url <url>        REST API URL        (env HERALD_API_URL)
  --ws-url <url>         WebSocket API URL   (env HERALD_WS_URL)
  --token <jwt>          Cognito ID token    (env HERALD_TOKEN)
  --timeout <seconds>    give up waiting after this long (upload, link)
  --resume               continue an interrupted upload of the file from the parts already sent (upload)
  --help, -h             show this help

Exit codes: 0 ok, 1 failed, 2 usage or configuration error, 130 interrupted.
`;

class UsageError extends Error {}

interface Context {
  readonly io: CliIo;
  readonly json: boolean;
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: readonly string[];
}

function print(io: CliIo, text: string): void {
  io.stdout.write(`${text}\n`);
}

function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function option(ctx: Context, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

function makeClient(ctx: Context, extra: Partial<HeraldClientOptions> = {}): HeraldClient {
  const { env } = ctx.io;
  const apiUrl = option(ctx, 'api-url') ?? env.HERALD_API_URL;
  const wsUrl = option(ctx, 'ws-url') ?? env.HERALD_WS_URL;
  const token = option(ctx, 'token') ?? env.HERALD_TOKEN;
  const missing = [
    apiUrl ? undefined : '--api-url or HERALD_API_URL',
    wsUrl ? undefined : '--ws-url or HERALD_WS_URL',
    token ? undefined : '--token or HERALD_TOKEN',
  ].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`missing configuration: set ${missing.join(', ')}.`);
  try {
    return createHeraldClient({
      apiUrl: apiUrl as string,
      wsUrl: wsUrl as string,
      getToken: () => token,
      WebSocket,
      ...extra,
      ...ctx.io.clientOptions,
    });
  } catch (err) {
    if (err instanceof HeraldClientError && err.code === 'INVALID_ARGUMENT')
      throw new UsageError(err.message);
    throw err;
  }
}

function timeoutMs(ctx: Context): number | undefined {
  const raw = option(ctx, 'timeout');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError('--timeout must be a positive number of seconds.');
  return seconds * 1000;
}

/** Rejects when `ms` passes, when the caller aborts, or when the connection is refused for good. */
function guard<T>(
  ctx: Context,
  client: HeraldClient,
  work: Promise<T>,
  ms: number | undefined,
  onStop: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = (error: HeraldClientError) => {
      onStop();
      reject(error);
    };
    const timer =
      ms === undefined
        ? undefined
        : setTimeout(() => stop(new HeraldClientError('TIMEOUT', `gave up after ${ms / 1000} s.`)), ms);
    const onAbort = () => stop(new HeraldClientError('ABORTED', 'interrupted.'));
    ctx.io.signal?.addEventListener('abort', onAbort, { once: true });
    const offState = client.on('state', (change) => {
      if (change.to === 'closed' && change.error) stop(change.error);
    });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      ctx.io.signal?.removeEventListener('abort', onAbort);
      offState();
    });
  });
}

/**
 * `herald upload <file> --resume`: sends the parts of the file's interrupted upload that S3 does
 * not hold yet, says where it resumed, and answers the job id to follow.
 */
async function resumeFile(
  ctx: Context,
  client: HeraldClient,
  file: string,
  body: Blob,
  limit: number | undefined,
  onParts: (counts: PartCounts) => void,
  showProgress: (p: JobProgress) => void,
): Promise<string> {
  const saved = await loadResumeToken(ctx.io.env, file);
  if (!saved) throw new UsageError(`there is no interrupted upload of ${file} to resume.`);
  const stop = new AbortController();
  let first = true;
  const resumed = await guard(
    ctx,
    client,
    resumeUpload(client, saved.token, body, {
      fetch: filePartFetch(),
      signal: stop.signal,
      onParts,
      onProgress: (bytesSent, bytesTotal) => {
        const percent = (bytesSent / bytesTotal) * 100;
        if (first && !ctx.json)
          ctx.io.stderr.write(
            `Resumed at ${percent.toFixed(1)} % (${formatBytes(bytesSent)} already uploaded)\n`,
          );
        first = false;
        showProgress({ phase: 'uploading', percent, bytesSent, bytesTotal });
      },
    }),
    limit,
    () => stop.abort(),
  );
  return resumed.jobId;
}

async function upload(ctx: Context): Promise<number> {
  const [file, ...extra] = ctx.positionals;
  if (!file || extra.length > 0)
    throw new UsageError('upload takes exactly one file: herald upload <file> --dataset <name>');
  const dataset = option(ctx, 'dataset');
  if (!dataset) throw new UsageError('upload needs --dataset <name>, e.g. --dataset transactions.');
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${file} is not a file.`);
    size = info.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const limit = timeoutMs(ctx);
  const { io } = ctx;
  // A file of 16 MiB or more goes up in parts; its resume token is kept for `--resume`.
  let parts: PartCounts | undefined;
  let resumable = false;
  const onParts = (counts: PartCounts) => {
    parts = counts;
  };
  const client = makeClient(ctx, {
    uploader: multipartUploader({
      // Parts go from disk through node:http, 128 KiB each in flight (see file-part-fetch.ts),
      // here and on `--resume`; a file under the threshold is one streamed PUT.
      fetch: filePartFetch(),
      single: createFetchUploader(),
      onParts,
      onResumeToken: (token, jobId) => {
        resumable = true;
        saveResumeToken(io.env, file, token, jobId).catch(() => {});
      },
    }),
  });
  const live = io.stderr.isTTY === true;
  let lastPhase = '';
  let handle: UploadHandle | JobHandle | undefined;
  const showProgress = (p: JobProgress) => {
    const inParts =
      p.phase === 'uploading' && parts
        ? `  parts ${parts.done}/${parts.total}, ${parts.inFlight} in flight`
        : '';
    if (live) io.stderr.write(`\r\x1b[2K${progressLine(p, io.stderr.columns ?? 80)}${inParts}`);
    else if (!ctx.json && p.phase !== lastPhase && p.phase !== 'pending') io.stderr.write(`${p.phase}…\n`);
    lastPhase = p.phase;
  };
  try {
    const dryRun = ctx.values['dry-run'] === true;
    // A Blob over the file at its exact size: parts are read 64 KiB at a time, never whole.
    const body = new FileBlob(file, 0, size);
    handle =
      ctx.values.resume === true
        ? client.follow(await resumeFile(ctx, client, file, body, limit, onParts, showProgress))
        : client.upload(body, {
            dataset,
            fileName: option(ctx, 'file-name') ?? basename(file),
            sizeBytes: size,
            dryRun,
          });
    handle.on('progress', showProgress);
    const watched = handle;
    let result: JobResult;
    try {
      result = await guard(ctx, client, watched.done, limit, () =>
        'abort' in watched ? (watched as UploadHandle).abort() : watched.close(),
      );
    } finally {
      if (live) io.stderr.write('\n');
    }
    await forgetResumeToken(io.env, file);
    if (ctx.json)
      printJson(io, { ok: true, ...result, dryRun, dataset, fileName: basename(file), sizeBytes: size });
    else {
      const rows = `${formatCount(result.rowsLoaded)} row${result.rowsLoaded === 1 ? '' : 's'}`;
      print(
        io,
        `${dryRun ? `Validated: ${rows} would load into ${dataset}, nothing was loaded` : `Loaded ${rows} into ${dataset}`} ` +
          `(${formatCount(result.rowsRejected)} rejected) from ${basename(file)} (${formatBytes(size)}) in ${formatDuration(result.durationMs)}. Job ${result.jobId}`,
      );
    }
    return EXIT.OK;
  } catch (err) {
    // Stopped while parts were going up: the parts S3 holds are kept for `--resume`.
    if (
      err instanceof HeraldClientError &&
      resumable &&
      lastPhase === 'uploading' &&
      err.code !== 'INVALID_ARGUMENT' &&
      !ctx.json
    ) {
      io.stderr.write(
        `herald: continue this upload with: herald upload ${file} --dataset ${dataset} --resume\n`,
      );
    }
    if (err instanceof HeraldClientError && err.code === 'ABORTED' && io.signal?.aborted && handle?.jobId)
      return await interrupted(ctx, client, handle.jobId);
    if (!(err instanceof JobFailedError)) throw err;
    await forgetResumeToken(io.env, file);
    if (ctx.json) {
      printJson(io, {
        ok: false,
        jobId: err.jobId,
        error: { code: err.code, message: err.message },
        rowErrors: err.rowErrors,
      });
    } else {
      io.stderr.write(`herald: job ${err.jobId} failed (${err.code}): ${err.message}\n`);
      if (err.rowErrors.length > 0) {
        io.stderr.write(`Rejected rows:\n${formatRowErrors(err.rowErrors).join('\n')}\n`);
      }
    }
    return EXIT.FAILED;
  } finally {
    client.close();
  }
}

/**
 * Ctrl-C during an upload: the CLI stops following either way; the job itself is cancelled on
 * the server only when the user says so (a load may be worth keeping).
 */
async function interrupted(ctx: Context, client: HeraldClient, jobId: string): Promise<number> {
  const { io } = ctx;
  const cancel = (await io.confirm?.(`Cancel job ${jobId} on the server too? [y/N] `)) === true;
  if (!cancel) {
    io.stderr.write(`herald: stopped following; job ${jobId} goes on (herald job ${jobId}).\n`);
    return EXIT.INTERRUPTED;
  }
  const { status } = await client.rest.cancelJob({ params: { id: jobId } });
  io.stderr.write(
    status === 200
      ? `herald: job ${jobId} cancelled; nothing was loaded.\n`
      : `herald: job ${jobId} is being cancelled; nothing of it will be loaded.\n`,
  );
  return EXIT.INTERRUPTED;
}

async function jobs(ctx: Context): Promise<number> {
  const limitText = option(ctx, 'limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new UsageError('--limit must be a positive whole number.');
  const client = makeClient(ctx);
  const list = await client.jobs({ limit, cursor: option(ctx, 'cursor') });
  if (ctx.json) printJson(ctx.io, list);
  else {
    print(ctx.io, formatJobsTable(list.jobs));
    if (list.nextCursor) print(ctx.io, `\nMore: herald jobs --cursor ${list.nextCursor}`);
  }
  return EXIT.OK;
}

async function job(ctx: Context): Promise<number> {
  const [jobId] = ctx.positionals;
  if (!jobId) throw new UsageError('job needs a job id: herald job <jobId>');
  const client = makeClient(ctx);
  const view = await client.job(jobId);
  const errors = view.state === 'failed' ? await client.jobErrors(jobId).catch(() => undefined) : undefined;
  if (ctx.json) printJson(ctx.io, errors ? { ...view, rowErrors: errors.rowErrors } : view);
  else {
    print(ctx.io, formatJobsTable([view]));
    if (view.error) print(ctx.io, `\n${view.error.code}: ${view.error.message}`);
    if (errors && errors.rowErrors.length > 0) print(ctx.io, formatRowErrors(errors.rowErrors).join('\n'));
  }
  return view.state === 'failed' ? EXIT.FAILED : EXIT.OK;
}

async function link(ctx: Context): Promise<number> {
  const [path] = ctx.positionals;
  if (!path) throw new UsageError('link needs a file path: herald link <path>');
  const limit = timeoutMs(ctx);
  const client = makeClient(ctx);
  try {
    const controller = new AbortController();
    const result = await guard(
      ctx,
      client,
      client.getFileLink(path, { signal: controller.signal, timeoutMs: limit }),
      undefined,
      () => controller.abort(),
    );
    if (ctx.json) printJson(ctx.io, result);
    else print(ctx.io, result.url);
    return EXIT.OK;
  } finally {
    client.close();
  }
}

const COMMANDS: Record<string, (ctx: Context) => Promise<number>> = { upload, jobs, job, link };

/**
 * Runs the `herald` CLI with its arguments; resolves to the exit code. Never throws.
 *
 * @example
 * process.exitCode = await main(['upload', 'rows.csv', '--dataset', 'transactions']);
 */
export async function main(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let json = false;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        dataset: { type: 'string', short: 'd' },
        'file-name': { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        'api-url': { type: 'string' },
        'ws-url': { type: 'string' },
        token: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
        timeout: { type: 'string' },
        resume: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    json = values.json === true;
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      (command === undefined && !values.help ? io.stderr : io.stdout).write(USAGE);
      return command === undefined && !values.help ? EXIT.USAGE : EXIT.OK;
    }
    const run = COMMANDS[command];
    if (!run)
      throw new UsageError(`unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(', ')}.`);
    return await run({ io, json, values, positionals: rest });
  } catch (err) {
    return report(io, json, err);
  }
}

function report(io: CliIo, json: boolean, err: unknown): number {
  if (
    err instanceof UsageError ||
    (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    io.stderr.write(`herald: ${err.message}\nRun "herald --help" for usage.\n`);
    return EXIT.USAGE;
  }
  const error =
    err instanceof HeraldClientError
      ? err
      : new HeraldClientError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
  if (json)
    printJson(io, { ok: false, error: { code: error.code, message: error.message, status: error.status } });
  const hint =
    error.code === 'UNAUTHENTICATED'
      ? ' Check HERALD_TOKEN (or --token): it may be missing or expired.'
      : error.code === 'NETWORK_ERROR'
        ? ' Check HERALD_API_URL / HERALD_WS_URL (or --api-url / --ws-url).'
        : '';
  io.stderr.write(`herald: ${error.message} (${error.code})${hint}\n`);
  return error.code === 'ABORTED' ? EXIT.INTERRUPTED : EXIT.FAILED;
}
