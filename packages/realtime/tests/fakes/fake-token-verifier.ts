import type { Identity } from '@herald/runtime';
import { AuthenticationError } from '../../src/errors.ts';
import type { TokenVerifier } from '../../src/ports.ts';

/** {@link TokenVerifier} that knows a fixed set of tokens; any other token is refused. */
export class FakeTokenVerifier implements TokenVerifier {
  readonly #outcomes = new Map<string, Identity | Error>();
  /** Every token `verify` was called with, in order. */
  readonly verified: string[] = [];

  accept(token: string, identity: Identity): this {
    this.#outcomes.set(token, identity);
    return this;
  }

  fail(token: string, error: Error): this {
    this.#outcomes.set(token, error);
    return this;
  }

  async verify(token: string): Promise<Identity> {
    this.verified.push(token);
    const outcome = this.#outcomes.get(token);
    if (outcome === undefined) throw new AuthenticationError('invalid', 'unknown token');
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }
}
