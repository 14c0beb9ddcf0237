/** Longest download name offered, in characters. */
const MAX_NAME_LENGTH = 255;

// Controls, format characters (bidi overrides that disguise extensions), and characters that
// are unsafe in a file name on some system or break the header: / \ : * ? " < > | ;
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029/\\:*?"<>|;]/gu;

/**
 * A file name that is safe to offer as a download: unsafe characters become `_`, leading dots
 * and surrounding spaces are dropped (no hidden files), at most 255 characters; `download`
 * when nothing is left.
 *
 * @example
 * downloadFileName('q3\u202Efdp.exe'); // 'q3_fdp.exe'
 */
export function downloadFileName(name: string): string {
  const cleaned = [...name.normalize('NFC').replace(UNSAFE, '_')]
    .slice(0, MAX_NAME_LENGTH)
    .join('')
    .trim()
    .replace(/^\.+/, '');
  return cleaned === '' ? 'download' : cleaned;
}

/** RFC 8187 `value-chars`: everything else is percent-encoded as UTF-8. */
function encodeExtValue(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * `Content-Disposition: attachment` for a download name (RFC 6266): an ASCII `filename`
 * fallback (non-ASCII and `%` replaced by `_`, so no client decodes it) and the exact name in
 * `filename*` (UTF-8, percent-encoded), which every current browser prefers.
 *
 * @example
 * contentDisposition('Bericht März.pdf');
 * // `attachment; filename="Bericht M_rz.pdf"; filename*=UTF-8''Bericht%20M%C3%A4rz.pdf`
 */
export function contentDisposition(name: string): string {
  const safe = downloadFileName(name);
  const ascii = safe.replace(/[^\x20-\x7e]|%/gu, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(safe)}`;
}
