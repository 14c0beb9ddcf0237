import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A Lambda handler in the async form our handlers use: `(event, context) => Promise<result>`. */
export type LambdaHandler<TEvent = unknown, TResult = unknown> = (
  event: TEvent,
  context: Context,
) => Promise<TResult> | TResult;

export interface InvokeOptions {
  readonly functionName: string;
  /** The function's configured timeout. */
  readonly timeoutMs: number;
}

/** The local counterpart of Lambda's `Task timed out after N seconds`. */
export class LambdaTimeoutError extends Error {
  override readonly name = 'LambdaTimeoutError';
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly awsRequestId: string;

  constructor(functionName: string, timeoutMs: number, awsRequestId: string) {
    super(
      `${functionName} (request ${awsRequestId}): Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
    );
    this.functionName = functionName;
    this.timeoutMs = timeoutMs;
    this.awsRequestId = awsRequestId;
  }
}

/** The fixed fake account and region the local stack stands in for. */
const ACCOUNT_ID = '000000000000';
const REGION = 'us-east-1';

/**
 * A Lambda `Context` for one local invocation. `getRemainingTimeInMillis()` counts down from
 * `timeoutMs` like the real one, so handlers that budget their work (batch processing, retries)
 * behave as they do in Lambda.
 *
 * @example
 * const context = createLambdaContext('ws-connect', 3000);
 * context.getRemainingTimeInMillis(); // ≈ 3000
 */
export function createLambdaContext(functionName: string, timeoutMs: number): Context {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  const deadline = Date.now() + timeoutMs;
  const now = new Date();
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => (): never => {
    throw new Error(`context.${name}() is not supported locally: return (or throw from) an async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/**
 * Invokes a handler with a fresh context and rejects with {@link LambdaTimeoutError} once it
 * runs past `timeoutMs`, as Lambda ends an invocation at its configured timeout.
 *
 * Difference from Lambda: Lambda freezes and discards the execution environment on timeout;
 * in-process the handler's pending work cannot be stopped and keeps running in the background.
 *
 * @example
 * const result = await invokeWithTimeout(handler, event, { functionName: 'http-whoami', timeoutMs: 10_000 });
 */
export async function invokeWithTimeout<TEvent, TResult>(
  fn: LambdaHandler<TEvent, TResult>,
  event: TEvent,
  options: InvokeOptions,
): Promise<TResult> {
  const context = createLambdaContext(options.functionName, options.timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LambdaTimeoutError(options.functionName, options.timeoutMs, context.awsRequestId)),
      options.timeoutMs,
    );
  });
  try {
    // `then` turns a synchronous throw into a rejection, as the Lambda runtime reports it.
    return await Promise.race([Promise.resolve().then(() => fn(event, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
