import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHeraldClient, type HeraldClient } from '../../src/index.ts';
import { multipartUploader, resumeTokenOf, resumeUpload } from '../../src/multipart.ts';
import { goodCsv, issueToken, stack } from './support.ts';

// Large uploads through the SDK against the local stack: Node's default uploader sends a file
// at or above the 16 MiB threshold in parts; a connection lost mid-upload resumes from its token.

const clients: HeraldClient[] = [];
afterAll(() => {
  for (const c of clients) c.close();
});

async function client(options: Parameters<typeof createHeraldClient>[0]['uploader'] = undefined) {
  const token = await issueToken('alice');
  const created = createHeraldClient({
    apiUrl: stack().apiUrl,
    wsUrl: stack().wsUrl,
    getToken: () => token,
    WebSocket,
    ...(options && { uploader: options }),
  });
  clients.push(created);
  return created;
}

/** A CSV of at least `bytes` bytes and its row count. */
function bigCsv(bytes: number): { blob: Blob; rows: number } {
  const chunk = goodCsv(2000);
  const [header, ...rows] = chunk.trimEnd().split('\n');
  const body = `${rows.join('\n')}\n`;
  const copies = Math.ceil(bytes / body.length);
  // Row ids repeat across copies: fine for `transactions` (append, no key).
  return {
    blob: new Blob([`${header}\n`, ...Array.from({ length: copies }, () => body)]),
    rows: copies * rows.length,
  };
}

describe('multipart uploads through the SDK and the local stack', () => {
  it('upload() of a 20 MiB Blob goes up in parts with Node’s default uploader and loads every row', async () => {
    const { blob, rows } = bigCsv(20 * 1024 * 1024);
    const herald = await client();
    const upload = herald.upload(blob, { dataset: 'transactions', fileName: 'big.csv' });
    await expect(upload.done).resolves.toMatchObject({ rowsLoaded: rows, rowsRejected: 0 });
  }, 120_000);

  it('a connection lost mid-upload resumes from the token, sending only the missing parts', async () => {
    const { blob, rows } = bigCsv(20 * 1024 * 1024);
    // The network goes away after the first part has landed.
    let landed = 0;
    const flaky: typeof fetch = async (input, init) => {
      if (landed >= 1) throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
      const res = await fetch(input, init);
      landed++;
      return res;
    };
    const herald = await client(
      multipartUploader({ fetch: flaky, retries: 1, minRetryDelayMs: 10, concurrency: 1 }),
    );
    const upload = herald.upload(blob, { dataset: 'transactions', fileName: 'big.csv' });
    await expect(upload.done).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    const token = resumeTokenOf(upload);
    expect(token).toBeDefined();

    const sentUrls: string[] = [];
    const counting: typeof fetch = async (input, init) => {
      sentUrls.push(String(input));
      return fetch(input, init);
    };
    const resumed = await resumeUpload(herald, token ?? '', blob, { fetch: counting });
    expect(resumed).toMatchObject({ jobId: upload.jobId, resumedAtBytes: 8 * 1024 * 1024 });
    expect(sentUrls.map((u) => new URL(u).searchParams.get('partNumber')).sort()).toEqual(['2', '3']);
    await expect(herald.follow(resumed.jobId).done).resolves.toMatchObject({ rowsLoaded: rows });
  }, 120_000);
});
