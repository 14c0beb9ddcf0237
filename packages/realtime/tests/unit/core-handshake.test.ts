import { describe, expect, it } from 'vitest';
import { extractCredential } from '../../src/core/credentials.ts';
import { headerValue } from '../../src/core/headers.ts';
import { chooseSubprotocol, parseSubprotocols, tokenFromSubprotocols } from '../../src/core/subprotocol.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

describe('parseSubprotocols', () => {
  it('splits on commas and trims', () => {
    expect(parseSubprotocols(` herald.v1 ,${JWT} , `)).toEqual(['herald.v1', JWT]);
    expect(parseSubprotocols(undefined)).toEqual([]);
  });
});

describe('chooseSubprotocol', () => {
  it('answers herald.v1 when offered, never the token', () => {
    expect(chooseSubprotocol(`herald.v1, ${JWT}`)).toBe('herald.v1');
    expect(chooseSubprotocol(`${JWT}, herald.v1`)).toBe('herald.v1');
  });

  it('answers nothing when herald.v1 was not offered', () => {
    expect(chooseSubprotocol('graphql-ws')).toBeUndefined();
    expect(chooseSubprotocol(undefined)).toBeUndefined();
    expect(chooseSubprotocol('herald.v10')).toBeUndefined();
  });
});

describe('tokenFromSubprotocols', () => {
  it('takes the JWT offered next to herald.v1', () => {
    expect(tokenFromSubprotocols(`herald.v1, ${JWT}`)).toBe(JWT);
  });

  it('ignores a JWT offered without herald.v1', () => {
    expect(tokenFromSubprotocols(JWT)).toBeUndefined();
  });

  it('refuses to guess between two JWTs', () => {
    expect(tokenFromSubprotocols(`herald.v1, ${JWT}, ${JWT}x`)).toBeUndefined();
  });

  it('ignores values that are not JWT-shaped', () => {
    expect(tokenFromSubprotocols('herald.v1, chat')).toBeUndefined();
    expect(tokenFromSubprotocols('herald.v1')).toBeUndefined();
  });
});

describe('headerValue', () => {
  it('finds a header whatever the case of its name', () => {
    expect(headerValue({ headers: { 'sec-websocket-protocol': 'a' } }, 'Sec-WebSocket-Protocol')).toBe('a');
    expect(headerValue({ headers: { 'SEC-WEBSOCKET-PROTOCOL': 'b' } }, 'sec-websocket-protocol')).toBe('b');
  });

  it('joins repeated headers from multiValueHeaders', () => {
    const source = {
      headers: { 'Sec-WebSocket-Protocol': JWT },
      multiValueHeaders: { 'Sec-WebSocket-Protocol': ['herald.v1', JWT] },
    };
    expect(headerValue(source, 'sec-websocket-protocol')).toBe(`herald.v1, ${JWT}`);
  });

  it('is undefined when absent or the maps are null', () => {
    expect(headerValue({ headers: null, multiValueHeaders: null }, 'x')).toBeUndefined();
    expect(headerValue({}, 'x')).toBeUndefined();
  });
});

describe('extractCredential', () => {
  it('reads a JWT from Sec-WebSocket-Protocol in any header case', () => {
    expect(extractCredential({ headers: { 'sec-websocket-protocol': `herald.v1, ${JWT}` } })).toEqual({
      kind: 'jwt',
      token: JWT,
    });
  });

  it('prefers a one-time ticket from the query string', () => {
    const request = {
      headers: { 'Sec-WebSocket-Protocol': `herald.v1, ${JWT}` },
      queryStringParameters: { ticket: 'tkt-123' },
    };
    expect(extractCredential(request)).toEqual({ kind: 'ticket', ticket: 'tkt-123' });
  });

  it('finds nothing when neither is present', () => {
    expect(extractCredential({ headers: { 'Sec-WebSocket-Protocol': 'herald.v1' } })).toBeUndefined();
    expect(extractCredential({ headers: null, queryStringParameters: { ticket: '' } })).toBeUndefined();
  });
});
