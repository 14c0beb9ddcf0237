import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * Runs one Lambda function the way Lambda does, as far as a handler can observe it: each
 * instance is its own process (its own module state, environment and sockets) on the runtime's
 * Node.js major, handles ONE invocation at a time, stays warm between invocations, and is killed
 * at the function's timeout (Lambda discards an environment that timed out). New instances start
 * on demand up to `maxInstances`; further invocations wait for a free one (Lambda would throttle
 * at its concurrency limit instead — locally a short queue is kinder to tests and changes
 * nothing a handler sees).
 */

const BOOTSTRAP = join(dirname(fileURLToPath(import.meta.url)), 'lambda-bootstrap.mjs');

/** The local counterpart of Lambda's `Task timed out after N seconds`. */
export class LambdaTimeoutError extends Error {
  override readonly name = 'LambdaTimeoutError';
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
    readonly awsRequestId: string,
  ) {
    super(
      `${functionName} (request ${awsRequestId}): Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
    );
  }
}

/**
 * What a function threw (or a runtime failure), as Lambda reports it: `errorType` and
 * `errorMessage` (the message is the function's own, as callers such as API Gateway read it: an
 * authorizer that throws "Unauthorized" means 401).
 */
export class LambdaFunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

export interface FunctionHostOptions {
  /** The function's name as Lambda would report it (`context.functionName`). */
  readonly functionName: string;
  /** The bundle folder and `Handler` setting (`index.handler`). */
  readonly codeDir: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  /** The complete process environment of an instance (template variables + execution environment). */
  readonly environment: Readonly<Record<string, string>>;
  /** The Node.js binary of the function's runtime. */
  readonly nodeBinary: string;
  /** Concurrent instances at most. @default 8 */
  readonly maxInstances?: number;
  /** Receives each line an instance writes to stdout or stderr. */
  readonly log?: (line: string) => void;
  readonly region?: string;
  readonly accountId?: string;
}

export interface FunctionHostStats {
  readonly instances: number;
  readonly coldStarts: number;
  readonly invocations: number;
  readonly timeouts: number;
}

interface Pending {
  readonly resolve: (payload: string) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly requestId: string;
}

interface Instance {
  readonly child: ChildProcess;
  /** Taken by an invocation from acquire to release; its pending result once sent. */
  taken: boolean;
  busy: Pending | undefined;
}

/**
 * A pool of local Lambda instances of one function.
 *
 * @example
 * const host = new FunctionHost({ functionName: 'ws-connect', codeDir, handler: 'index.handler',
 *   timeoutSeconds: 10, memoryMiB: 512, environment, nodeBinary });
 * const result = await host.invoke({ requestContext: { … } });
 */
export class FunctionHost {
  readonly #options: FunctionHostOptions;
  readonly #instances = new Set<Instance>();
  /** Invocations waiting for an instance (all `maxInstances` taken), first come first served. */
  readonly #waiting: Array<{ resolve: (instance: Instance) => void; reject: (error: Error) => void }> = [];
  #closed = false;
  #coldStarts = 0;
  #invocations = 0;
  #timeouts = 0;

  constructor(options: FunctionHostOptions) {
    this.#options = options;
  }

  get stats(): FunctionHostStats {
    return {
      instances: this.#instances.size,
      coldStarts: this.#coldStarts,
      invocations: this.#invocations,
      timeouts: this.#timeouts,
    };
  }

  /** Invokes the function with `event` and resolves with its (JSON round-tripped) result. */
  async invoke(event: unknown): Promise<unknown> {
    if (this.#closed) throw new Error(`${this.#options.functionName}: the local stack is stopping`);
    const instance = await this.#acquire();
    this.#invocations += 1;
    const requestId = randomUUID();
    const timeoutMs = this.#options.timeoutSeconds * 1000;
    try {
      const payload = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.#timeouts += 1;
          // Lambda freezes and discards an environment that timed out: nothing of it survives.
          this.#discard(instance, new LambdaTimeoutError(this.#options.functionName, timeoutMs, requestId));
        }, timeoutMs);
        instance.busy = { resolve, reject, timer, requestId };
        instance.child.send({
          type: 'invoke',
          id: requestId,
          event: JSON.stringify(event ?? null),
          context: {
            functionName: this.#options.functionName,
            memoryMiB: this.#options.memoryMiB,
            requestId,
            deadline: Date.now() + timeoutMs,
            region: this.#options.region ?? 'us-east-1',
            accountId: this.#options.accountId ?? '000000000000',
            traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Sampled=0`,
          },
        });
      });
      return JSON.parse(payload) as unknown;
    } finally {
      this.#release(instance);
    }
  }

  /**
   * Stops every instance: their pending invocations fail, and so do the ones waiting for an
   * instance (a burst beyond `maxInstances`, e.g. a `$disconnect` per socket when many clients
   * drop at once), which would otherwise wait forever and hold up whoever awaits them.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0))
      waiter.reject(new Error(`${this.#options.functionName}: the local stack is stopping`));
    const exits = [...this.#instances].map(
      (instance) =>
        new Promise<void>((resolve) => {
          if (instance.child.exitCode !== null || instance.child.signalCode !== null) return resolve();
          instance.child.once('exit', () => resolve());
          this.#discard(instance, new Error(`${this.#options.functionName}: the local stack stopped`));
        }),
    );
    await Promise.all(exits);
  }

  /** An idle instance, taken for one invocation: a warm one, a new one, or the next one freed. */
  async #acquire(): Promise<Instance> {
    for (const instance of this.#instances) {
      if (!instance.taken && instance.child.connected) {
        instance.taken = true;
        return instance;
      }
    }
    if (this.#instances.size < (this.#options.maxInstances ?? 8)) return this.#start();
    return new Promise<Instance>((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #release(instance: Instance): void {
    instance.busy = undefined;
    // Empty once closed: `close` fails every waiter.
    const next = this.#waiting.shift();
    if (!this.#instances.has(instance)) {
      // It was discarded (timeout, crash): a waiter gets a fresh instance instead.
      if (next) next.resolve(this.#start());
      return;
    }
    // Handed straight to the next waiter, still taken; otherwise idle.
    if (next) next.resolve(instance);
    else instance.taken = false;
  }

  #start(): Instance {
    this.#coldStarts += 1;
    const o = this.#options;
    const child = spawn(o.nodeBinary, [BOOTSTRAP, o.codeDir, o.handler], {
      cwd: o.codeDir,
      env: {
        ...o.environment,
        AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomBytes(16).toString('hex')}`,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const instance: Instance = { child, taken: true, busy: undefined };
    this.#instances.add(instance);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => o.log?.(line));
    }
    child.on(
      'message',
      (message: {
        type?: string;
        id?: string;
        ok?: boolean;
        payload?: string;
        error?: { errorType: string; errorMessage: string };
      }) => {
        const pending = instance.busy;
        if (message.type !== 'result' || pending === undefined || message.id !== pending.requestId) return;
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.payload ?? 'null');
        else
          pending.reject(
            new LambdaFunctionError(
              o.functionName,
              message.error?.errorType ?? 'Error',
              message.error?.errorMessage ?? '',
            ),
          );
      },
    );
    child.on('exit', (code, signal) => {
      this.#instances.delete(instance);
      const pending = instance.busy;
      if (pending) {
        clearTimeout(pending.timer);
        pending.reject(
          new LambdaFunctionError(
            o.functionName,
            'Runtime.ExitError',
            `RequestId: ${pending.requestId} Error: Runtime exited with ${signal ?? `code ${code}`}`,
          ),
        );
      }
    });
    child.on('error', (error) => o.log?.(`${o.functionName}: ${error.message}`));
    return instance;
  }

  #discard(instance: Instance, reason: Error): void {
    this.#instances.delete(instance);
    const pending = instance.busy;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(reason);
      instance.busy = undefined;
    }
    instance.child.kill('SIGKILL');
  }
}
