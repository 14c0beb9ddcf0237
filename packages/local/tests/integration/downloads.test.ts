import { join } from 'node:path';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { FileLinkSchema } from '@herald/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { localSigningKey } from '../../src/cdn/signing-key.ts';
import { REPO_ROOT } from '../../src/stack.ts';
import { issueToken, stack } from '../support.ts';

const PATH = 'public/readme.txt';

async function linkFor(path: string): Promise<URL> {
  const res = await fetch(`${stack().apiUrl}/files/links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await issueToken('alice')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ path }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return new URL(FileLinkSchema.parse(await res.json()).url);
}

let link: URL;
beforeAll(async () => {
  link = await linkFor(PATH);
}, 60_000);

describe('downloads through the local CloudFront distribution', () => {
  it('hands out CloudFront signed URLs, not presigned S3 GETs, and serves the file with its name', async () => {
    expect(link.origin).not.toBe(new URL(stack().s3.endpoint).origin);
    expect(link.searchParams.get('Key-Pair-Id')).toBeTruthy();
    expect(link.searchParams.get('Signature')).toBeTruthy();
    expect(link.searchParams.has('X-Amz-Signature')).toBe(false);
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('readme.txt');
    expect(await res.text()).toContain('Herald');
  });

  it('refuses a tampered path, Content-Disposition or signature with 403', async () => {
    const tampered = (from: string | RegExp, to: string) => fetch(link.href.replace(from, to));
    const otherPath = await tampered('/files/public/readme.txt', '/files/reports/2026/q3-summary.csv');
    expect(otherPath.status).toBe(403);
    const otherName = await tampered('readme.txt%22', 'evil.html%22');
    expect(otherName.status).toBe(403);
    const signature = link.searchParams.get('Signature') ?? '';
    const changed = await tampered(signature, `${signature.slice(0, -4)}AAAA`);
    expect(changed.status).toBe(403);
    const unsigned = await fetch(`${link.origin}${link.pathname}`);
    expect(unsigned.status).toBe(403);
  });

  it('serves a link until it expires and refuses it after (403)', async () => {
    // Links live minutes; this one is signed with the local key for two seconds.
    const { privateKeyPem } = localSigningKey(join(REPO_ROOT, 'node_modules', '.cache', 'herald'));
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const short = getSignedUrl({
      url: `${link.origin}${link.pathname}`,
      keyPairId: link.searchParams.get('Key-Pair-Id') ?? '',
      privateKey: privateKeyPem,
      dateLessThan: new Date(expiresAt * 1000),
      algorithm: 'SHA256',
    });
    expect((await fetch(short)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt * 1000 - Date.now()) + 100));
    expect((await fetch(short)).status).toBe(403);
  });
});
