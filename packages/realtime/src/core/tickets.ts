import { createHash } from 'node:crypto';
import { TICKET_TTL_SECONDS, TicketSchema } from '@herald/protocol';
import type { Identity } from '@herald/runtime';
import { AuthenticationError } from '../errors.ts';
import type { TicketRecord, TicketStore } from '../ports.ts';

/** Random bytes in a ticket: 256 bits, well above the 128 a bearer credential needs. */
export const TICKET_BYTES = 32;

/** Input of {@link issueTicket}. */
export interface IssueTicketInput {
  readonly identity: Identity;
  /** Epoch milliseconds. */
  readonly now: number;
  /** Source of cryptographically secure random bytes (`crypto.randomBytes`). */
  readonly randomBytes: (size: number) => Uint8Array;
  /** @default TICKET_TTL_SECONDS (60) */
  readonly ttlSeconds?: number;
}

/** A new ticket: the secret for the client, the record for the table (hash only), and its expiry. */
export interface IssuedTicket {
  readonly ticket: string;
  readonly record: TicketRecord;
  /** Epoch milliseconds: the ticket is refused from this instant on. */
  readonly expiresAtMs: number;
}

/**
 * The SHA-256 of a ticket, hex. Only this is stored: a leaked table (or backup) admits nobody.
 * No salt is needed: the ticket has 256 random bits, so there is nothing to guess.
 *
 * @example
 * hashTicket('q3…'); // '9f86d0…' (64 hex characters)
 */
export function hashTicket(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('hex');
}

/**
 * Mints a one-time `$connect` ticket for a user: {@link TICKET_BYTES} random bytes as base64url.
 *
 * @example
 * const { ticket, record } = issueTicket({ identity, now: Date.now(), randomBytes });
 * await tickets.put(record); // then answer { ticket, expiresAt }
 */
export function issueTicket(input: IssueTicketInput): IssuedTicket {
  const ttlSeconds = input.ttlSeconds ?? TICKET_TTL_SECONDS;
  const bytes = input.randomBytes(TICKET_BYTES);
  if (bytes.byteLength !== TICKET_BYTES)
    throw new RangeError(`randomBytes must return ${TICKET_BYTES} bytes`);
  const ticket = Buffer.from(bytes).toString('base64url');
  // Whole seconds (the TTL attribute is in seconds), never longer than ttlSeconds.
  const expiresAt = Math.floor(input.now / 1000) + ttlSeconds;
  const { userId, username, groups } = input.identity;
  return {
    ticket,
    record: { ticketHash: hashTicket(ticket), userId, username, groups: [...groups], expiresAt },
    expiresAtMs: expiresAt * 1000,
  };
}

/**
 * Redeems a ticket: consumes it (single use, even under concurrent attempts) and returns the
 * identity it was issued to.
 *
 * @throws AuthenticationError `malformed` (not ticket-shaped: the table is not asked), `invalid`
 *   (unknown or already used), `expired`.
 */
export async function redeemTicket(
  ticket: string,
  ports: { readonly tickets: TicketStore; readonly now: number },
): Promise<Identity> {
  if (!TicketSchema.safeParse(ticket).success) {
    throw new AuthenticationError('malformed', 'the ticket is not well-formed');
  }
  const record = await ports.tickets.take(hashTicket(ticket));
  if (record === undefined) throw new AuthenticationError('invalid', 'the ticket is unknown or already used');
  // Checked after the delete, so an expired ticket is consumed (cleaned up) as well as refused.
  if (record.expiresAt * 1000 <= ports.now)
    throw new AuthenticationError('expired', 'the ticket has expired');
  return { userId: record.userId, username: record.username, groups: [...record.groups] };
}
