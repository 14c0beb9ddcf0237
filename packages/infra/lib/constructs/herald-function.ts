import { join } from 'node:path';
import { type CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REPO_ROOT } from '../handlers.ts';
import { acknowledge } from '../nag.ts';

export interface HeraldFunctionProps {
  /** Absolute path of the TypeScript entry file; it exports `handler`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** `POWERTOOLS_SERVICE_NAME`, e.g. `herald-realtime`. */
  readonly serviceName: string;
  /** Environment variables, added to the defaults (`NODE_OPTIONS`, Powertools). @default - the defaults only */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * For a function that streams files of any size: its peak memory must not follow the data.
   * Measured on the ingest worker loading 1 GiB (`pnpm bench upload-memory`, peak RSS on Node
   * 24): 185 MB with the defaults, V8 growing its young generation to 16 MiB semi-spaces under
   * the stream's short-lived garbage and glibc keeping freed 64 KiB–1 MiB chunk buffers in one
   * malloc arena per thread, creeping ~20 MB a GiB; 135–138 MB with semi-spaces capped at 2 MiB
   * (`--max-semi-space-size=2`); 124–126 MB with glibc held to 2 arenas and chunk buffers above
   * 64 KiB mapped and returned on free (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`: glibc's
   * tunables, read from the environment at process start; Lambda's Node.js runtime links glibc).
   * @default false
   */
  readonly streaming?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** What happens to the log group when the function is removed. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Attach the function to this VPC (its ENI permissions are added). @default - not in a VPC */
  readonly vpc?: IVpc;
  /** @default - the VPC's private subnets with egress */
  readonly vpcSubnets?: SubnetSelection;
  /** @default - none; required with `vpc` */
  readonly securityGroups?: readonly ISecurityGroup[];
  /** Extra esbuild steps, e.g. copying SQL files next to the bundle. @default - none */
  readonly commandHooks?: ICommandHooks;
  /**
   * Attach the AWS Parameters and Secrets Lambda Extension, for functions that read secrets
   * over `localhost:2773` (no Secrets Manager SDK in the bundle). @default false
   */
  readonly secretsExtension?: boolean;
  /** The workspace root (holds `pnpm-lock.yaml`; esbuild runs there). @default REPO_ROOT */
  readonly projectRoot?: string;
  /** @default - no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * Herald's Lambda defaults, in ONE place: Node.js 24 on arm64, an ESM bundle built by esbuild
 * from the workspace's TypeScript sources (no per-package build), source maps, X-Ray active
 * tracing, its own log group with retention, its own role with nothing but its logs — every
 * permission beyond that is granted by the caller, per function.
 *
 * @example
 * const fn = new HeraldFunction(this, 'WsConnect', {
 *   entry: handlerEntry({ package: 'realtime', name: 'ws-connect' }),
 *   description: 'WebSocket $connect',
 *   serviceName: 'herald-realtime',
 * });
 * table.grant(fn, 'dynamodb:PutItem');
 */
export class HeraldFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HeraldFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: logs go to this function's group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Herald ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        // Stack traces point at the TypeScript sources (what that costs: at `sourceMap` below).
        NODE_OPTIONS: props.streaming
          ? '--enable-source-maps --max-semi-space-size=2'
          : '--enable-source-maps',
        ...(props.streaming && { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' }),
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'Herald',
        // VPC functions talk to PostgreSQL over verified TLS. Since Node.js 20, Lambda trusts the
        // Amazon CAs (RDS's among them) only through this bundle the runtime ships
        // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html).
        ...(props.vpc && { NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' }),
        ...props.environment,
      },
      ...(props.vpc && {
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets,
        securityGroups: props.securityGroups ? [...props.securityGroups] : undefined,
      }),
      ...(props.secretsExtension && {
        paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
          cacheEnabled: true,
          // Rotated secrets are picked up within five minutes.
          secretsManagerTtl: Duration.minutes(5),
          logLevel: ParamsAndSecretsLogLevel.WARN,
        }),
      }),
      ...(props.reservedConcurrentExecutions !== undefined && {
        reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      }),
      projectRoot: props.projectRoot ?? REPO_ROOT,
      depsLockFilePath: join(props.projectRoot ?? REPO_ROOT, 'pnpm-lock.yaml'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        mainFields: ['module', 'main'],
        minify: true,
        // Source maps, measured on Node 24 (`pnpm bench bundles`: cold instances, medians of 15 on
        // 2 shared cores, so a few ms are noise). With `--enable-source-maps` Node reads and parses
        // the map at every import and decodes its mappings at an instance's first `stack` read:
        //                          import ms   RSS at import   1st stack ms   RSS after   warm stack
        //   ingest/sqs-ingest (1.5 MB bundle; map 6.4 MB with sources, 2.1 MB without)
        //     no flag                  92        105 MB           1.1         107 MB        5 µs
        //     map with sources        126        137 MB            82         189 MB       15 µs
        //     without sources         110        119 MB            96         176 MB       14 µs
        //   realtime/ws-authorize (0.5 MB; map 2.3 / 0.8 MB; every refused `$connect` throws)
        //     no flag                  60         88 MB           0.5          89 MB        3 µs
        //     map with sources         76        104 MB            51         127 MB        5 µs
        //     without sources          71         97 MB            48         119 MB        7 µs
        // The embedded sources are two thirds of each map and serve debuggers and the source line
        // Node prints for an uncaught error, neither of which Lambda uses: dropped (half the
        // import overhead). The mapping stays: an unexpected failure's Invoke Error log shows .ts
        // files and lines, for ~10–20 ms and ~10–15 MB per cold start and, once per instance that
        // throws, ~50–100 ms and ~20–60 MB more. Warm invocations pay microseconds.
        sourceMap: true,
        sourcesContent: false,
        // Bundle the AWS SDK too: the tested version is the deployed version.
        bundleAwsSDK: true,
        // pg's optional native binding is never used.
        externalModules: ['pg-native'],
        // CommonJS dependencies (pg, firebase-admin) call require() inside an ES module bundle.
        banner:
          "import { createRequire as __herald_cr } from 'node:module'; const require = __herald_cr(import.meta.url);",
        ...(props.commandHooks && { commandHooks: props.commandHooks }),
      },
    });

    // X-Ray and VPC permissions live in their own policy, so the wildcard acknowledgement below
    // covers them and nothing an application grant might add to the role's default policy.
    const platform = new Policy(this, 'PlatformPolicy', {
      statements: [
        new PolicyStatement({
          // X-Ray's write actions have no resource-level permissions.
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    if (props.vpc) {
      platform.addStatements(
        new PolicyStatement({
          // What AWSLambdaVPCAccessExecutionRole allows for the function's ENIs, minus its `logs:*` on `*`.
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }
    platform.attachToRole(this.role);
    acknowledge(
      platform,
      'AwsSolutions-IAM5[Resource::*]',
      props.vpc
        ? 'X-Ray PutTraceSegments/PutTelemetryRecords and the Lambda ENI actions (ec2:*NetworkInterface*, ' +
            'DescribeSubnets) support no resource-level permissions; this policy holds nothing else.'
        : 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; this policy holds ' +
            'nothing else.',
    );
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'nodejs24.x is the newest Node.js runtime Lambda offers (supported until April 2028); cdk-nag ' +
        "compares against its own list, which may trail Lambda's.",
    );
    // Lambda checks its role at create time: the ENI permissions must exist first.
    (this.function.node.defaultChild as CfnResource).addResourceDependency(
      platform.node.defaultChild as CfnResource,
    );
    // Active tracing set on the resource rather than through `tracing`, which would put X-Ray's
    // wildcard statement in the role's default policy.
    (this.function.node.defaultChild as CfnFunction).tracingConfig = { mode: 'Active' };
  }
}
