import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createLambdaContext, invokeWithTimeout, LambdaTimeoutError } from '../../src/lambda.ts';

describe('createLambdaContext', () => {
  it('builds a Lambda context whose remaining time counts down from the timeout', async () => {
    const context = createLambdaContext('ws-connect', 3000);
    expect(context).toMatchObject({
      functionName: 'ws-connect',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ws-connect',
      logGroupName: '/aws/lambda/ws-connect',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const first = context.getRemainingTimeInMillis();
    expect(first).toBeLessThanOrEqual(3000);
    expect(first).toBeGreaterThan(2900);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(context.getRemainingTimeInMillis()).toBeLessThan(first);
  });

  it('gives every invocation its own request id', () => {
    expect(createLambdaContext('f', 1000).awsRequestId).not.toBe(createLambdaContext('f', 1000).awsRequestId);
  });

  it('refuses a timeout that is not a positive number', () => {
    expect(() => createLambdaContext('f', 0)).toThrow(RangeError);
    expect(() => createLambdaContext('f', Number.NaN)).toThrow(RangeError);
  });
});

describe('invokeWithTimeout', () => {
  it('resolves with the handler result and passes it the event and a context', async () => {
    let seen: Context | undefined;
    const result = await invokeWithTimeout(
      async (event: { n: number }, context) => {
        seen = context;
        return event.n * 2;
      },
      { n: 21 },
      { functionName: 'double', timeoutMs: 1000 },
    );
    expect(result).toBe(42);
    expect(seen?.functionName).toBe('double');
  });

  it('rejects with LambdaTimeoutError when the handler runs past its timeout', async () => {
    const never = invokeWithTimeout(
      () => new Promise<never>(() => {}),
      {},
      { functionName: 'stuck', timeoutMs: 50 },
    );
    const err = await never.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LambdaTimeoutError);
    expect(err).toMatchObject({ name: 'LambdaTimeoutError', functionName: 'stuck', timeoutMs: 50 });
    expect((err as Error).message).toMatch(
      /^stuck \(request [0-9a-f-]{36}\): Task timed out after 0\.05 seconds$/,
    );
  });

  it('passes handler errors through, synchronous throws included', async () => {
    const failure = new Error('boom');
    await expect(
      invokeWithTimeout(
        async () => {
          throw failure;
        },
        {},
        { functionName: 'f', timeoutMs: 1000 },
      ),
    ).rejects.toBe(failure);
    await expect(
      invokeWithTimeout(
        () => {
          throw failure;
        },
        {},
        { functionName: 'f', timeoutMs: 1000 },
      ),
    ).rejects.toBe(failure);
  });
});
