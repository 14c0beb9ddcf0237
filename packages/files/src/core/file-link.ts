import {
  type CreateFileLinkRequest,
  type ErrorEnvelope,
  errorEnvelope,
  type FileLink,
  type FileReadyEvent,
} from '@herald/protocol';
import type { Logger } from '@herald/runtime';
import { isRetryable } from '@herald/runtime';
import {
  DeadlineExceededError,
  FileTooLargeError,
  IncompleteTransferError,
  QueueError,
  SourceNotFoundError,
  UnsupportedContentTypeError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../errors.ts';
import type { DownloadLinks, FetchQueue, FileNotifier, GrantRepository } from '../ports.ts';
import { contentDisposition, downloadFileName } from './file-disposition.ts';
import { type FileFetchDeps, fetchIntoCache } from './file-fetch.ts';
import { type FileFetchMessage, parseFileFetchMessage } from './file-fetch-message.ts';
import { type Caller, decideAccess, isHomePath } from './file-grants.ts';
import { fileNameOf, normaliseFilePath, pathForLog } from './file-path.ts';

/** What `POST /files/links` and the fetch worker need. */
export interface FileLinkDeps extends FileFetchDeps {
  readonly grants: GrantRepository;
  readonly fetchQueue: FetchQueue;
  readonly notifier: FileNotifier;
  /** Signs the download links: CloudFront signed URLs, or presigned S3 GETs without a distribution. */
  readonly links: DownloadLinks;
  /** New request ids (random UUIDs). */
  readonly newId: () => string;
}

/** `Retry-After` (seconds) of an answer saying SRV-GW or a dependency is unavailable or slow. */
export const RETRY_AFTER_SECONDS = 10;

/** What `POST /files/links` answers. */
export type FileLinkOutcome =
  /** 200: the link (also sent as `file.ready`). */
  | { readonly kind: 'ready'; readonly link: FileLink }
  /** 202: the fetch continues in the worker; the link arrives as `file.ready`. */
  | { readonly kind: 'pending'; readonly requestId: string }
  | { readonly kind: 'refused'; readonly error: ErrorEnvelope; readonly retryAfterSeconds?: number };

type Authorized =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly error: ErrorEnvelope };

/**
 * Normalises the path and decides access, logging the decision (user, groups, path, allow or
 * deny, rule). A refused path never reaches SRV-GW: `INVALID_PATH` (400) or
 * `PATH_NOT_ALLOWED` (403).
 */
export async function authorizeFile(
  d: { readonly grants: GrantRepository },
  caller: Caller,
  rawPath: string,
  log: Logger,
): Promise<Authorized> {
  const checked = normaliseFilePath(rawPath);
  const fields = { userId: caller.userId, groups: caller.groups };
  if (!checked.ok) {
    log.log('info', 'file access decision', {
      ...fields,
      path: pathForLog(rawPath),
      decision: 'deny',
      rule: `invalid-path:${checked.rule}`,
    });
    return { ok: false, error: errorEnvelope('INVALID_PATH', checked.message, { rule: checked.rule }) };
  }
  const grants = isHomePath(checked.path) ? [] : await d.grants.candidatesFor(checked.path);
  const decision = decideAccess(caller, checked.path, grants);
  log.log('info', 'file access decision', {
    ...fields,
    path: pathForLog(checked.path),
    decision: decision.allow ? 'allow' : 'deny',
    rule: decision.rule,
  });
  if (!decision.allow) return { ok: false, error: errorEnvelope('PATH_NOT_ALLOWED') };
  return { ok: true, path: checked.path };
}

/** What a hand-off (queue the fetch, answer 202) may take at most, out of the invocation's time. */
export const HAND_OFF_MARGIN_MS = 1500;

/**
 * `POST /files/links`: authorize, bring the file into the cache within the budget, presign
 * and send `file.ready`. When the budget (the server's, or the caller's smaller `waitMs`) runs
 * out first, the transfer is aborted (nothing partial stays in S3), the work is queued for the
 * fetch worker, and the answer is `pending` (202).
 *
 * @example
 * const outcome = await requestFileLink(deps, { userId, groups }, { path: 'reports/q3.csv' }, log, context.getRemainingTimeInMillis());
 */
export async function requestFileLink(
  d: FileLinkDeps,
  caller: Caller,
  request: CreateFileLinkRequest,
  log: Logger,
  timeLeftMs?: number,
): Promise<FileLinkOutcome> {
  const authorized = await authorizeFile(d, caller, request.path, log);
  if (!authorized.ok) return { kind: 'refused', error: authorized.error };
  const requestId = d.newId();
  const requestLog = log.child({ fileRequestId: requestId });
  // The budget never outlasts the invocation: what is left of it, less the time to hand off
  // and answer 202 (else Lambda ends the request and the caller gets API Gateway's 502).
  const waitMs = Math.min(
    request.waitMs ?? d.delivery.budgetMs,
    d.delivery.budgetMs,
    timeLeftMs === undefined ? Number.POSITIVE_INFINITY : timeLeftMs - HAND_OFF_MARGIN_MS,
  );
  const message: FileFetchMessage = {
    v: 1,
    requestId,
    userId: caller.userId,
    groups: [...caller.groups],
    path: authorized.path,
    requestedAt: new Date(d.clock.now()).toISOString(),
  };
  if (waitMs <= 0) return handOff(d, message, requestLog);

  const budget = new AbortController();
  const timer = setTimeout(
    () => budget.abort(new DeadlineExceededError(`the ${waitMs} ms budget of POST /files/links ran out`)),
    waitMs,
  );
  try {
    const link = await deliverLink(d, caller.userId, authorized.path, requestId, budget.signal, requestLog);
    return { kind: 'ready', link };
  } catch (error) {
    if (budget.signal.aborted) return handOff(d, message, requestLog);
    return refusalFor(error, requestLog);
  } finally {
    clearTimeout(timer);
  }
}

async function handOff(d: FileLinkDeps, message: FileFetchMessage, log: Logger): Promise<FileLinkOutcome> {
  try {
    await d.fetchQueue.enqueue(message);
  } catch (error) {
    return refusalFor(error, log);
  }
  log.log('info', 'file fetch queued', { path: pathForLog(message.path) });
  return { kind: 'pending', requestId: message.requestId };
}

/** Fetches into the cache, signs a download link and sends `file.ready`; the link. */
async function deliverLink(
  d: FileLinkDeps,
  userId: string,
  path: string,
  requestId: string,
  signal: AbortSignal | undefined,
  log: Logger,
): Promise<FileLink> {
  const { file, outcome } = await fetchIntoCache(d, path, { signal, log });
  const fileName = downloadFileName(fileNameOf(path));
  const now = d.clock.now();
  // Taken before signing, so the link never outlives the time announced.
  const expiresAt = new Date(now + d.delivery.linkTtlSeconds * 1000).toISOString();
  const url = await d.links.presignDownload(file.key, {
    expiresInSeconds: d.delivery.linkTtlSeconds,
    contentDisposition: contentDisposition(fileName),
  });
  const link: FileLink = {
    requestId,
    url,
    expiresAt,
    size: file.size,
    contentType: file.contentType,
    fileName,
  };
  log.log('info', 'file link issued', { path: pathForLog(path), outcome, size: file.size });
  // One event per request, so its seq is 1; a redelivered worker message repeats it (clients
  // deduplicate on requestId).
  const event: FileReadyEvent = {
    type: 'file.ready',
    seq: 1,
    at: new Date(now).toISOString(),
    path,
    ...link,
  };
  await d.notifier.fileReady(userId, event);
  return link;
}

/**
 * The answer for a failed fetch. SRV-GW's 404 → `FILE_NOT_FOUND`; size and type refusals →
 * `FILE_TOO_LARGE` / `UNSUPPORTED_CONTENT_TYPE`; SRV-GW silent → `UPSTREAM_TIMEOUT` (504);
 * SRV-GW or a dependency unavailable → `UPSTREAM_UNAVAILABLE` (503); the last two with
 * `Retry-After`. Anything else is thrown on (the handler answers 500 `INTERNAL`).
 */
export function refusalFor(error: unknown, log: Logger): FileLinkOutcome {
  const refused = (envelope: ErrorEnvelope, retryAfterSeconds?: number): FileLinkOutcome => {
    log.log(retryAfterSeconds === undefined ? 'info' : 'warn', 'file link refused', {
      code: envelope.code,
      error,
    });
    return {
      kind: 'refused',
      error: envelope,
      ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    };
  };
  if (error instanceof SourceNotFoundError) return refused(errorEnvelope('FILE_NOT_FOUND'));
  if (error instanceof FileTooLargeError) {
    const mib = Math.floor(error.limitBytes / (1024 * 1024));
    const limit = mib >= 1 ? `${mib} MiB` : `${error.limitBytes} bytes`;
    return refused(
      errorEnvelope('FILE_TOO_LARGE', `The file is larger than the ${limit} file delivery allows.`),
    );
  }
  if (error instanceof UnsupportedContentTypeError) {
    return refused(
      errorEnvelope('UNSUPPORTED_CONTENT_TYPE', `Files of type ${error.contentType} cannot be delivered.`),
    );
  }
  if (error instanceof UpstreamTimeoutError) {
    return refused(
      errorEnvelope('UPSTREAM_TIMEOUT', 'The file server did not answer in time; please try again later.'),
      RETRY_AFTER_SECONDS,
    );
  }
  if (error instanceof UpstreamUnavailableError || error instanceof IncompleteTransferError) {
    return refused(
      errorEnvelope('UPSTREAM_UNAVAILABLE', 'The file server is unavailable; please try again later.'),
      RETRY_AFTER_SECONDS,
    );
  }
  // The queue, the database or S3 failing in a way a retry may fix.
  if (error instanceof QueueError || isRetryable(error)) {
    return refused(errorEnvelope('UPSTREAM_UNAVAILABLE'), RETRY_AFTER_SECONDS);
  }
  throw error;
}

/** How the worker's message was received. */
export interface FetchDelivery {
  readonly receiveCount: number;
  readonly maxReceives: number;
  /** Epoch ms by which the worker must stop (the Lambda timeout minus a margin). */
  readonly deadline: number;
}

/**
 * The fetch worker (`sqs-fetch-file`): one queued request. Re-checks the path and the grants
 * (a grant may have gone since), fetches without the API's budget (until `deadline`),
 * presigns and sends `file.ready`. `retry: true` only for a retryable fault with receives
 * left; anything else is logged and dropped (the protocol has no `file.failed` event yet, so
 * the user learns of it only by asking again).
 *
 * @example
 * const { retry } = await processFileFetch(deps, record.body, { receiveCount, maxReceives: 3, deadline }, log);
 */
export async function processFileFetch(
  d: FileLinkDeps,
  body: string,
  delivery: FetchDelivery,
  log: Logger,
): Promise<{ retry: boolean }> {
  const message = parseFileFetchMessage(body);
  if (message === undefined) {
    log.log('warn', 'file fetch message is malformed; dropped');
    return { retry: false };
  }
  const messageLog = log.child({ fileRequestId: message.requestId, userId: message.userId });
  const remaining = delivery.deadline - d.clock.now();
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DeadlineExceededError('the fetch worker ran out of time')),
    Math.max(0, remaining),
  );
  try {
    const caller = { userId: message.userId, groups: message.groups };
    const authorized = await authorizeFile(d, caller, message.path, messageLog);
    if (!authorized.ok) {
      messageLog.log('warn', 'queued file fetch no longer allowed; dropped', { code: authorized.error.code });
      return { retry: false };
    }
    await deliverLink(d, message.userId, authorized.path, message.requestId, deadline.signal, messageLog);
    return { retry: false };
  } catch (error) {
    const reason = deadline.signal.aborted ? deadline.signal.reason : error;
    const retry = isRetryable(reason) && delivery.receiveCount < delivery.maxReceives;
    messageLog.log(
      retry ? 'warn' : 'error',
      retry ? 'file fetch failed; will retry' : 'file fetch failed for good',
      {
        receiveCount: delivery.receiveCount,
        error: reason,
      },
    );
    return { retry };
  } finally {
    clearTimeout(timer);
  }
}
