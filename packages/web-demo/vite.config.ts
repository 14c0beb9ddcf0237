import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The demo page. It learns its endpoints at runtime from `GET /_local/info` on its own origin,
 * so one build serves any local stack. The local stack serves it (packages/local/src/demo.ts);
 * for hot reload, run Vite's own dev server against a running stack:
 * `HERALD_LOCAL_URL=http://127.0.0.1:<control port> pnpm --filter @herald/web-demo exec vite`.
 */
const localUrl = process.env.HERALD_LOCAL_URL;

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: the page works under whatever path prefix serves it.
  base: './',
  server: localUrl ? { proxy: { '/_local': localUrl } } : {},
  build: { target: 'es2022', sourcemap: true },
});
