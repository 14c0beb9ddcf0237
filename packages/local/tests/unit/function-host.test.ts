import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost, LambdaFunctionError, LambdaTimeoutError } from '../../src/template/function-host.ts';
import { nodeBinaryFor } from '../../src/template/runtime.ts';

// A bundle folder as the CDK app writes one (`index.mjs` exporting `handler`), with handlers that
// show what a caller of a Lambda function can observe.
const codeDir = mkdtempSync(join(tmpdir(), 'herald-fn-'));
writeFileSync(
  join(codeDir, 'index.mjs'),
  `let invocations = 0;
export const handler = async (event, context) => {
  invocations += 1;
  switch (event.kind) {
    case 'echo':
      return { event, invocations, pid: process.pid, node: process.version, remaining: context.getRemainingTimeInMillis(),
        functionName: context.functionName, fromEnv: process.env.GREETING };
    case 'sleep':
      await new Promise((r) => setTimeout(r, event.ms));
      return { slept: event.ms, pid: process.pid };
    case 'throw':
      throw Object.assign(new Error('Unauthorized'), { name: 'AuthError' });
    case 'exit':
      process.exit(3);
  }
};
`,
);
const brokenDir = mkdtempSync(join(tmpdir(), 'herald-fn-broken-'));
writeFileSync(join(brokenDir, 'index.mjs'), `throw new Error('init failed');\n`);

let node: string;
const hosts: FunctionHost[] = [];
function host(overrides: Partial<ConstructorParameters<typeof FunctionHost>[0]> = {}): FunctionHost {
  const h = new FunctionHost({
    functionName: 'fixture',
    codeDir,
    handler: 'index.handler',
    timeoutSeconds: 2,
    memoryMiB: 128,
    environment: { PATH: process.env.PATH ?? '', GREETING: 'hello' },
    nodeBinary: node,
    ...overrides,
  });
  hosts.push(h);
  return h;
}

beforeAll(() => {
  node = nodeBinaryFor('nodejs24.x');
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});
afterAll(() => {
  rmSync(codeDir, { recursive: true, force: true });
  rmSync(brokenDir, { recursive: true, force: true });
});

describe('FunctionHost', () => {
  it('runs the bundle on the runtime’s Node major, with its environment and a counting-down context', async () => {
    const result = (await host().invoke({ kind: 'echo' })) as Record<string, unknown>;
    expect(result).toMatchObject({ event: { kind: 'echo' }, fromEnv: 'hello', functionName: 'fixture' });
    expect(String(result.node)).toMatch(/^v24\./);
    expect(result.pid).not.toBe(process.pid);
    expect(Number(result.remaining)).toBeGreaterThan(1000);
    expect(Number(result.remaining)).toBeLessThanOrEqual(2000);
  });

  it('keeps an instance warm between invocations (module state survives, no new process)', async () => {
    const h = host();
    const first = (await h.invoke({ kind: 'echo' })) as { invocations: number; pid: number };
    const second = (await h.invoke({ kind: 'echo' })) as { invocations: number; pid: number };
    expect(second).toMatchObject({ invocations: 2, pid: first.pid });
    expect(h.stats).toMatchObject({ coldStarts: 1, invocations: 2 });
  });

  it('gives each concurrent invocation its own instance, up to maxInstances, then waits', async () => {
    const h = host({ maxInstances: 2 });
    const results = (await Promise.all([0, 1, 2].map(() => h.invoke({ kind: 'sleep', ms: 300 })))) as {
      pid: number;
    }[];
    expect(new Set(results.map((r) => r.pid)).size).toBe(2);
    expect(h.stats).toMatchObject({ coldStarts: 2, invocations: 3 });
  });

  it('fails the running and the waiting invocations when it closes (none is left pending)', async () => {
    const h = host({ maxInstances: 1 });
    const running = h.invoke({ kind: 'sleep', ms: 1500 }).catch((e: unknown) => e);
    const waiting = h.invoke({ kind: 'echo' }).catch((e: unknown) => e);
    await expect.poll(() => h.stats.coldStarts).toBe(1);
    await h.close();
    expect(await running).toMatchObject({ message: 'fixture: the local stack stopped' });
    expect(await waiting).toMatchObject({ message: 'fixture: the local stack is stopping' });
  });

  it('kills an instance at the timeout, as Lambda discards it, and the next invocation starts a new one', async () => {
    const h = host({ timeoutSeconds: 1 });
    const warm = (await h.invoke({ kind: 'echo' })) as { pid: number };
    await expect(h.invoke({ kind: 'sleep', ms: 5000 })).rejects.toThrow(LambdaTimeoutError);
    await expect(h.invoke({ kind: 'sleep', ms: 5000 })).rejects.toThrow(/Task timed out after 1\.00 seconds/);
    const fresh = (await h.invoke({ kind: 'echo' })) as { pid: number; invocations: number };
    expect(fresh.pid).not.toBe(warm.pid);
    expect(fresh.invocations).toBe(1);
    expect(h.stats.timeouts).toBe(2);
  });

  it('reports a thrown error with its type and message, and keeps the instance', async () => {
    const h = host();
    const error = await h.invoke({ kind: 'throw' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaFunctionError);
    expect(error).toMatchObject({ errorType: 'AuthError', message: 'Unauthorized' });
    expect((await h.invoke({ kind: 'echo' })) as { invocations: number }).toMatchObject({ invocations: 2 });
  });

  it('fails an invocation whose process exits, and replaces the instance', async () => {
    const h = host();
    await expect(h.invoke({ kind: 'exit' })).rejects.toMatchObject({ errorType: 'Runtime.ExitError' });
    expect((await h.invoke({ kind: 'echo' })) as { invocations: number }).toMatchObject({ invocations: 1 });
  });

  it('fails every invocation of a bundle whose module throws at init', async () => {
    const h = host({ codeDir: brokenDir });
    await expect(h.invoke({})).rejects.toMatchObject({ message: 'init failed' });
  });
});
