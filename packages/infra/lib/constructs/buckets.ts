import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import type { BucketName } from '../handlers.ts';
import { acknowledge } from '../nag.ts';

export interface BucketsProps {
  /**
   * `DESTROY` also empties the buckets when the stack is deleted (CloudFormation cannot delete a
   * bucket that holds objects, or object versions): a custom resource deletes every object
   * version first.
   */
  readonly removalPolicy: RemovalPolicy;
  /** Browser origins that may upload to (and download from) the buckets with presigned URLs. */
  readonly allowedOrigins: readonly string[];
  readonly uploadsToGlacierAfterDays: number;
  readonly uploadsExpireAfterDays: number;
  readonly filesExpireAfterDays: number;
}

/**
 * The object stores: `uploads` (the CSVs users upload; the source of truth for what a job
 * loaded, so versioned) and `files` (copies of SRV-GW files and reject reports; re-creatable,
 * so not versioned and expiring). Both: one customer-managed KMS key with rotation and S3 bucket
 * keys, all public access blocked, TLS only, server access logs to a separate bucket.
 */
export class Buckets extends Construct {
  readonly key: Key;
  readonly uploads: Bucket;
  readonly files: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: BucketsProps) {
    super(scope, id);
    const autoDeleteObjects = props.removalPolicy === RemovalPolicy.DESTROY;
    this.key = new Key(this, 'Key', {
      description: 'Herald object storage (uploads, fetched files)',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });

    // Server access logs cannot be delivered to an SSE-KMS bucket, hence SSE-S3 here.
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects,
    });
    acknowledge(
      this.accessLogs,
      'AwsSolutions-S1',
      'This is the server access log bucket of the other buckets; logging it into itself would loop.',
    );

    const cors = (methods: HttpMethods[]) =>
      props.allowedOrigins.length === 0
        ? undefined
        : [
            {
              allowedOrigins: [...props.allowedOrigins],
              allowedMethods: methods,
              allowedHeaders: ['*'],
              // Multipart uploads read each part's ETag to complete the upload.
              exposedHeaders: ['ETag'],
              maxAge: 3000,
            },
          ];

    const common = {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects,
    };

    this.uploads = new Bucket(this, 'Uploads', {
      ...common,
      serverAccessLogsPrefix: 'uploads/',
      versioned: true,
      cors: cors([HttpMethods.PUT, HttpMethods.POST]),
      lifecycleRules: [
        {
          id: 'archive-then-expire-uploads',
          transitions: [
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.uploadsToGlacierAfterDays),
            },
          ],
          expiration: Duration.days(props.uploadsExpireAfterDays),
          noncurrentVersionExpiration: Duration.days(30),
        },
        // A browser that gives up mid-upload leaves parts that are billed until aborted.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.files = new Bucket(this, 'Files', {
      ...common,
      serverAccessLogsPrefix: 'files/',
      cors: cors([HttpMethods.GET, HttpMethods.HEAD]),
      lifecycleRules: [
        { id: 'expire-cached-files', expiration: Duration.days(props.filesExpireAfterDays) },
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // Empty the log bucket last: once the buckets it logs are gone, no new log object should
    // arrive (S3 delivers access logs best-effort, up to hours late; a straggler makes the delete
    // fail on this bucket, and a second delete finishes it).
    this.emptyLogsAfter(this.uploads, this.files);
  }

  /**
   * Empties the access log bucket only once `writers` (anything that delivers logs into it) are
   * deleted, so that no log object arrives after it was emptied.
   */
  emptyLogsAfter(...writers: IDependable[]): void {
    this.accessLogs.node.tryFindChild('AutoDeleteObjectsCustomResource')?.node.addDependency(...writers);
  }

  /** A bucket by its logical name (`uploads` | `files`), as the route table names it. */
  bucket(name: string): Bucket {
    if (name === 'uploads') return this.uploads;
    if (name === 'files') return this.files;
    throw new Error(`unknown bucket "${name}" (known: uploads, files)`);
  }

  /** `{ HERALD_UPLOADS_BUCKET, HERALD_FILES_BUCKET }`, as the local stack sets them. */
  environment(): Record<string, string> {
    return { HERALD_UPLOADS_BUCKET: this.uploads.bucketName, HERALD_FILES_BUCKET: this.files.bucketName };
  }

  static readonly NAMES: readonly BucketName[] = ['uploads', 'files'];
}
