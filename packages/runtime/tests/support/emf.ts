import { vi } from 'vitest';

/** One CloudWatch EMF document as printed (`_aws` metadata, then dimension and metric values). */
export interface EmfDocument {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/**
 * The EMF documents printed to stdout while `run` runs (Powertools writes them there directly,
 * as CloudWatch Logs expects). Metrics are on for the call, whatever the environment says. Shared
 * by the packages' metric tests (`packages/<name>/tests`), which import it by path.
 */
export async function printedEmf(run: () => unknown): Promise<EmfDocument[]> {
  const lines: string[] = [];
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
    vi.unstubAllEnvs();
  }
  return lines
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
}

/** Each metric of the documents as `{name, unit, value, dimensions}` (dimension name → value). */
export function emfPoints(docs: readonly EmfDocument[]) {
  return docs.flatMap((doc) =>
    doc._aws.CloudWatchMetrics.flatMap((block) =>
      block.Metrics.map((metric) => ({
        namespace: block.Namespace,
        name: metric.Name,
        unit: metric.Unit,
        value: doc[metric.Name],
        dimensions: Object.fromEntries((block.Dimensions[0] ?? []).map((d) => [d, doc[d]])),
      })),
    ),
  );
}
