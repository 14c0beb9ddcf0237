/**
 * A listener's exception must not break the state machine that emitted the event, nor stay
 * silent: it is rethrown on a fresh task, as a browser's EventTarget reports it.
 */
function report(err: unknown): void {
  setTimeout(() => {
    throw err;
  }, 0);
}

/**
 * Removes the listener it was returned for; calling it twice is harmless.
 *
 * @example
 * const off = client.on('state', ({ to }) => console.log(to));
 * off();
 */
export type Unsubscribe = () => void;

/**
 * A small typed event emitter: one listener set per event name, payloads typed by `Events`.
 *
 * @example
 * const emitter = new Emitter<{ tick: number }>();
 * const off = emitter.on('tick', (n) => console.log(n));
 * emitter.emit('tick', 1);
 * off();
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /**
   * Adds a listener; returns the function that removes it.
   *
   * @example
   * emitter.on('tick', (n) => console.log(n));
   */
  on<K extends keyof Events>(type: K, listener: (payload: Events[K]) => void): Unsubscribe {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /**
   * Calls every listener of `type` with `payload`, in the order they were added.
   *
   * @example
   * emitter.emit('tick', 2);
   */
  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    const set = this.#listeners.get(type);
    if (!set) return;
    for (const listener of [...set] as ((payload: Events[K]) => void)[]) {
      try {
        listener(payload);
      } catch (err) {
        report(err);
      }
    }
  }
}
