// The event both contenders of bench/realtime.ts send: a job.progress event (the hot path).
export function progress(jobId: string, seq: number) {
  return {
    type: 'job.progress' as const,
    seq,
    at: new Date().toISOString(),
    jobId,
    bytesRead: seq * 1000,
    bytesTotal: 10_000_000,
    rowsProcessed: seq * 10,
    percent: Math.min(100, seq / 10),
    rowsPerSecond: 12_345.6,
    etaSeconds: 42,
  };
}
