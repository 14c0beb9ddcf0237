import type { SourceValidators, StoredFile } from '../ports.ts';

/** What to do about a requested file, given its cached copy. */
export type CachePlan =
  /** No usable copy: download unconditionally. */
  | { readonly kind: 'download' }
  /** The copy is young enough to hand out without asking SRV-GW (`HERALD_FILE_CACHE_MAX_AGE_SECONDS`). */
  | { readonly kind: 'reuse' }
  /** Ask SRV-GW whether the copy is current: 304 → reuse it, 200 → the new version replaces it. */
  | { readonly kind: 'revalidate'; readonly ifNoneMatch?: string; readonly ifModifiedSince?: string };

/**
 * Decides between reusing, revalidating and downloading. A copy is revalidated with
 * `If-None-Match` (its SRV-GW `ETag`) and `If-Modified-Since` (its `Last-Modified`); SRV-GW
 * decides on the ETag when both are present (RFC 9110 §13.2.2). A copy without validators
 * cannot be revalidated and is downloaded again. With `maxAgeMs` 0 (the default) every request
 * revalidates, so a changed source is never served stale.
 *
 * @example
 * planCache(stored, clock.now(), 0); // { kind: 'revalidate', ifNoneMatch: '"1f-…"', … }
 */
export function planCache(cached: StoredFile | undefined, now: number, maxAgeMs: number): CachePlan {
  if (cached === undefined) return { kind: 'download' };
  const { etag, lastModified } = cached.source;
  if (etag === undefined && lastModified === undefined) return { kind: 'download' };
  if (maxAgeMs > 0 && now - cached.storedAt.getTime() < maxAgeMs) return { kind: 'reuse' };
  return {
    kind: 'revalidate',
    ...(etag !== undefined && { ifNoneMatch: etag }),
    ...(lastModified !== undefined && { ifModifiedSince: lastModified }),
  };
}

/**
 * A validator as it may be stored in S3 object metadata (sent as an HTTP header, so printable
 * ASCII only, at most 256 characters); undefined for anything else, which is then not kept.
 */
export function storableValidator(value: string | undefined): string | undefined {
  return value !== undefined && /^[\x20-\x7e]{1,256}$/.test(value) ? value : undefined;
}

/** The validators worth storing with a copy. */
export function storableValidators(validators: SourceValidators): SourceValidators {
  const etag = storableValidator(validators.etag);
  const lastModified = storableValidator(validators.lastModified);
  return { ...(etag !== undefined && { etag }), ...(lastModified !== undefined && { lastModified }) };
}
