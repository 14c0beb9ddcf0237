import { generateKeyPairSync } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { describe, expect, it } from 'vitest';
import { checkSignedUrl } from '../../src/cdn/signed-url.ts';

const pair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const trusted = pair();
const stranger = pair();
const BASE = 'http://127.0.0.1:4566';
const EXPIRES = 1_800_000_000;
const keys = new Map([['KTRUSTED', trusted.publicKey]]);

/** A link as the link handler signs it (`@aws-sdk/cloudfront-signer`, canned policy). */
function sign(
  path: string,
  options: { privateKey?: string; keyPairId?: string; algorithm?: 'SHA1' | 'SHA256' } = {},
): string {
  return getSignedUrl({
    url: `${BASE}${path}?response-content-disposition=${encodeURIComponent('attachment; filename="a b.csv"')}`,
    keyPairId: options.keyPairId ?? 'KTRUSTED',
    privateKey: options.privateKey ?? trusted.privateKey,
    dateLessThan: new Date(EXPIRES * 1000),
    algorithm: options.algorithm ?? 'SHA256',
  });
}
const target = (url: string) => url.slice(BASE.length);

describe('checkSignedUrl (the local CloudFront check)', () => {
  it.each(['SHA256', 'SHA1'] as const)(
    'admits a URL signed by a trusted key (%s) until it expires, with its signed query',
    (algorithm) => {
      const url = sign('/files/reports/a%20b.csv', { algorithm });
      const ok = checkSignedUrl(BASE, target(url), keys, EXPIRES - 1);
      expect(ok).toMatchObject({ ok: true, path: '/files/reports/a b.csv' });
      expect(ok.ok && ok.query.get('response-content-disposition')).toBe('attachment; filename="a b.csv"');
      expect(checkSignedUrl(BASE, target(url), keys, EXPIRES)).toEqual({
        ok: false,
        reason: 'the URL has expired',
      });
    },
  );

  it('refuses another path, another Content-Disposition, another expiry or a changed signature', () => {
    const url = target(sign('/files/public/readme.txt'));
    const refused = (changed: string) => checkSignedUrl(BASE, changed, keys, EXPIRES - 60).ok;
    expect(refused(url)).toBe(true);
    expect(refused(url.replace('/files/public/readme.txt', '/files/users/bob/readme.txt'))).toBe(false);
    expect(refused(url.replace('filename', 'filenam'))).toBe(false);
    expect(refused(url.replace(`Expires=${EXPIRES}`, `Expires=${EXPIRES + 3600}`))).toBe(false);
    const signature = /Signature=([^&]+)/.exec(url)?.[1] ?? '';
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    expect(refused(url.replace(signature, flipped))).toBe(false);
    expect(refused(url.replace(/&Signature=[^&]+/, ''))).toBe(false);
  });

  it('refuses a key outside the key group, and a stranger’s key under a trusted id', () => {
    const foreign = target(sign('/files/a.csv', { keyPairId: 'KSTRANGER', privateKey: stranger.privateKey }));
    expect(checkSignedUrl(BASE, foreign, keys, EXPIRES - 60)).toEqual({
      ok: false,
      reason: 'the key is not in the trusted key group',
    });
    const forged = target(sign('/files/a.csv', { privateKey: stranger.privateKey }));
    expect(checkSignedUrl(BASE, forged, keys, EXPIRES - 60)).toEqual({
      ok: false,
      reason: 'the signature does not match the URL',
    });
  });

  it('refuses a URL signed for another host', () => {
    const url = target(sign('/files/a.csv'));
    expect(checkSignedUrl('http://127.0.0.1:9999', url, keys, EXPIRES - 60).ok).toBe(false);
  });
});
