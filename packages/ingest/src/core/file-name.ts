import { MAX_FILE_NAME_LENGTH } from '@herald/protocol';

// C0 and C1 controls and DEL (\p{Cc}), and the bidirectional overrides and isolates that make
// `invoice\u202Evsc.exe` display as `invoiceexe.csv`.
const CONTROL_OR_BIDI = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

// Half of a surrogate pair: not text (String#isWellFormed is ES2024, past our lib target).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a file name is not acceptable, as a sentence; undefined when it is. The name is only
 * shown back to its owner (it never becomes part of a key or a header), but it still has to be
 * a plain file name: 1–255 characters, no path separators or control characters, ending `.csv`.
 *
 * @example
 * fileNameProblem('sales.csv');      // undefined
 * fileNameProblem('../etc/x.csv');   // 'The file name must not contain / or \.'
 */
export function fileNameProblem(name: string): string | undefined {
  // Counted in code points, so an emoji is one character, as a person counts.
  const length = [...name].length;
  if (length === 0) return 'The file name is empty.';
  if (length > MAX_FILE_NAME_LENGTH) {
    return `The file name is ${length} characters long; at most ${MAX_FILE_NAME_LENGTH} are allowed.`;
  }
  if (LONE_SURROGATE.test(name)) return 'The file name is not valid Unicode text.';
  if (/[/\\]/.test(name)) return 'The file name must not contain / or \\.';
  if (CONTROL_OR_BIDI.test(name)) return 'The file name must not contain control characters.';
  if (!/\.csv$/i.test(name)) return 'The file name must end in .csv.';
  if (name.slice(0, -4).trim() === '') return 'The file name needs a name before .csv.';
  return undefined;
}
