import type { MultipartUploader } from '@herald/client-sdk/multipart';

/**
 * A simulated network drop for the demo (dev only, never in the SDK): once armed, the next
 * upload in parts is cut when the parts that landed reach `fraction` of its bytes — every part
 * request in flight is aborted, as when a phone changes networks — so the page can show a resume
 * from the parts storage already holds.
 *
 * @example
 * const drop = createNetworkDrop();
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken, uploader: drop.wrap(multipartUploader()) });
 * drop.arm(0.5); // the next upload in parts is cut at ~50 %
 */
export interface NetworkDrop {
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
  return {
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
