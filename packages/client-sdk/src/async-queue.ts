/**
 * An unbounded push-to-pull queue behind an async iterator: producers `push`, one consumer
 * `for await`s. Ends with `end()`, or throws the error given to `fail()` after the queued values.
 *
 * @example
 * const queue = new AsyncQueue<number>();
 * queue.push(1);
 * queue.end();
 * for await (const n of queue) console.log(n);
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #values: T[] = [];
  /** Consumers waiting for a value: each gets an iterator result, or a rejection to throw. */
  readonly #waiting: ((result: IteratorResult<T> | Promise<never>) => void)[] = [];
  #finished = false;
  #error: { readonly err: unknown } | undefined;
  readonly #onReturn: (() => void) | undefined;

  constructor(onReturn?: () => void) {
    this.#onReturn = onReturn;
  }

  push(value: T): void {
    if (this.#finished) return;
    const waiter = this.#waiting.shift();
    if (waiter) waiter({ value, done: false });
    else this.#values.push(value);
  }

  end(): void {
    this.#finish(() => ({ value: undefined, done: true }));
  }

  fail(err: unknown): void {
    // A consumer already waiting gets the error now; otherwise the next `next()` throws it.
    if (!this.#finished && this.#waiting.length === 0) this.#error = { err };
    this.#finish(() => Promise.reject(err));
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#values.length > 0) return Promise.resolve({ value: this.#values.shift() as T, done: false });
    if (this.#error) {
      const { err } = this.#error;
      // Thrown once; later calls see a finished iterator, as a generator would behave.
      this.#error = undefined;
      return Promise.reject(err);
    }
    if (this.#finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.#values.length = 0;
    this.#error = undefined;
    this.end();
    this.#onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** Ends the queue once; every consumer waiting gets a `last()` (a final result, or a rejection). */
  #finish(last: () => IteratorResult<T> | Promise<never>): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const waiter of this.#waiting.splice(0)) waiter(last());
  }
}
