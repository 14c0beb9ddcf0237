import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { CsvScanner, LineMap, type ScanProblem } from '../../src/core/csv-scanner.ts';

interface Scanned {
  readonly out: string;
  readonly problem?: ScanProblem;
  readonly header?: string;
  readonly dataRecords: number;
  readonly scanner: CsvScanner;
}

/** Feeds `input` in chunks of `size` bytes (every size exercises other boundaries). */
function scan(input: string | Buffer, size = Number.POSITIVE_INFINITY, maxBytes = 1e9): Scanned {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const scanner = new CsvScanner({ maxBytes, maxHeaderBytes: 1024 });
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += Math.min(size, bytes.length)) {
    const step = scanner.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
    out.push(...step.out);
    if (step.problem)
      return { out: Buffer.concat(out).toString(), problem: step.problem, dataRecords: -1, scanner };
  }
  const step = scanner.end();
  out.push(...step.out);
  return {
    out: Buffer.concat(out).toString(),
    ...(step.problem ? { problem: step.problem } : {}),
    ...(scanner.header === undefined ? {} : { header: scanner.header }),
    dataRecords: step.problem ? -1 : scanner.dataRecords,
    scanner,
  };
}

const SIZES = [1, 2, 3, 5, 64, Number.POSITIVE_INFINITY];

describe('CsvScanner', () => {
  it('strips a BOM, separates the header and forwards the rest unchanged, whatever the chunking', () => {
    for (const size of SIZES) {
      const r = scan('\uFEFFid,name\r\n1,"a,\r\nb"\r\n2,c', size);
      expect(r.problem).toBeUndefined();
      expect(r.header).toBe('id,name');
      expect(r.out).toBe('id,name\r\n1,"a,\r\nb"\r\n2,c');
      expect(r.dataRecords).toBe(2);
    }
  });

  it('drops trailing line breaks (LF and CRLF) but keeps inner ones', () => {
    for (const size of SIZES) {
      expect(scan('h\n1\n\n2\n\n\n', size).out).toBe('h\n1\n\n2');
      expect(scan('h\r\n1\r\n\r\n\r\n', size).out).toBe('h\r\n1');
      expect(scan('h\r\n1\r\n\r\n\r\n', size).dataRecords).toBe(1);
    }
  });

  it('counts the records COPY will receive, a blank inner line included', () => {
    expect(scan('h\n1\n\n2\n\n\n').dataRecords).toBe(3);
    expect(scan('h\n1\n2').dataRecords).toBe(2);
    expect(scan('h\n"multi\nline"\n2\n').dataRecords).toBe(2);
  });

  it('treats a header-only file as a header with no records', () => {
    for (const input of ['a,b', 'a,b\n', 'a,b\r\n\r\n', '\uFEFFa,b']) {
      const r = scan(input, 2);
      expect([r.problem, r.header, r.dataRecords]).toEqual([undefined, 'a,b', 0]);
    }
  });

  it('refuses empty input: no bytes, a BOM alone, only blank lines', () => {
    for (const input of ['', '\uFEFF', '\n\r\n\n', '  \n']) {
      for (const size of SIZES) expect(scan(input, size).problem?.code).toBe('EMPTY_FILE');
    }
  });

  it('refuses a blank first line before content: the header must be on line 1', () => {
    expect(scan('\nid,name\n1,a\n').problem).toMatchObject({ code: 'HEADER_MISMATCH', line: 1 });
  });

  it('refuses a NUL byte with the line it is on', () => {
    for (const size of SIZES) {
      const r = scan('h\n1\n2\0x\n3\n', size);
      expect(r.problem).toEqual({ code: 'NOT_UTF8', line: 3, reason: expect.stringMatching(/NUL byte/) });
    }
    expect(scan('h\0\n').problem?.line).toBe(1);
  });

  it('refuses UTF-16 with its own sentence, and a header that is not UTF-8', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]);
    expect(scan(utf16).problem).toMatchObject({ code: 'NOT_UTF8', reason: expect.stringMatching(/UTF-16/) });
    expect(scan(Buffer.from([0x61, 0xe9, 0x2c, 0x62, 0x0a, 0x31])).problem).toMatchObject({
      code: 'NOT_UTF8',
      line: 1,
    });
  });

  it('reports an unclosed quote on the line where it opened', () => {
    for (const size of SIZES) {
      expect(scan('h\n1\n"open\n2\n3\n', size).problem).toMatchObject({ code: 'UNCLOSED_QUOTE', line: 3 });
    }
    expect(scan('"h\n1\n').problem).toMatchObject({ code: 'UNCLOSED_QUOTE', line: 1 });
  });

  it('treats doubled quotes as a literal quote, not a closing one', () => {
    const r = scan('h\n"a ""quoted"" word\nnext",1\n2\n');
    expect(r.problem).toBeUndefined();
    expect(r.dataRecords).toBe(2);
  });

  it('refuses input larger than the limit', () => {
    expect(scan('h\n1234567890\n', 4, 8).problem?.code).toBe('FILE_TOO_LARGE');
  });

  it('refuses a first line that does not end within the header limit, hinting at CR-only files', () => {
    expect(scan(`${'x'.repeat(2000)}\n`, 100).problem?.code).toBe('HEADER_MISMATCH');
    const mac = scan(`a,b\r1,2\r${'3,4\r'.repeat(400)}`, 100);
    expect(mac.problem).toMatchObject({ code: 'HEADER_MISMATCH', reason: expect.stringMatching(/CR only/) });
    expect(scan('a,b\r1,2\r').problem?.reason).toMatch(/carriage return/);
  });

  it('maps the last line of a multi-line record (how PostgreSQL reports it) to its first', () => {
    const r = scan('h\n1\n"a\nb\nc"\n4\n"x\ny"\n5', 3);
    const map = r.scanner.lineMap;
    // Records: 1 h, 2 "1", 3 lines 3-5, 4 line 6, 5 lines 7-8, 6 line 9.
    expect([map.startLineOf(5), map.startLineOf(6), map.startLineOf(8), map.startLineOf(9)]).toEqual([
      3, 6, 7, 9,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((record) => map.startLineOfRecord(record))).toEqual([1, 2, 3, 6, 7, 9]);
    expect([5, 6, 8, 9].map((line) => map.recordOfEndLine(line))).toEqual([3, 4, 5, 6]);
    expect(map.exact).toBe(true);
  });

  it('counts progress as records pass', () => {
    const scanner = new CsvScanner({ maxBytes: 1e9 });
    scanner.push(Buffer.from('h\n1\n2\n3'));
    expect([scanner.bytesRead, scanner.rowsProcessed]).toEqual([7, 2]);
  });
});

describe('LineMap', () => {
  it('stops remembering past its bound and says so', () => {
    const map = new LineMap(1);
    map.add(2, 1);
    map.add(4, 1);
    expect(map.exact).toBe(false);
    expect(map.startLineOf(3)).toBe(2);
  });
});
