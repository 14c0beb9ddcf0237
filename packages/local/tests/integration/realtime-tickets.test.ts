import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CreateTicketResponseSchema } from '@herald/protocol';
import { hashTicket, issueTicket, TICKETS_TABLE } from '@herald/realtime';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_USERS } from '../../src/index.ts';
import { issueToken, stack } from '../support.ts';
import { Client, newUserId, openSocket, realtimeFixture } from './realtime-helpers.ts';

const fixture = realtimeFixture();
const opened: Array<{ terminate(): void }> = [];
afterAll(() => {
  for (const ws of opened) ws.terminate();
  fixture.close();
});
const alice = DEV_USERS.find((u) => u.username === 'alice');

async function createTicket(authorization?: string) {
  const res = await fetch(`${stack().apiUrl}/realtime/tickets`, {
    method: 'POST',
    headers: authorization ? { authorization } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function refusedWith(query: string, protocols: string[] = []): Promise<string> {
  const error = await openSocket(query, protocols).then(
    (ws) => {
      opened.push(ws);
      return new Error('the handshake was accepted');
    },
    (e: Error) => e,
  );
  return error.message;
}

describe('one-time tickets through the local stack', () => {
  it('issues a ticket that opens one connection for the caller, then is refused when reused', async () => {
    const authorization = `Bearer ${await issueToken('alice')}`;
    const before = Date.now();
    const { status, body } = await createTicket(authorization);
    const after = Date.now();
    expect(status).toBe(201);
    const { ticket, expiresAt } = CreateTicketResponseSchema.parse(body);
    // 60 s from issue, in whole seconds (the TTL attribute's unit), never longer.
    expect(Date.parse(expiresAt)).toBeGreaterThan(before + 59_000 - 1);
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(after + 60_000);

    const ws = await openSocket(`?ticket=${ticket}`);
    opened.push(ws);
    // A ticket client offered no subprotocol, so none is echoed.
    expect(ws.protocol).toBe('');
    const client = new Client(ws, alice?.sub ?? '', '');
    await client.barrier();
    const mine = await fixture.connections.listByUser(alice?.sub ?? '', Date.now());
    expect(mine.length).toBeGreaterThan(0);
    client.close();

    expect(await refusedWith(`?ticket=${ticket}`)).toBe('handshake refused: 401');
  });

  it('stores only the SHA-256 of a ticket', async () => {
    const { body } = await createTicket(`Bearer ${await issueToken('bob')}`);
    const ticket = String(body.ticket);
    const { Item } = await fixture.documents.send(
      new GetCommand({
        TableName: stack().dynamodb.tables[TICKETS_TABLE.id],
        Key: { ticketHash: hashTicket(ticket) },
      }),
    );
    expect(Item).toMatchObject({ userId: DEV_USERS.find((u) => u.username === 'bob')?.sub });
    expect(JSON.stringify(Item)).not.toContain(ticket);
  });

  it('refuses an expired ticket', async () => {
    const { ticket, record } = issueTicket({
      identity: { userId: newUserId(), username: 'x', groups: [] },
      now: Date.now() - 61_000,
      randomBytes: (n) => randomBytes(n),
    });
    await fixture.tickets.put(record);
    expect(await refusedWith(`?ticket=${ticket}`)).toBe('handshake refused: 401');
    // Consumed by the refusal: nothing left to reuse.
    expect(await fixture.tickets.take(record.ticketHash)).toBeUndefined();
  });

  it.each([
    ['an unknown ticket', () => `?ticket=${randomBytes(32).toString('base64url')}`],
    ['a malformed ticket', () => '?ticket=not-a-ticket'],
    ['no credential at all', () => ''],
  ])('refuses %s with 401', async (_name, query) => {
    expect(await refusedWith(query())).toBe('handshake refused: 401');
  });

  it('answers POST /realtime/tickets without a token with 401', async () => {
    expect((await createTicket()).status).toBe(401);
  });
});

describe('the JWT subprotocol path', () => {
  it('admits a Cognito JWT offered next to herald.v1 and echoes only herald.v1', async () => {
    const ws = await openSocket('', ['herald.v1', await issueToken('alice')]);
    opened.push(ws);
    expect(ws.protocol).toBe('herald.v1');
  });

  async function forged(): Promise<string> {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ token_use: 'id', 'cognito:username': 'alice' })
      .setProtectedHeader({ alg: 'RS256', kid: 'herald-local-1' })
      .setSubject(alice?.sub ?? '')
      .setIssuer(stack().identity.issuer)
      .setAudience(stack().identity.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
  }

  it.each([
    ['a forged token', forged],
    ['an expired token', () => issueToken('alice', { expiresIn: -60 })],
    ['a wrong-audience token', () => issueToken('alice', { audience: 'another-client' })],
  ])('refuses %s with 401', async (_name, token) => {
    expect(await refusedWith('', ['herald.v1', await token()])).toBe('handshake refused: 401');
  });
});
