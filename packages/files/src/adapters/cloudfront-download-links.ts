import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { SecretUnavailableError } from '@herald/runtime';
import type { DownloadLinkOptions, DownloadLinks } from '../ports.ts';

/**
 * The CloudFront signing key as the secret holds it: the public key's id in the distribution's
 * key group (the `Key-Pair-Id` of a signed URL) and the matching RSA private key (PEM). One
 * secret value holds both, so a key rotation switches them together (docs/deploy.md).
 *
 * @example
 * const key: CloudFrontSigningKey = { keyPairId: 'K2JCJMDEHXQW5F', privateKey: '-----BEGIN PRIVATE KEY-----…' };
 */
export interface CloudFrontSigningKey {
  readonly keyPairId: string;
  readonly privateKey: string;
}

/**
 * Options of {@link CloudFrontDownloadLinks}.
 *
 * @example
 * const options: CloudFrontDownloadLinksOptions = {
 *   baseUrl: 'https://files.example.com',
 *   signingKey: () => readSecret(arn).then(parseCloudFrontSigningKey),
 *   now: Date.now,
 * };
 */
export interface CloudFrontDownloadLinksOptions {
  /** The distribution's URL (`https://d111111abcdef8.cloudfront.net` or the custom `files.` name). */
  readonly baseUrl: string;
  /** The signing key; called per link (the secrets extension caches it, so a rotation arrives). */
  readonly signingKey: () => Promise<CloudFrontSigningKey>;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/**
 * Download links through the CloudFront distribution in front of the files bucket: a signed URL
 * with a canned policy (the URL, query string included, and an expiry), signed with RSA-SHA256
 * by `@aws-sdk/cloudfront-signer`. The bucket's origin is the distribution's, so an object key
 * is the URL path. `response-content-disposition` is in the query string, hence signed, and
 * CloudFront forwards it to S3, which answers with that header (the cache and origin request
 * policies name it; the infra package's `Downloads` construct).
 *
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html
 *
 * @example
 * const links = new CloudFrontDownloadLinks({ baseUrl, signingKey, now: Date.now });
 * const url = await links.presignDownload('files/reports/q3.csv', { expiresInSeconds: 300, contentDisposition });
 */
export class CloudFrontDownloadLinks implements DownloadLinks {
  readonly #baseUrl: string;
  readonly #signingKey: () => Promise<CloudFrontSigningKey>;
  readonly #now: () => number;

  constructor(options: CloudFrontDownloadLinksOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#signingKey = options.signingKey;
    this.#now = options.now;
  }

  async presignDownload(key: string, options: DownloadLinkOptions): Promise<string> {
    const { keyPairId, privateKey } = await this.#signingKey();
    const path = key
      .split('/')
      .map((segment) => encodeURIComponent(segment))
      .join('/');
    const url = `${this.#baseUrl}/${path}?response-content-disposition=${encodeURIComponent(options.contentDisposition)}`;
    // Whole seconds, rounded down: the link never outlives the expiry the caller announced.
    const expiresAt = Math.floor(this.#now() / 1000) + options.expiresInSeconds;
    return getSignedUrl({
      url,
      keyPairId,
      privateKey,
      dateLessThan: new Date(expiresAt * 1000),
      algorithm: 'SHA256',
    });
  }
}

/**
 * Parses the signing key secret (`{"keyPairId": "…", "privateKey": "-----BEGIN …"}`).
 *
 * @throws SecretUnavailableError (not retryable) when the secret has another shape.
 * @example
 * const key = parseCloudFrontSigningKey(await readSecret(arn));
 */
export function parseCloudFrontSigningKey(secret: string): CloudFrontSigningKey {
  let parsed: { keyPairId?: unknown; privateKey?: unknown };
  try {
    parsed = JSON.parse(secret) as typeof parsed;
  } catch (error) {
    throw new SecretUnavailableError('the CloudFront signing key secret is not JSON', {
      cause: error,
      retryable: false,
    });
  }
  if (typeof parsed.keyPairId !== 'string' || parsed.keyPairId === '')
    throw new SecretUnavailableError('the CloudFront signing key secret has no "keyPairId"', {
      retryable: false,
    });
  if (typeof parsed.privateKey !== 'string' || !parsed.privateKey.includes('PRIVATE KEY'))
    throw new SecretUnavailableError('the CloudFront signing key secret has no PEM "privateKey"', {
      retryable: false,
    });
  return { keyPairId: parsed.keyPairId, privateKey: parsed.privateKey };
}
