/**
 * Paths `POST /files/links` must refuse with 400 `INVALID_PATH` before any grant lookup or
 * SRV-GW request: traversal in every spelling, absolute paths, scheme or host changes,
 * encodings, control characters, look-alikes and over-long paths. Each one carries `marker`
 * (letters and digits only, unchanged by any encoding), so an integration test can ask SRV-GW
 * whether a request naming it ever arrived.
 */
export function traversalCorpus(marker: string): readonly (readonly [label: string, path: string])[] {
  const m = marker;
  return [
    ['dot-dot at the start', `../${m}/etc/passwd`],
    ['dot-dot inside a granted folder', `reports/../../${m}`],
    ['dot-dot into another home', `reports/../users/someone-else/${m}.txt`],
    ['dot-dot as the last segment', `reports/${m}/..`],
    ['single dot segment', `reports/./${m}.csv`],
    ['leading ./', `./reports/${m}.csv`],
    ['dots-only segment', `reports/.../${m}`],
    ['absolute path', `/etc/${m}`],
    ['protocol-relative host', `//evil.example/${m}`],
    ['empty segment', `reports//${m}.csv`],
    ['trailing slash (a folder)', `reports/${m}/`],
    ['backslash traversal', `reports\\..\\..\\${m}`],
    ['Windows drive', `C:\\Windows\\${m}.ini`],
    ['scheme http', `http://evil.example/${m}`],
    ['scheme file', `file:///etc/${m}`],
    ['percent-encoded dot-dot', `%2e%2e/${m}`],
    ['percent-encoded upper case with slashes', `%2E%2E%2F${m}%2Fpasswd`],
    ['percent-encoded slash', `reports%2f..%2f${m}`],
    ['double-encoded dot-dot', `%252e%252e/${m}`],
    ['double-encoded slash', `..%252f${m}`],
    ['overlong UTF-8 dot', `reports/%c0%ae%c0%ae/${m}`],
    ['NUL byte', `reports/${m}.csv\u0000.png`],
    ['control character', `reports/${m}\u0001.csv`],
    ['newline', `reports/${m}\n.csv`],
    ['DEL', `reports/${m}\u007f.csv`],
    ['bidi override', `reports/${m}\u202Efdp.exe`],
    ['zero-width space', `reports/\u200b../${m}`],
    ['fullwidth dots', `\uff0e\uff0e/${m}`],
    ['two-dot leader', `reports/\u2025/${m}`],
    ['fullwidth solidus', `reports\uff0f..\uff0f${m}`],
    ['query string', `reports/${m}.csv?x=1`],
    ['fragment', `reports/${m}.csv#top`],
    ['lone surrogate', `reports/${m}\ud800.csv`],
    ['over-long path', `reports/${m}/${'a/'.repeat(600)}x.csv`],
    ['over-long segment', `reports/${m}${'x'.repeat(300)}.csv`],
  ];
}
