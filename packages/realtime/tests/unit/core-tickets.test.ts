import { describe, expect, it } from 'vitest';
import { authenticate } from '../../src/core/authenticate.ts';
import { hashTicket, issueTicket, redeemTicket, TICKET_BYTES } from '../../src/core/tickets.ts';
import { AuthenticationError } from '../../src/errors.ts';
import { countingBytes } from '../fakes/fake-deps.ts';
import { FakeTokenVerifier } from '../fakes/fake-token-verifier.ts';
import { InMemoryTicketStore } from '../fakes/in-memory-ticket-store.ts';

const ada = { userId: 'u-1', username: 'ada', groups: ['analysts'] };
const now = Date.parse('2025-06-01T12:00:00.400Z');

async function refusal(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe('issueTicket', () => {
  it('makes 256 random bits into a 43-character base64url ticket and stores only its hash', () => {
    const { ticket, record, expiresAtMs } = issueTicket({ identity: ada, now, randomBytes: countingBytes });
    expect(ticket).toBe(Buffer.from(countingBytes(TICKET_BYTES)).toString('base64url'));
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record).toEqual({
      ticketHash: hashTicket(ticket),
      userId: 'u-1',
      username: 'ada',
      groups: ['analysts'],
      expiresAt: Math.floor(now / 1000) + 60,
    });
    expect(JSON.stringify(record)).not.toContain(ticket);
    expect(expiresAtMs).toBe(record.expiresAt * 1000);
    expect(expiresAtMs - now).toBeLessThanOrEqual(60_000);
    expect(expiresAtMs - now).toBeGreaterThan(59_000);
  });

  it('hashes with SHA-256 (hex)', () => {
    expect(hashTicket('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses a random source that returns too few bytes', () => {
    expect(() => issueTicket({ identity: ada, now, randomBytes: () => new Uint8Array(8) })).toThrow(
      RangeError,
    );
  });
});

describe('redeemTicket', () => {
  it('admits the ticket’s user once, then refuses the reused ticket', async () => {
    const tickets = new InMemoryTicketStore();
    const { ticket, record } = issueTicket({ identity: ada, now, randomBytes: countingBytes });
    await tickets.put(record);
    expect(await redeemTicket(ticket, { tickets, now: now + 59_000 })).toEqual(ada);
    expect((await refusal(redeemTicket(ticket, { tickets, now }))).reason).toBe('invalid');
  });

  it('refuses an expired ticket and consumes it', async () => {
    const tickets = new InMemoryTicketStore();
    const { ticket, record, expiresAtMs } = issueTicket({ identity: ada, now, randomBytes: countingBytes });
    await tickets.put(record);
    expect((await refusal(redeemTicket(ticket, { tickets, now: expiresAtMs }))).reason).toBe('expired');
    expect(tickets.hashes).toEqual([]);
  });

  it('refuses a malformed ticket without asking the table', async () => {
    const tickets = new InMemoryTicketStore();
    tickets.failNextWith(new Error('the table must not be asked'));
    const error = await refusal(redeemTicket('not-a-ticket', { tickets, now }));
    expect(error.reason).toBe('malformed');
  });

  it('refuses an unknown ticket', async () => {
    const tickets = new InMemoryTicketStore();
    const forged = Buffer.alloc(32, 7).toString('base64url');
    expect((await refusal(redeemTicket(forged, { tickets, now }))).reason).toBe('invalid');
  });
});

describe('authenticate', () => {
  it('redeems tickets and verifies JWTs, each with its own port', async () => {
    const tickets = new InMemoryTicketStore();
    const tokens = new FakeTokenVerifier().accept('jwt-1', { ...ada, userId: 'u-jwt' });
    const { ticket, record } = issueTicket({ identity: ada, now, randomBytes: countingBytes });
    await tickets.put(record);
    expect(await authenticate({ kind: 'ticket', ticket }, { tokens, tickets, now })).toEqual(ada);
    expect((await authenticate({ kind: 'jwt', token: 'jwt-1' }, { tokens, tickets, now })).userId).toBe(
      'u-jwt',
    );
    expect(tokens.verified).toEqual(['jwt-1']);
  });
});
