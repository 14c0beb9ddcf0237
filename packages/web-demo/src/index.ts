/**
 * `@herald/web-demo` is a page, not a library: its entry is `index.html` → `src/main.tsx`, built
 * and served by the local stack (packages/local/src/demo.ts). Exported for tools that need to
 * know the dataset choices the page offers.
 */
export { DATASETS } from './datasets.ts';
