import { MAX_FILE_PATH_BYTES } from '@herald/protocol';

/** Which rule refused a path (logged with the decision, returned as `details.rule`). */
export type PathRule =
  | 'empty'
  | 'too-long'
  | 'not-unicode'
  | 'control-character'
  | 'backslash'
  | 'percent-encoded'
  | 'absolute'
  | 'scheme-or-drive'
  | 'reserved-character'
  | 'empty-segment'
  | 'dot-segment'
  | 'look-alike';

export type PathCheck =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly rule: PathRule; readonly message: string };

/** Longest segment (file or folder name), in UTF-8 bytes: what common file systems allow. */
export const MAX_SEGMENT_BYTES = 255;

// C0 and C1 controls, DEL (\p{Cc}), format characters (\p{Cf}: bidi overrides, zero-width
// spaces, the BOM) and the line and paragraph separators.
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// A percent-escape in any case: `%2e`, `%2F`, and the `%25` of a double encoding.
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;
// `http:`, `file:`, and Windows drives (`C:`) at the start.
const SCHEME_OR_DRIVE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength;

function refuse(rule: PathRule, message: string): PathCheck {
  return { ok: false, rule, message };
}

/**
 * Normalises a requested file path and refuses anything that could leave the file server's
 * root or change where the request goes. Paths are plain text relative to the SRV-GW root
 * (`reports/2026/q3.csv`), never URL-encoded: nothing here decodes, so `%2e%2e` cannot become
 * `..` on the way. Normalisation is Unicode NFC only (the same name typed on two keyboards is
 * one cache key); every other irregularity is refused rather than repaired, because a repaired
 * path is a path the user did not ask for.
 *
 * Refused: empty; over {@link MAX_FILE_PATH_BYTES} bytes (or a segment over 255); lone
 * surrogates; control, format and bidi characters (NUL included); `\`; percent-escapes
 * (`%2e`, `%2F`, `%252e`); a leading `/` (absolute); a leading scheme or drive (`http:`,
 * `C:`); `?` and `#`; empty segments (`a//b`, a trailing `/`); `.`/`..`/dots-only segments;
 * segments that become `.`/`..` or contain a slash under NFKC (fullwidth `．．`, `／`).
 *
 * @param options.folder accept a trailing `/` (grant prefixes name folders that way).
 * @example
 * normaliseFilePath('reports/2026/q3.csv'); // { ok: true, path: 'reports/2026/q3.csv' }
 * normaliseFilePath('reports/../users/x');  // { ok: false, rule: 'dot-segment', … }
 */
export function normaliseFilePath(input: string, options: { folder?: boolean } = {}): PathCheck {
  if (input.length === 0) return refuse('empty', 'The path is empty.');
  // Cheap bound before any work on a hostile megabyte: a UTF-16 unit is at least one UTF-8 byte.
  if (input.length > MAX_FILE_PATH_BYTES) return tooLong();
  if (LONE_SURROGATE.test(input)) return refuse('not-unicode', 'The path is not valid Unicode text.');
  const path = input.normalize('NFC');
  if (utf8Bytes(path) > MAX_FILE_PATH_BYTES) return tooLong();
  if (CONTROL_OR_FORMAT.test(path))
    return refuse('control-character', 'The path must not contain control or invisible characters.');
  if (path.includes('\\')) return refuse('backslash', 'The path must use / between folders, not \\.');
  if (PERCENT_ESCAPE.test(path))
    return refuse('percent-encoded', 'The path must be plain text, not URL-encoded (no %XX escapes).');
  if (path.startsWith('/')) return refuse('absolute', 'The path must be relative: remove the leading /.');
  if (SCHEME_OR_DRIVE.test(path))
    return refuse('scheme-or-drive', 'The path must not start with a scheme or drive (such as http: or C:).');
  if (/[?#]/.test(path)) return refuse('reserved-character', 'The path must not contain ? or #.');
  const segments = path.split('/');
  if (options.folder && path.endsWith('/')) segments.pop();
  for (const segment of segments) {
    if (segment === '') return refuse('empty-segment', 'The path must not contain empty folder names (//).');
    if (/^\.+$/.test(segment))
      return refuse('dot-segment', 'The path must not contain . or .. as a folder or file name.');
    const compatible = segment.normalize('NFKC');
    if (/^\.+$/.test(compatible) || /[/\\]/.test(compatible))
      return refuse('look-alike', 'The path must not contain characters that look like dots or slashes.');
    if (utf8Bytes(segment) > MAX_SEGMENT_BYTES)
      return refuse('too-long', `Each folder or file name may be at most ${MAX_SEGMENT_BYTES} bytes long.`);
  }
  return { ok: true, path };
}

function tooLong(): PathCheck {
  return refuse('too-long', `The path may be at most ${MAX_FILE_PATH_BYTES} bytes long.`);
}

/** The last segment of a normalised path: the file's own name. */
export function fileNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The files bucket key of a normalised path's cached copy. One key per path: a refetch
 * replaces the object in place (S3 makes a completed upload visible atomically).
 */
export function fileCacheKey(path: string): string {
  return `files/${path}`;
}

/**
 * A bounded, single-line rendering of a path for logs (a refused path may be huge or hold
 * control characters; JSON escaping in the logger shows those visibly).
 */
export function pathForLog(path: string): string {
  return path.length <= 200 ? path : `${path.slice(0, 200)}…`;
}
