// Small number helpers the benchmarks share.

/** `12,345`: a rounded count for a table. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Nearest-rank percentile (`p` in 0–100); NaN for no values. */
export const percentile = (xs: readonly number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

export const r1 = (n: number): number => Math.round(n * 10) / 10;
export const r3 = (n: number): number => Math.round(n * 1000) / 1000;

/** Bytes → MB, one decimal. */
export const mb = (bytes: number): number => r1(bytes / 1024 / 1024);
