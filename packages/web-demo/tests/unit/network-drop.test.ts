import type { MultipartRequest, MultipartUploader } from '@herald/client-sdk/multipart';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNetworkDrop, SimulatedNetworkDrop } from '../../src/network-drop.ts';

const MIB = 1024 * 1024;

/** A multipart request of 40 MiB in 8 MiB parts; only the fields the drop reads matter. */
function request(progress: number[]): MultipartRequest {
  return {
    method: 'MULTIPART',
    uploadId: 'up-1',
    partSize: 8 * MIB,
    partCount: 5,
    parts: [],
    client: {},
    jobId: 'job-1',
    body: new Uint8Array(0),
    sizeBytes: 40 * MIB,
    signal: new AbortController().signal,
    onProgress: (sent) => progress.push(sent),
  } as MultipartRequest;
}

/** An uploader that lands one part at a time and stops (as the SDK's does) when its signal aborts. */
const partByPart: MultipartUploader = async (req) => {
  const r = req as MultipartRequest;
  for (let n = 1; n <= r.partCount; n++) {
    if (r.signal.aborted) throw r.signal.reason;
    r.onProgress(Math.min(n * r.partSize, r.sizeBytes));
  }
};

describe('createNetworkDrop', () => {
  it('lets every upload through while disarmed', async () => {
    const drop = createNetworkDrop();
    const progress: number[] = [];
    await drop.wrap(partByPart)(request(progress));
    expect(progress.at(-1)).toBe(40 * MIB);
  });

  it('cuts the next upload in parts once the armed share of its bytes landed, then disarms', async () => {
    const drop = createNetworkDrop();
    drop.arm(0.5);
    const progress: number[] = [];
    const cut = drop.wrap(partByPart)(request(progress));
    await expect(cut).rejects.toEqual(new SimulatedNetworkDrop(60));
    await expect(cut).rejects.toMatchObject({ percent: 60 });
    // 24 MiB of 40 is the first report at or past half: the cut comes there, nothing after.
    expect(progress).toEqual([8 * MIB, 16 * MIB, 24 * MIB]);

    const again: number[] = [];
    await drop.wrap(partByPart)(request(again));
    expect(again.at(-1)).toBe(40 * MIB);
  });

  it('leaves a single PUT alone even when armed', async () => {
    const drop = createNetworkDrop();
    drop.arm(0);
    const seen: string[] = [];
    const inner: MultipartUploader = async (req) => {
      seen.push(req.method);
    };
    await drop.wrap(inner)({ ...request([]), method: 'PUT' } as never);
    expect(seen).toEqual(['PUT']);
  });
});

describe('createNetworkDrop().fetch', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('holds a throttled PUT as long as its bytes take at the rate, and sends the rest at once', async () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    vi.stubGlobal('fetch', async (input: string) => {
      sent.push(input);
      return new Response(null, { status: 200 });
    });
    const drop = createNetworkDrop();
    drop.throttle(1000);
    const put = drop.fetch('https://s3/part-1', { method: 'PUT', body: new Blob([new Uint8Array(500)]) });
    await drop.fetch('https://api/uploads', { method: 'POST', body: '{}' });
    expect(sent).toEqual(['https://api/uploads']);
    await vi.advanceTimersByTimeAsync(499);
    expect(sent).toEqual(['https://api/uploads']);
    await vi.advanceTimersByTimeAsync(1);
    await put;
    expect(sent).toEqual(['https://api/uploads', 'https://s3/part-1']);
  });

  it('gives up a held PUT when its request is aborted, without sending it', async () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    vi.stubGlobal('fetch', async (input: string) => {
      sent.push(input);
      return new Response(null, { status: 200 });
    });
    const drop = createNetworkDrop();
    drop.throttle(1000);
    const abort = new AbortController();
    const put = drop.fetch('https://s3/part-1', {
      method: 'PUT',
      body: new Blob([new Uint8Array(500)]),
      signal: abort.signal,
    });
    abort.abort(new Error('cut'));
    await expect(put).rejects.toThrow('cut');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([]);
  });
});
