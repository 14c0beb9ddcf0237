/**
 * Media types file delivery hands out by default. Deliberately absent: `text/html`,
 * `image/svg+xml`, `application/xml`, JavaScript (they can run script in a browser that
 * opens them) and `application/octet-stream` (unknown content). `HERALD_FILE_CONTENT_TYPES`
 * replaces the list.
 */
export const DEFAULT_ALLOWED_CONTENT_TYPES: readonly string[] = [
  'text/plain',
  'text/csv',
  'text/markdown',
  'application/json',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'application/zip',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
];

/** RFC 9110 token characters, for the type and subtype. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);
// An allowlist entry's type is never a wildcard (`*/*` would allow everything).
const ALLOWLIST_ENTRY = new RegExp(`^(?!\\*)${TOKEN}/(?:${TOKEN}|\\*)$`);

/** A parsed `Content-Type`: the lower-cased media type and, if given, a charset. */
export interface ContentType {
  readonly mediaType: string;
  readonly charset?: string;
}

/**
 * Parses a `Content-Type` header value; undefined when it is missing or malformed. Only the
 * charset parameter is kept: it is the one a download needs.
 *
 * @example
 * parseContentType('text/CSV; charset="UTF-8"'); // { mediaType: 'text/csv', charset: 'utf-8' }
 */
export function parseContentType(header: string | undefined): ContentType | undefined {
  if (header === undefined || header.length > 255) return undefined;
  const [type = '', ...params] = header.split(';');
  const mediaType = type.trim().toLowerCase();
  if (!MEDIA_TYPE.test(mediaType)) return undefined;
  for (const param of params) {
    const match = /^\s*charset\s*=\s*"?([A-Za-z0-9._:-]{1,40})"?\s*$/i.exec(param);
    if (match) return { mediaType, charset: (match[1] as string).toLowerCase() };
  }
  return { mediaType };
}

/** The `Content-Type` the stored copy and the download carry. */
export function formatContentType(type: ContentType): string {
  return type.charset === undefined ? type.mediaType : `${type.mediaType}; charset=${type.charset}`;
}

/**
 * Whether a media type is on the allowlist. Entries are exact media types or `type/*`.
 *
 * @example
 * isAllowedContentType('image/png', ['image/*']); // true
 */
export function isAllowedContentType(mediaType: string, allowlist: readonly string[]): boolean {
  const type = mediaType.toLowerCase();
  return allowlist.some((entry) =>
    entry.endsWith('/*') ? type.startsWith(entry.slice(0, -1)) : type === entry,
  );
}

/**
 * Parses an allowlist setting (`text/csv, image/*`); undefined when an entry is malformed.
 *
 * @example
 * parseAllowlist('text/csv,image/*'); // ['text/csv', 'image/*']
 */
export function parseAllowlist(text: string): string[] | undefined {
  const entries = text
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  if (entries.length === 0 || entries.some((entry) => !ALLOWLIST_ENTRY.test(entry))) return undefined;
  return [...new Set(entries)];
}
