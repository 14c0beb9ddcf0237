// WebSocket helpers the benchmarks' client processes share.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `ws` is a dependency of packages/local, not of the workspace root.
const require = createRequire(
  join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'local', 'package.json'),
);
export const { WebSocket, WebSocketServer } = require('ws') as typeof import('ws');
export type Socket = InstanceType<typeof WebSocket>;

/**
 * Opens one client socket (no compression, as API Gateway negotiates none). `onOpen` runs
 * inside the `open` event, before any frame can arrive. Resolves false when the handshake fails.
 */
export function openSocket(url: string, protocols: string[], onOpen: (ws: Socket) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once('open', () => {
      onOpen(ws);
      resolve(true);
    });
    ws.once('unexpected-response', () => resolve(false));
    ws.once('error', () => resolve(false));
  });
}

/** Runs `open(i)` for i in 0..count-1, at most `concurrency` at a time; counts the outcomes. */
export async function openMany(
  count: number,
  concurrency: number,
  open: (i: number) => Promise<boolean>,
): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      if (await open(i)) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, failed };
}
