import { createHash } from 'node:crypto';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  KeyGroup,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  PriceClass,
  PublicKey,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface DownloadsProps {
  /** The files bucket: private, SSE-KMS; the distribution reads it through Origin Access Control. */
  readonly bucket: IBucket;
  /** PEM public keys of the key group signed URLs are checked against (one, two while rotating). */
  readonly publicKeys: readonly string[];
  /** Browser origins allowed to read downloads with `fetch` (CORS); navigations need none. */
  readonly allowedOrigins: readonly string[];
  /** For the signing key secret. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * A custom name (`files.<domain>`) with its certificate, which CloudFront takes from us-east-1
   * only. @default the distribution's `*.cloudfront.net` name
   */
  readonly domain?: { readonly name: string; readonly certificate: ICertificate };
}

/**
 * Downloads through CloudFront: a distribution in front of the files bucket that serves only
 * signed URLs (a key group of the given public keys), HTTPS only, with a response-headers
 * policy; the bucket stays private and its policy admits only this distribution (Origin Access
 * Control: CloudFront signs its requests to S3 with SigV4, and the `AWS:SourceArn` condition
 * names the distribution). The private key lives in a secret the link handler reads.
 *
 * Nothing is cached: a cached copy in the bucket is replaced in place when SRV-GW's file changes,
 * and a CloudFront copy under the same URL would outlive it. `response-content-disposition` is
 * the only query parameter sent on to S3 (S3 honours response-header overrides on signed
 * requests only, which OAC's are), so the download keeps the name the link was signed with.
 *
 * - https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
 * - https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-trusted-signers.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html ("Overriding response header values")
 *
 * @example
 * const downloads = new Downloads(this, 'Downloads', { bucket: files, publicKeys: [pem], allowedOrigins: [], removalPolicy });
 * downloads.signingKey.grantRead(role);
 */
export class Downloads extends Construct {
  readonly distribution: Distribution;
  readonly keyGroup: KeyGroup;
  /** `{"keyPairId": "<PublicKey id>", "privateKey": "<PEM>"}`, loaded after deploy (docs/deploy.md). */
  readonly signingKey: Secret;
  /** `https://<distribution domain>`: what links start with. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: DownloadsProps) {
    super(scope, id);
    if (props.publicKeys.length === 0) throw new Error('Downloads needs at least one public key');

    // One resource per key, named by its content: adding the next key or removing the old one
    // during a rotation leaves the other key (and its id, the Key-Pair-Id links carry) untouched.
    const keys = props.publicKeys.map((pem) => {
      const fingerprint = createHash('sha256').update(pem).digest('hex').slice(0, 8);
      return new PublicKey(this, `PublicKey${fingerprint}`, {
        encodedKey: pem,
        comment: `Herald download links (sha256 ${fingerprint})`,
      });
    });
    this.keyGroup = new KeyGroup(this, 'KeyGroup', {
      items: keys,
      comment: 'Herald: keys download links are signed with',
    });

    this.signingKey = new Secret(this, 'SigningKey', {
      description:
        'Herald: CloudFront signing key for download links, {"keyPairId", "privateKey"}. ' +
        'Loaded after deploy; see docs/deploy.md.',
      removalPolicy: props.removalPolicy,
    });
    acknowledge(
      this.signingKey,
      'AwsSolutions-SMG4',
      'A CloudFront key pair: its public half is in the template (the key group), so rotating means ' +
        'adding the next public key, deploying, then putting the private key (docs/deploy.md).',
    );

    const originRequest = new OriginRequestPolicy(this, 'OriginRequest', {
      comment: 'Herald downloads: only the signed Content-Disposition goes to S3',
      queryStringBehavior: OriginRequestQueryStringBehavior.allowList('response-content-disposition'),
    });
    const responseHeaders = new ResponseHeadersPolicy(this, 'ResponseHeaders', {
      comment: 'Herald downloads: security headers, CORS for the app origins',
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      ...(props.allowedOrigins.length > 0 && {
        corsBehavior: {
          accessControlAllowOrigins: [...props.allowedOrigins],
          accessControlAllowMethods: ['GET', 'HEAD'],
          accessControlAllowHeaders: ['*'],
          accessControlExposeHeaders: ['Content-Disposition', 'Content-Length'],
          accessControlAllowCredentials: false,
          originOverride: true,
        },
      }),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Herald downloads (signed URLs only)',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(props.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: originRequest,
        responseHeadersPolicy: responseHeaders,
        trustedKeyGroups: [this.keyGroup],
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      ...(props.domain && { domainNames: [props.domain.name], certificate: props.domain.certificate }),
    });
    this.url = `https://${props.domain?.name ?? this.distribution.distributionDomainName}`;

    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'Files are delivered to the users SRV-GW grants them to, wherever they are; every request needs a ' +
        'signed URL issued after that authorization.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'Every request must carry a signed URL (a key group), issued minutes before by an authorized, ' +
        'WAF-protected REST call; a CLOUDFRONT web ACL would live in us-east-1 (docs/adr/008-edge.md).',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR3',
      'CFR3 checks standard logging (legacy), which needs ACLs on the log bucket (bucket-owner enforced, ' +
        'ACLs off). The access logs go through standard logging (v2) instead, a CloudWatch Logs delivery ' +
        'from us-east-1 into the access log bucket under cloudfront/, on every deploy with an account and ' +
        'region (docs/adr/008-edge.md).',
    );
    if (!props.domain)
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR4',
        'On the default *.cloudfront.net certificate CloudFront negotiates the protocols it chooses; ' +
          'TLSv1.2_2021 applies as soon as a custom domain brings its own certificate.',
      );
  }
}
