import { Stack, Token } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDelivery, CfnDeliveryDestination, CfnDeliverySource } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * The region every CloudFront standard logging (v2) resource lives in, whatever the region of
 * the distribution's stack and of the log bucket: "When calling the CloudWatch API to enable
 * standard logging, you must specify the US East (N. Virginia) Region (us-east-1), even if you
 * want to enable cross Region delivery to another destination." (CloudFront developer guide,
 * "Configure standard logging (v2)",
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html#enable-access-logging-api)
 *
 * @example
 * const logsHere = stack.region === DISTRIBUTION_LOGS_REGION;
 */
export const DISTRIBUTION_LOGS_REGION = 'us-east-1';

/**
 * Where the distribution's log objects start in the access log bucket, next to `rest-api/`,
 * `uploads/` and `files/`. The bucket's lifecycle rule has no prefix filter, so its 365-day
 * expiry covers these keys too.
 *
 * @example
 * const logObjects = accessLogs.arnForObjects(`${DISTRIBUTION_LOGS_PREFIX}*`);
 */
export const DISTRIBUTION_LOGS_PREFIX = 'cloudfront/';

/** What {@link DistributionLogs} delivers from and to (see its example). */
export interface DistributionLogsProps {
  /** `arn:aws:cloudfront::<account>:distribution/<id>` of the distribution that logs. */
  readonly distributionArn: string;
  /** The access log bucket's ARN (no key prefix: the prefix is the delivery's suffix path). */
  readonly bucketArn: string;
  /**
   * Names the delivery source and destination, which are unique per account and us-east-1
   * (letters, digits, `-`, `_`; at most 60 characters): the stack name keeps environments apart.
   */
  readonly name: string;
}

/**
 * CloudFront standard logging (v2) of one distribution into an S3 bucket: a CloudWatch Logs
 * vended-log delivery source of type `ACCESS_LOGS` on the distribution, a delivery destination
 * on the bucket, and the delivery that joins them, writing W3C-format files (the format of
 * legacy CloudFront logs) under {@link DISTRIBUTION_LOGS_PREFIX}, one folder per distribution
 * and hour. Standard logging (legacy) would need ACLs on the bucket; v2 writes through the
 * bucket policy {@link admitDistributionLogs} adds, so the bucket stays bucket-owner enforced.
 *
 * It must be created in a us-east-1 stack ({@link DISTRIBUTION_LOGS_REGION}); the bucket may be in
 * any region of the account.
 *
 * - https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
 * - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-delivery.html
 *
 * @example
 * const logs = new DistributionLogs(usEast1Stack, 'DownloadsAccessLogs', {
 *   distributionArn: distribution.distributionArn,
 *   bucketArn: accessLogs.bucketArn,
 *   name: 'HeraldProd-downloads',
 * });
 */
export class DistributionLogs extends Construct {
  readonly source: CfnDeliverySource;
  readonly destination: CfnDeliveryDestination;
  readonly delivery: CfnDelivery;

  constructor(scope: Construct, id: string, props: DistributionLogsProps) {
    super(scope, id);
    const { region } = Stack.of(this);
    if (Token.isUnresolved(region) || region !== DISTRIBUTION_LOGS_REGION)
      throw new Error(
        `CloudFront access log deliveries exist in ${DISTRIBUTION_LOGS_REGION} only; this stack's region is ${
          Token.isUnresolved(region) ? 'unknown (environment-agnostic)' : region
        }`,
      );
    this.source = new CfnDeliverySource(this, 'Source', {
      name: props.name,
      logType: 'ACCESS_LOGS',
      resourceArn: props.distributionArn,
    });
    this.destination = new CfnDeliveryDestination(this, 'Destination', {
      name: props.name,
      destinationResourceArn: props.bucketArn,
      outputFormat: 'w3c',
    });
    this.delivery = new CfnDelivery(this, 'Delivery', {
      // Ref of a delivery source is its name: CloudFormation creates the source first.
      deliverySourceName: this.source.ref,
      deliveryDestinationArn: this.destination.attrArn,
      s3SuffixPath: `${DISTRIBUTION_LOGS_PREFIX}{DistributionId}/{yyyy}/{MM}/{dd}/{HH}`,
    });
  }
}

/**
 * Lets CloudWatch Logs' delivery service write the distribution's logs into `bucket` (the bucket
 * policy of the CloudWatch Logs guide, "Logs sent to Amazon S3",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html):
 * `s3:PutObject` under {@link DISTRIBUTION_LOGS_PREFIX} with the `bucket-owner-full-control` ACL
 * header, and `s3:GetBucketAcl` + `s3:ListBucket` on the bucket for its ownership check. Both
 * only for deliveries of this account (`aws:SourceAccount`) made from
 * {@link DISTRIBUTION_LOGS_REGION} (`aws:SourceArn` `arn:aws:logs:us-east-1:<account>:*`): the
 * delivery resources live there, so a condition naming the bucket's own region would refuse every
 * log object, silently (terraform-aws-modules/terraform-aws-s3-bucket#396). The bucket is SSE-S3:
 * no key policy to extend (a customer-managed key would need one, same guide).
 *
 * @example
 * admitDistributionLogs(buckets.accessLogs);
 */
export function admitDistributionLogs(bucket: IBucket): void {
  const stack = Stack.of(bucket);
  const principal = new ServicePrincipal('delivery.logs.amazonaws.com');
  const fromThisAccountsDeliveries = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: {
      'aws:SourceArn': stack.formatArn({ service: 'logs', region: DISTRIBUTION_LOGS_REGION, resource: '*' }),
    },
  };
  bucket.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudFrontLogDeliveryWrite',
      principals: [principal],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`${DISTRIBUTION_LOGS_PREFIX}*`)],
      conditions: {
        ...fromThisAccountsDeliveries,
        StringEquals: {
          ...fromThisAccountsDeliveries.StringEquals,
          's3:x-amz-acl': 'bucket-owner-full-control',
        },
      },
    }),
  );
  bucket.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudFrontLogDeliveryAclCheck',
      principals: [principal],
      actions: ['s3:GetBucketAcl', 's3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: fromThisAccountsDeliveries,
    }),
  );
}
