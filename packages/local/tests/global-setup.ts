import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type LocalStack, startLocalStack } from '../src/index.ts';

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
  };
  project.provide('stack', info);
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
