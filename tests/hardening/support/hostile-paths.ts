import fc from 'fast-check';

/**
 * Generated file paths for `POST /files/links`: plain names mixed with every way a path can try
 * to leave its folder or change where the request goes (dot segments, percent- and
 * double-encoding, backslashes, NUL and other controls, absolute and scheme prefixes, Unicode
 * look-alikes and normalisation tricks, over-long names), under granted, foreign and ungranted
 * prefixes. The test inserts a unique marker segment into each, so SRV-GW's request log tells
 * whether that path ever reached it.
 */

const PLAIN = /^[A-Za-z0-9_-]{1,12}(\.[a-z]{1,4})?$/;

const segment = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(PLAIN) },
  { weight: 2, arbitrary: fc.constantFrom('.', '..', '...', '.hidden', 'a..b', '..a', ' ..', '.. ') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '%2e%2e',
      '%2E%2E',
      '%252e%252e',
      '%2f',
      '..%2f',
      '%c0%ae%c0%ae',
      '%00',
      '%',
      '%zz',
      '%u002e',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('..\\..', 'a\\b', '\\', '\\\\server\\share') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\n',
      'a\r',
      '\t',
      '\u007f',
      '\u0085',
      '\u200b',
      '\u202e',
      '\ufeff',
      '\u2028',
      '\u00ad',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\uff0e\uff0e', // fullwidth dots
      '\u2025', // two-dot leader
      '\u2024', // one-dot leader
      'a\uff0fb', // fullwidth solidus
      'a\u2215b', // division slash
      '\ufe52\ufe52', // small full stops
      'e\u0301', // NFD é
      'é',
      'A\u030a', // NFD Å
      'ﬁle',
      '\u212a', // Kelvin sign
      'a\u00a0b',
      '🎉',
      '中文',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'http:',
      'file:',
      'C:',
      'javascript:',
      'a?x=1',
      'a#frag',
      '@evil',
      'a:b',
      ' ',
      '~',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 240, max: 300 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('') },
);

export interface PathCase {
  readonly prefix: string;
  readonly segments: readonly string[];
  readonly separator: string;
  /** Where the marker segment goes (modulo the number of segments + 1). */
  readonly markerAt: number;
  /** Extra `a/` segments to push the path past the length limit. */
  readonly padding: number;
}

/**
 * Cases under `granted` prefixes half of the time (else under `others`), with plain segments
 * only a third of the time, so both the refusals and the forwarded paths are well represented.
 */
export function pathCaseOf(granted: readonly string[], others: readonly string[]): fc.Arbitrary<PathCase> {
  return fc.record({
    prefix: fc.oneof(fc.constantFrom(...granted), fc.constantFrom(...others)),
    segments: fc.oneof(
      { weight: 1, arbitrary: fc.array(fc.stringMatching(PLAIN), { minLength: 0, maxLength: 4 }) },
      { weight: 2, arbitrary: fc.array(segment, { minLength: 0, maxLength: 5 }) },
    ),
    separator: fc.constantFrom('/', '/', '/', '/', '\\', '//'),
    markerAt: fc.nat(),
    padding: fc.constantFrom(0, 0, 0, 0, 0, 600),
  });
}

/** The path of a case with `marker` as one of its segments. */
export function pathOf(c: PathCase, marker: string): string {
  const segments = [...c.segments];
  segments.splice(c.markerAt % (segments.length + 1), 0, marker);
  return `${c.prefix}${'a/'.repeat(c.padding)}${segments.join(c.separator)}`;
}

const utf8Length = (s: string) => new TextEncoder().encode(s).byteLength;

/**
 * An independent, deliberately simple statement of paths that MUST be refused as unsafe (the
 * documented rules include more): a `.` or `..` or empty segment, a leading `/`, a backslash,
 * a percent-escape, a control character, or more than 1000 bytes.
 */
export function mustBeRefused(path: string): boolean {
  const segments = path.split('/');
  return (
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    path.includes('\\') ||
    /%[0-9a-f]{2}/i.test(path) ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
    /[\u0000-\u001f\u007f]/.test(path) ||
    utf8Length(path) > 1000
  );
}

/** Paths that are plainly fine: ASCII names under a granted folder, within every limit. */
export function plainlyFine(path: string, grantedPrefixes: readonly string[]): boolean {
  const prefix = grantedPrefixes.find((p) => path.startsWith(p));
  if (prefix === undefined || utf8Length(path) > 1000) return false;
  return path
    .slice(prefix.length)
    .split('/')
    .every((s) => /^[A-Za-z0-9_-]{1,64}(\.[a-z]{1,4})?$/.test(s));
}
