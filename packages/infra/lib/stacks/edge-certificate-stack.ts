import { Stack, type StackProps } from 'aws-cdk-lib';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';

export interface EdgeCertificateStackProps extends StackProps {
  /** `files.<domain>`. */
  readonly domainName: string;
  /** The Route 53 hosted zone to validate in, looked up by name; undefined: DNS elsewhere. */
  readonly hostedZone: string | undefined;
}

/**
 * The certificate of the downloads distribution's `files.` name. CloudFront uses ACM
 * certificates from us-east-1 only, whatever the region of the rest of the stack, so it lives in
 * a stack of its own there and reaches the main stack through CDK's cross-region references
 * (`crossRegionReferences`: an SSM parameter written here, read by a custom resource there).
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html
 *
 * @example
 * const certs = new EdgeCertificateStack(app, 'HeraldProdEdgeCertificate', { env: { account, region: 'us-east-1' }, crossRegionReferences: true, domainName: 'files.herald.example.com', hostedZone: 'example.com' });
 */
export class EdgeCertificateStack extends Stack {
  readonly certificate: Certificate;

  constructor(scope: Construct, id: string, props: EdgeCertificateStackProps) {
    super(scope, id, props);
    const zone = props.hostedZone && HostedZone.fromLookup(this, 'Zone', { domainName: props.hostedZone });
    this.certificate = new Certificate(this, 'FilesCertificate', {
      domainName: props.domainName,
      validation: zone ? CertificateValidation.fromDns(zone) : CertificateValidation.fromDns(),
    });
  }
}
