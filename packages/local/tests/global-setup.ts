import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type LocalStack, startLocalStack } from '../src/index.ts';
import { REPO_ROOT } from '../src/stack.ts';

/** Where the test stacks merge their IAM usage (what each function used, grants nothing used). */
export const IAM_USAGE_REPORT = join(REPO_ROOT, 'bench', 'results', 'iam-usage.json');

/** What test files get from the ONE local stack of a run (plain data: it crosses to workers). */
export interface StackInfo {
  apiUrl: string;
  wsUrl: string;
  localUrl: string;
  managementEndpoint: string;
  postgres: LocalStack['postgres'];
  s3: LocalStack['s3'];
  dynamodb: LocalStack['dynamodb'];
  srvgw: LocalStack['srvgw'];
  identity: LocalStack['identity'];
  queueUrls: LocalStack['queueUrls'];
  /** The cloud assembly the stack runs (tests start other stacks on modified copies of it). */
  assemblyDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  const started = Date.now();
  // HERALD_DEBUG=1 npm test shows the gateway's and the handlers' logs.
  const debug = Boolean(process.env.HERALD_DEBUG);
  const stack = await startLocalStack({
    dataDir,
    fresh: true,
    // AWS's 6 × 900 s would make redelivery tests wait 90 minutes.
    visibilityTimeoutMs: 5_000,
    testControls: true,
    logLevel: debug ? 'debug' : 'warn',
    log: (line) => debug && console.error(line),
    iamUsageReport: IAM_USAGE_REPORT,
  });
  console.error(`[herald] local stack for tests up in ${Date.now() - started} ms`);
  const info: StackInfo = {
    apiUrl: stack.apiUrl,
    wsUrl: stack.wsUrl,
    localUrl: stack.localUrl,
    managementEndpoint: stack.managementEndpoint,
    postgres: stack.postgres,
    s3: stack.s3,
    dynamodb: stack.dynamodb,
    srvgw: stack.srvgw,
    identity: stack.identity,
    queueUrls: stack.queueUrls,
    assemblyDir: stack.assemblyDir,
  };
  project.provide('stack', info);
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
    // Every call a function made is evaluated against its role: the suite must need no more than
    // the template grants. An error thrown here would only be printed; the exit code fails the run.
    const refused = stack.iam.refused();
    const calls = refused.reduce((n, r) => n + r.calls, 0);
    if (calls === 0) {
      console.error(`[herald] IAM: no call refused; usage merged into ${IAM_USAGE_REPORT}`);
      return;
    }
    console.error(
      `\n[herald] IAM REFUSED ${calls} call(s) during this run; the template's policies do not allow them:\n` +
        refused
          .map((r) => `  - ${r.function}: ${r.action} on ${r.resource} (${r.calls}×) ${r.reason}`)
          .join('\n') +
        `\n  (details in ${IAM_USAGE_REPORT})\n`,
    );
    process.exitCode = 1;
  };
}
