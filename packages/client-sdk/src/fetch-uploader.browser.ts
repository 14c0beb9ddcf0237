import { invalidArgument } from './errors.ts';
import type { createFetchUploader as streamedFetchUploader } from './fetch-uploader.ts';

// `#fetch-uploader` under the `browser` import condition. A browser's `fetch` cannot send the
// streamed body of `fetch-uploader.ts` (it sends the text `[object AsyncGenerator]`; checked in
// Chromium), and browsers upload through XMLHttpRequest anyway, so browser bundles get this
// stand-in instead of the streaming code.

/**
 * `createFetchUploader` in browser builds: an `Uploader` that rejects with
 * `INVALID_ARGUMENT`, naming what works instead. Also what `upload()` meets in a browser build
 * with no XMLHttpRequest (a service worker) and no `options.uploader`.
 *
 * @example
 * const uploader = createFetchUploader(); // in a browser: uploads reject, use createXhrUploader()
 */
export const createFetchUploader: typeof streamedFetchUploader = () => async () => {
  throw invalidArgument(
    'Browsers cannot stream an upload through fetch: pass options.uploader (e.g. createXhrUploader).',
  );
};
