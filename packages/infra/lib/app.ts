import { Annotations, type App, Tags, Token, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ConfigOverrides, resolveConfig } from './config.ts';
import {
  admitDistributionLogs,
  DISTRIBUTION_LOGS_REGION,
  DistributionLogs,
} from './constructs/distribution-logs.ts';
import { domainNames } from './constructs/domains.ts';
import { EdgeCertificateStack } from './stacks/edge-certificate-stack.ts';
import { EdgeLogsStack } from './stacks/edge-logs-stack.ts';
import { HeraldStack, type HeraldStackProps } from './stacks/herald-stack.ts';

/**
 * CDK feature flags Herald is written against (set on the app before the stack exists, so the
 * CLI and the tests build the same template).
 */
export const HERALD_FEATURE_FLAGS: Readonly<Record<string, boolean>> = {
  // Server access logs are admitted by a bucket policy, not the legacy log-delivery ACL, so the
  // log bucket can enforce bucket-owner object ownership (ACLs off).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  // RDS Proxy names are unique per account and region: without this flag every stack's proxy is
  // named after its construct id (`Proxy`), and a second environment in one account fails to
  // deploy. With it the name derives from the construct path (`HeraldDev…Proxy…`).
  '@aws-cdk/aws-rds:databaseProxyUniqueResourceName': true,
};

export interface HeraldAppOptions {
  /** Check the app with cdk-nag's AwsSolutions pack at synth (findings fail the synth). @default true */
  readonly nag?: boolean;
  /** Stack props to override (tests pass fixture routes). @default - none */
  readonly stackProps?: Partial<Omit<HeraldStackProps, 'config'>>;
}

/**
 * Adds Herald's stack for the environment named by the `env` context (`dev` by default), in the
 * profile the `profile` context names (`standard` by default; `lean` for a cheaper dev), to an
 * app, with cdk-nag's AwsSolutions checks. Account and region come from the CLI's credentials
 * (`CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`); unset, the stack is environment-agnostic,
 * which is what an offline `cdk synth` produces.
 *
 * @example
 * const app = new App({ context: { env: 'prod' } });
 * const stack = addHeraldStack(app);
 * app.synth();
 */
export function addHeraldStack(app: App, options: HeraldAppOptions = {}): HeraldStack {
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const overrides: ConfigOverrides = {
    ...(context('profile') !== undefined && { profile: context('profile') }),
    ...(context('allowedOrigins') !== undefined && { allowedOrigins: context('allowedOrigins') }),
    ...(context('srvgwUrl') !== undefined && { srvgwUrl: context('srvgwUrl') }),
    ...(context('alarmEmail') !== undefined && { alarmEmail: context('alarmEmail') }),
    ...(context('downloadsPublicKeys') !== undefined && {
      downloadsPublicKeys: context('downloadsPublicKeys'),
    }),
    ...(context('domain') !== undefined && { domain: context('domain') }),
    ...(context('hostedZone') !== undefined && { hostedZone: context('hostedZone') }),
  };
  for (const [flag, value] of Object.entries(HERALD_FEATURE_FLAGS)) {
    if (app.node.tryGetContext(flag) === undefined) app.node.setContext(flag, value);
  }
  const config = resolveConfig(context('env') ?? 'dev', overrides);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  // CloudFront takes certificates from us-east-1 only: `files.<domain>` gets one there, in a
  // stack of its own, referenced across regions (docs/adr/008-edge.md).
  const { domain } = config.edge;
  if (domain && !(account && region))
    throw new Error(
      'a domain needs an account and a region (CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION, e.g. from the CLI profile): ' +
        'the hosted zone is looked up and the files certificate lives in us-east-1',
    );
  const edgeCertificates =
    domain && config.edge.downloadsPublicKeys.length > 0 && account
      ? new EdgeCertificateStack(app, `${config.stackName}EdgeCertificate`, {
          env: { account, region: 'us-east-1' },
          crossRegionReferences: true,
          description: `Herald: the us-east-1 certificate of files.${domain.name} (${config.envName})`,
          domainName: domainNames(domain.name).files,
          hostedZone: domain.hostedZone,
        })
      : undefined;
  const stack = new HeraldStack(app, config.stackName, {
    ...options.stackProps,
    ...(edgeCertificates && {
      filesCertificate: edgeCertificates.certificate,
      crossRegionReferences: true,
    }),
    config,
    description: `Herald real-time notification backend (${config.envName})`,
    terminationProtection: config.retainData,
    ...(account && region && { env: { account, region } }),
  });
  const edgeLogs = addDistributionLogs(app, stack);
  for (const s of [edgeCertificates, stack, edgeLogs]) {
    if (!s) continue;
    Tags.of(s).add('herald:env', config.envName);
    Tags.of(s).add('herald:app', 'herald');
  }
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}

/**
 * The downloads distribution's access logs (CloudFront standard logging v2) into the access log
 * bucket, when the stack has downloads. The delivery resources can be created in us-east-1 only:
 * in the stack itself when it is there, otherwise in a `<stack>EdgeLogs` stack in us-east-1 that
 * reads the distribution and the bucket across regions and deploys after the stack (which holds
 * the bucket policy admitting the deliveries). An environment-agnostic synth (the offline synth,
 * the local stack) knows no region and so cannot place them: it gets no logging, and a warning.
 */
function addDistributionLogs(app: App, stack: HeraldStack): EdgeLogsStack | undefined {
  const { downloads } = stack;
  if (!downloads) return undefined;
  if (Token.isUnresolved(stack.region) || Token.isUnresolved(stack.account)) {
    Annotations.of(stack).addWarningV2(
      '@herald/infra:distributionLogsNeedEnvironment',
      'The downloads distribution logs nothing in an environment-agnostic synth: its access log delivery ' +
        `lives in ${DISTRIBUTION_LOGS_REGION} and needs the account and region (CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION, ` +
        'e.g. from the CLI profile). Deploy with credentials to get it.',
    );
    return undefined;
  }
  admitDistributionLogs(stack.buckets.accessLogs);
  const logs = {
    distributionArn: downloads.distribution.distributionArn,
    bucketArn: stack.buckets.accessLogs.bucketArn,
    name: `${stack.stackName}-downloads`,
  };
  if (stack.region === DISTRIBUTION_LOGS_REGION) {
    const inStack = new DistributionLogs(downloads, 'AccessLogs', logs);
    stack.buckets.emptyLogsAfter(inStack.delivery);
    return undefined;
  }
  return new EdgeLogsStack(app, `${stack.stackName}EdgeLogs`, {
    ...logs,
    env: { account: stack.account, region: DISTRIBUTION_LOGS_REGION },
    crossRegionReferences: true,
    description: `Herald: access logs of the downloads distribution of ${stack.stackName}, delivered from ${DISTRIBUTION_LOGS_REGION}`,
  });
}
