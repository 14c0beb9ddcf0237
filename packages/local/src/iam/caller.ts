/**
 * Who signed a request: the access key id of its SigV4 credential scope
 * (`Authorization: AWS4-HMAC-SHA256 Credential=<AKID>/<date>/<region>/<service>/aws4_request, …`)
 * or, for a presigned URL, of its `X-Amz-Credential` query parameter — a browser PUT to a
 * presigned URL carries the identity of whoever SIGNED it, which is what S3 authorizes. SigV2
 * (`Authorization: AWS <AKID>:<sig>`, `?AWSAccessKeyId=`) is read too. Signatures are not
 * verified here (the local servers accept any secret); the key only names the principal.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html
 */

export interface SignedCaller {
  readonly accessKeyId: string;
  /** The credential scope's region and service (SigV4 only). */
  readonly region?: string;
  readonly service?: string;
  readonly via: 'header' | 'query';
}

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

const first = (v: string | readonly string[] | undefined | null): string | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'string' ? v : v[0];

function fromScope(scope: string, via: SignedCaller['via']): SignedCaller | undefined {
  const [accessKeyId, , region, service] = scope.split('/');
  if (!accessKeyId) return undefined;
  return {
    accessKeyId,
    ...(region !== undefined && { region }),
    ...(service !== undefined && { service }),
    via,
  };
}

/**
 * The signer of a request, from its headers and query; undefined for an unsigned request.
 *
 * @example
 * signedCaller({ authorization: 'AWS4-HMAC-SHA256 Credential=ASIAX/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' }, new URLSearchParams());
 * // { accessKeyId: 'ASIAX', region: 'us-east-1', service: 's3', via: 'header' }
 */
export function signedCaller(
  headers: Headers,
  query: { get(name: string): string | null },
): SignedCaller | undefined {
  const authorization = first(headers.authorization);
  if (authorization !== undefined) {
    const v4 = /Credential=([^,\s]+)/.exec(authorization);
    if (v4?.[1]) return fromScope(v4[1], 'header');
    const v2 = /^AWS ([^:\s]+):/.exec(authorization);
    if (v2?.[1]) return { accessKeyId: v2[1], via: 'header' };
  }
  const credential = query.get('X-Amz-Credential');
  if (credential) return fromScope(credential, 'query');
  const v2Key = query.get('AWSAccessKeyId');
  if (v2Key) return { accessKeyId: v2Key, via: 'query' };
  return undefined;
}
