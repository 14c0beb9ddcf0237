import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeWildcards } from '../nag.ts';

export interface AccessLogStreamProps {
  /** The access log bucket (its lifecycle rule is the logs' retention). */
  readonly bucket: IBucket;
  /**
   * The key prefix, without a slash: objects land under `<prefix>/`, records Firehose could not
   * process under `<prefix>-errors/`.
   */
  readonly prefix: string;
  /**
   * The stream's name; API Gateway writes a REST stage's access logs only to a stream named
   * `amazon-apigateway-*`.
   * @default a name CloudFormation generates
   */
  readonly deliveryStreamName?: string;
  /**
   * Firehose's built-in record processors, in order (e.g. decompressing what a CloudWatch Logs
   * subscription sends). With processors the stream has an extended S3 destination, the only
   * S3 destination that takes a processing configuration.
   * @default none: records are written as they come
   */
  readonly processors?: readonly CfnDeliveryStream.ProcessorProperty[];
}

/**
 * A Firehose stream into the access log bucket under one prefix (gzip, batched up to 5 minutes
 * or 5 MB), encrypted with an AWS-owned key, and the role it writes with: S3 permissions on that
 * bucket and that prefix (and its error prefix) only. Construct ids `AccessLogDeliveryRole` and
 * `AccessLogStream` under `scope`, so one scope holds one stream.
 *
 * @example
 * const stream = addAccessLogStream(this, {
 *   bucket: buckets.accessLogs,
 *   prefix: 'rest-api',
 *   deliveryStreamName: `amazon-apigateway-${this.node.addr}`,
 * });
 * buckets.emptyLogsAfter(stream);
 */
export function addAccessLogStream(scope: Construct, props: AccessLogStreamProps): CfnDeliveryStream {
  const { bucket, prefix } = props;
  const role = new Role(scope, 'AccessLogDeliveryRole', {
    assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  });
  // The S3 permissions Firehose documents for an S3 destination, on this bucket only.
  const write = new PolicyStatement({
    actions: [
      's3:AbortMultipartUpload',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:ListBucket',
      's3:ListBucketMultipartUploads',
      's3:PutObject',
    ],
    resources: [
      bucket.bucketArn,
      bucket.arnForObjects(`${prefix}/*`),
      bucket.arnForObjects(`${prefix}-errors/*`),
    ],
  });
  role.addToPolicy(write);
  acknowledgeWildcards(
    role,
    write,
    `Firehose writes objects it names itself (date-partitioned keys) under the ${prefix}/ prefix (failed records under ${prefix}-errors/).`,
  );
  const destination = {
    bucketArn: bucket.bucketArn,
    roleArn: role.roleArn,
    prefix: `${prefix}/`,
    errorOutputPrefix: `${prefix}-errors/`,
    compressionFormat: 'GZIP',
    bufferingHints: { intervalInSeconds: 300, sizeInMBs: 5 },
  };
  const processors = props.processors ?? [];
  const stream = new CfnDeliveryStream(scope, 'AccessLogStream', {
    ...(props.deliveryStreamName !== undefined && { deliveryStreamName: props.deliveryStreamName }),
    deliveryStreamType: 'DirectPut',
    deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
    // Without processors, the plain S3 destination the REST stream has always had (switching a
    // live stream's destination kind is an update we have no reason to make).
    ...(processors.length === 0
      ? { s3DestinationConfiguration: destination }
      : {
          extendedS3DestinationConfiguration: {
            ...destination,
            processingConfiguration: { enabled: true, processors: [...processors] },
          },
        }),
  });
  // Firehose checks its role's access when the stream is created.
  stream.node.addDependency(role);
  return stream;
}
