import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { functionInstances } from '../../src/testing/function-instances.ts';

describe('functionInstances', () => {
  it('finds a process by the function name in its environment, with its parent and environment', async () => {
    const name = `herald-test-fn-${process.pid}`;
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      env: { AWS_LAMBDA_FUNCTION_NAME: name, AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1' },
      stdio: 'ignore',
    });
    try {
      await once(child, 'spawn');
      const found = functionInstances().filter((i) => i.functionName === name);
      expect(found).toEqual([
        {
          pid: child.pid,
          parentPid: process.pid,
          functionName: name,
          env: new Map([
            ['AWS_LAMBDA_FUNCTION_NAME', name],
            ['AWS_ENDPOINT_URL_SQS', 'http://127.0.0.1:1'],
          ]),
        },
      ]);
    } finally {
      child.kill('SIGKILL');
    }
    await once(child, 'exit');
    expect(functionInstances().filter((i) => i.functionName === name)).toEqual([]);
  });
});
