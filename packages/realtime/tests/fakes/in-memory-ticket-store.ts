import type { TicketRecord, TicketStore } from '../../src/ports.ts';

/** In-memory {@link TicketStore}: `take` removes and returns, like the conditional delete. */
export class InMemoryTicketStore implements TicketStore {
  readonly #items = new Map<string, TicketRecord>();
  #nextFailure: Error | undefined;

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  /** The stored hashes (tests check the ticket itself is never stored). */
  get hashes(): string[] {
    return [...this.#items.keys()];
  }

  async put(ticket: TicketRecord): Promise<void> {
    this.#throwIfFailing();
    if (this.#items.has(ticket.ticketHash)) throw new Error('ticket hash collision');
    this.#items.set(ticket.ticketHash, structuredClone(ticket));
  }

  async take(ticketHash: string): Promise<TicketRecord | undefined> {
    this.#throwIfFailing();
    const record = this.#items.get(ticketHash);
    this.#items.delete(ticketHash);
    return record;
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}
