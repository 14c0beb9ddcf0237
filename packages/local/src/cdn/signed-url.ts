import { createVerify } from 'node:crypto';

/**
 * CloudFront's check of a signed URL, for the local stand-in of the downloads distribution.
 * A request passes when it carries `Key-Pair-Id` of a public key in the behaviour's trusted key
 * group, a `Signature` by that key over the canned policy naming the URL (CloudFront's own
 * parameters removed, query string and order kept) and its `Expires`, and `Expires` is still in
 * the future. Custom policies (`Policy=`) are not issued by Herald and are refused here.
 *
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html
 */

/** CloudFront's parameters of a signed URL; everything else in the query string is signed. */
const SIGNING_PARAMETERS = new Set(['Expires', 'Key-Pair-Id', 'Signature', 'Hash-Algorithm', 'Policy']);

export type SignedUrlCheck =
  | { readonly ok: true; readonly path: string; readonly query: URLSearchParams }
  | { readonly ok: false; readonly reason: string };

/** CloudFront's URL-safe base64 (`-` `_` `~` for `+` `=` `/`) back to bytes. */
function fromCloudFrontBase64(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
}

/**
 * Checks a request against the trusted public keys.
 *
 * @param baseUrl the distribution's URL as links name it (`https://d111.cloudfront.net`, or the
 *   local address that stands for it)
 * @param rawUrl the request target exactly as received (`/files/a.csv?…`), never re-encoded
 * @param publicKeys PEM public keys by their id (the `Key-Pair-Id`)
 * @param nowSeconds epoch seconds
 *
 * @example
 * const check = checkSignedUrl('http://127.0.0.1:4566', req.url, keys, Date.now() / 1000);
 * if (!check.ok) res.writeHead(403).end();
 */
export function checkSignedUrl(
  baseUrl: string,
  rawUrl: string,
  publicKeys: ReadonlyMap<string, string>,
  nowSeconds: number,
): SignedUrlCheck {
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const pairs = queryAt === -1 ? [] : rawUrl.slice(queryAt + 1).split('&');
  const signed: string[] = [];
  const params = new Map<string, string>();
  for (const pair of pairs) {
    const name = decodeURIComponent(pair.split('=', 1)[0] ?? '');
    if (SIGNING_PARAMETERS.has(name)) params.set(name, decodeURIComponent(pair.slice(name.length + 1)));
    else if (pair !== '') signed.push(pair);
  }
  if (params.has('Policy')) return { ok: false, reason: 'custom policies are not issued by Herald' };
  const expires = params.get('Expires');
  const keyPairId = params.get('Key-Pair-Id');
  const signature = params.get('Signature');
  if (expires === undefined || keyPairId === undefined || signature === undefined)
    return { ok: false, reason: 'missing Expires, Key-Pair-Id or Signature' };
  const publicKey = publicKeys.get(keyPairId);
  if (publicKey === undefined) return { ok: false, reason: 'the key is not in the trusted key group' };
  if (!/^\d+$/.test(expires)) return { ok: false, reason: 'Expires is not epoch seconds' };
  const resource = `${baseUrl}${path}${signed.length > 0 ? `?${signed.join('&')}` : ''}`;
  const policy = JSON.stringify({
    Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': Number(expires) } } }],
  });
  const algorithm = params.get('Hash-Algorithm') === 'SHA256' ? 'RSA-SHA256' : 'RSA-SHA1';
  const valid = createVerify(algorithm).update(policy).verify(publicKey, fromCloudFrontBase64(signature));
  if (!valid) return { ok: false, reason: 'the signature does not match the URL' };
  if (Number(expires) <= nowSeconds) return { ok: false, reason: 'the URL has expired' };
  const query = new URLSearchParams(signed.join('&'));
  return { ok: true, path: decodeURIComponent(path), query };
}
