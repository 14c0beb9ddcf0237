import type { FetchLike } from '@herald/client-sdk';
import type { MultipartUploader } from '@herald/client-sdk/multipart';

/**
 * A simulated bad network for the demo (dev only, never in the SDK): once armed, the next
 * upload in parts is cut when the parts that landed reach `fraction` of its bytes — every part
 * request in flight is aborted, as when a phone changes networks — so the page can show a resume
 * from the parts storage already holds; throttled, every upload PUT through `fetch` waits as long
 * as its bytes would take at the given rate before it is sent (a slow link, per request).
 *
 * @example
 * const drop = createNetworkDrop();
 * const uploader = drop.wrap(multipartUploader({ fetch: drop.fetch }));
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken, uploader });
 * drop.arm(0.5); // the next upload in parts is cut at ~50 %
 */
export interface NetworkDrop {
  /** Sends upload PUTs no faster than `bytesPerSecond` each; undefined: full speed. */
  throttle(bytesPerSecond: number | undefined): void;
  /** `fetch` for the part PUTs (`multipartUploader({ fetch })`, `resumeUpload(…, { fetch })`). */
  readonly fetch: FetchLike;
  /** Cuts the next upload in parts once `fraction` (0–1) of its bytes landed. */
  arm(fraction: number): void;
  disarm(): void;
  /** The uploader that obeys the drop; single PUTs pass through untouched. */
  wrap(inner: MultipartUploader): MultipartUploader;
}

/** The error a cut upload rejects with (as its `cause`), to tell a simulated drop from a real failure. */
export class SimulatedNetworkDrop extends Error {
  override readonly name = 'SimulatedNetworkDrop';
  constructor(readonly percent: number) {
    super(`Simulated network drop at ${percent} %.`);
  }
}

/**
 * Creates a {@link NetworkDrop}, disarmed.
 *
 * @example
 * const drop = createNetworkDrop();
 * drop.arm(0.5);
 */
export function createNetworkDrop(): NetworkDrop {
  let armedAt: number | undefined;
  let rate: number | undefined;
  return {
    throttle(bytesPerSecond) {
      rate = bytesPerSecond;
    },
    fetch: async (input, init) => {
      const bytes = init?.method === 'PUT' && init.body instanceof Blob ? init.body.size : 0;
      if (rate && bytes > 0) await delay((bytes / rate) * 1000, init?.signal ?? undefined);
      return fetch(input, init);
    },
    arm(fraction) {
      armedAt = fraction;
    },
    disarm() {
      armedAt = undefined;
    },
    wrap: (inner) => (request) => {
      const at = armedAt;
      if (request.method === 'PUT' || at === undefined) return inner(request);
      armedAt = undefined;
      // The uploader stops every part on its signal: aborting it is the cut.
      const cut = new AbortController();
      const signal = AbortSignal.any([request.signal, cut.signal]);
      const onProgress = (sent: number) => {
        request.onProgress(sent);
        if (!cut.signal.aborted && sent >= at * request.sizeBytes) {
          cut.abort(new SimulatedNetworkDrop(Math.round((sent / request.sizeBytes) * 100)));
        }
      };
      return inner({ ...request, signal, onProgress });
    },
  };
}

/** Waits `ms`, or rejects with the signal's reason once it aborts (as a cut request would). */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
