import { createJsonLogger } from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import { describe, expect, it } from 'vitest';
import { emfPoints, printedEmf } from '../../../runtime/tests/support/emf.ts';
import { makeHttpCreateFileLinkHandler } from '../../src/handlers/http-create-file-link.ts';
import { ALICE, fakeDeps } from '../fakes/fake-deps.ts';

// What the link handler prints for CloudWatch (EMF) through the real adapter: the REST wrapper
// flushes its invocation's metrics at the end.
describe('file fetch metrics (EMF)', () => {
  const CSV = 'reports/2026/q3.csv';
  const request = (path: string) => ({
    body: JSON.stringify({ path }),
    requestContext: {
      requestId: 'r-1',
      authorizer: { claims: { sub: ALICE, 'cognito:username': 'alice', 'cognito:groups': 'analysts' } },
    },
  });
  const fetches = async (run: () => unknown) =>
    emfPoints(await printedEmf(run))
      .filter((p) => p.name === 'FileFetches')
      .map((p) => [p.namespace, p.unit, p.value, p.dimensions]);

  it('counts fetches by result: miss (downloaded), hit (revalidated copy), failed', async () => {
    const f = fakeDeps();
    f.srvgw.put(CSV, 'region,revenue\nnorth,10\n', 'text/csv; charset=utf-8');
    const metrics = new EmfMetrics({ service: 'herald-files', log: createJsonLogger({}, () => {}) });
    const handler = makeHttpCreateFileLinkHandler(() => ({ ...f.deps, metrics }));
    expect(await fetches(() => handler(request(CSV)))).toEqual([
      ['Herald', 'Count', 1, { service: 'herald-files', result: 'miss' }],
    ]);
    expect(await fetches(() => handler(request(CSV)))).toEqual([
      ['Herald', 'Count', 1, { service: 'herald-files', result: 'hit' }],
    ]);
    expect(await fetches(() => handler(request('reports/2026/missing.csv')))).toEqual([
      ['Herald', 'Count', 1, { service: 'herald-files', result: 'failed' }],
    ]);
  });
});
