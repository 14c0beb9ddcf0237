import { createVerify, generateKeyPairSync } from 'node:crypto';
import { SecretUnavailableError } from '@herald/runtime';
import { describe, expect, it } from 'vitest';
import {
  CloudFrontDownloadLinks,
  parseCloudFrontSigningKey,
} from '../../src/adapters/cloudfront-download-links.ts';
import { contentDisposition } from '../../src/core/file-disposition.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const NOW = Date.parse('2026-12-05T03:00:00.400Z');

/** Undoes CloudFront's URL-safe base64 (`-` `_` `~` for `+` `=` `/`). */
const fromCloudFrontBase64 = (text: string) =>
  Buffer.from(text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

function links() {
  return new CloudFrontDownloadLinks({
    baseUrl: 'https://files.example.com/',
    signingKey: async () => ({ keyPairId: 'K2JCJMDEHXQW5F', privateKey }),
    now: () => NOW,
  });
}

describe('CloudFrontDownloadLinks', () => {
  it('signs a canned policy over the object URL and its Content-Disposition, expiring after the TTL', async () => {
    const disposition = contentDisposition('q3 report.csv');
    const url = new URL(
      await links().presignDownload('files/reports/q3 report.csv', {
        expiresInSeconds: 300,
        contentDisposition: disposition,
      }),
    );
    expect(url.origin).toBe('https://files.example.com');
    expect(url.pathname).toBe('/files/reports/q3%20report.csv');
    expect(url.searchParams.get('response-content-disposition')).toBe(disposition);
    expect(url.searchParams.get('Key-Pair-Id')).toBe('K2JCJMDEHXQW5F');
    expect(url.searchParams.get('Hash-Algorithm')).toBe('SHA256');
    const expires = Number(url.searchParams.get('Expires'));
    expect(expires).toBe(Math.floor(NOW / 1000) + 300);

    // What CloudFront checks: the signature over the policy naming the URL without its own parameters.
    const resource = url.href.slice(0, url.href.indexOf('&Expires='));
    const policy = JSON.stringify({
      Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }],
    });
    const signature = fromCloudFrontBase64(url.searchParams.get('Signature') ?? '');
    expect(createVerify('RSA-SHA256').update(policy).verify(publicKey, signature)).toBe(true);
    const tampered = policy.replace('q3%20report', 'q4%20report');
    expect(createVerify('RSA-SHA256').update(tampered).verify(publicKey, signature)).toBe(false);
  });
});

describe('parseCloudFrontSigningKey', () => {
  it('reads {keyPairId, privateKey}', () => {
    expect(parseCloudFrontSigningKey(JSON.stringify({ keyPairId: 'K1', privateKey }))).toEqual({
      keyPairId: 'K1',
      privateKey,
    });
  });

  it.each([
    ['not JSON', '-----BEGIN PRIVATE KEY-----'],
    ['no key pair id', JSON.stringify({ privateKey })],
    ['no PEM', JSON.stringify({ keyPairId: 'K1', privateKey: 'abc' })],
  ])('refuses a secret with %s, as a non-retryable SecretUnavailableError', (_what, secret) => {
    expect(() => parseCloudFrontSigningKey(secret)).toThrow(SecretUnavailableError);
    try {
      parseCloudFrontSigningKey(secret);
    } catch (error) {
      expect((error as SecretUnavailableError).retryable).toBe(false);
      expect((error as Error).message).not.toContain('PRIVATE');
    }
  });
});
