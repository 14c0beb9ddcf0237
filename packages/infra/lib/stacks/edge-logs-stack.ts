import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DistributionLogs, type DistributionLogsProps } from '../constructs/distribution-logs.ts';

/** A us-east-1 environment, and what {@link DistributionLogs} delivers from and to (see the stack's example). */
export interface EdgeLogsStackProps extends StackProps, DistributionLogsProps {}

/**
 * The downloads distribution's access log delivery ({@link DistributionLogs}) when the main
 * stack is not in us-east-1: CloudFront's standard logging (v2) resources can be created there
 * only. It reads the distribution's and the log bucket's ARNs from the main stack through CDK's
 * cross-region references (`crossRegionReferences`: the main stack writes them to SSM parameters
 * in us-east-1 with a custom resource, this stack reads them with another), so it depends on the
 * main stack and deploys after it; the main stack holds the bucket policy that admits the
 * deliveries.
 *
 * @example
 * new EdgeLogsStack(app, 'HeraldProdEdgeLogs', {
 *   env: { account, region: 'us-east-1' },
 *   crossRegionReferences: true,
 *   distributionArn: stack.downloads.distribution.distributionArn,
 *   bucketArn: stack.buckets.accessLogs.bucketArn,
 *   name: 'HeraldProd-downloads',
 * });
 */
export class EdgeLogsStack extends Stack {
  readonly logs: DistributionLogs;

  constructor(scope: Construct, id: string, props: EdgeLogsStackProps) {
    super(scope, id, props);
    this.logs = new DistributionLogs(this, 'DownloadsAccessLogs', props);
  }
}
