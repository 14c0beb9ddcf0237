import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  type IInterfaceVpcEndpoint,
  InstanceType,
  type ISecurityGroup,
  type IVpc,
  SubnetType,
} from 'aws-cdk-lib/aws-ec2';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  CaCertificate,
  ClientPasswordAuthType,
  Credentials,
  DatabaseInstance,
  DatabaseInstanceEngine,
  DatabaseProxy,
  PostgresEngineVersion,
  ProxyTarget,
  StorageType,
} from 'aws-cdk-lib/aws-rds';
import type { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface DatabaseProps {
  readonly vpc: IVpc;
  readonly securityGroups: {
    readonly database: ISecurityGroup;
    /** RDS Proxy's group; required with `proxy`. */
    readonly proxy?: ISecurityGroup | undefined;
    readonly rotation: ISecurityGroup;
  };
  /** Put RDS Proxy in front of the instance for the API handlers. @default true */
  readonly proxy?: boolean;
  /** `<class>.<size>`, e.g. `t4g.micro`. */
  readonly instanceType: string;
  /** @default false */
  readonly multiAz?: boolean;
  /** @default false */
  readonly deletionProtection?: boolean;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly backupRetentionDays: number;
  readonly rotationDays: number;
  readonly removalPolicy: RemovalPolicy;
  /**
   * The Secrets Manager interface endpoint, for the rotation function, which then sits in the
   * isolated subnets. @default - none: the rotation function sits in the egress subnets and
   * reaches Secrets Manager's public endpoint over NAT
   */
  readonly secretsManagerEndpoint?: IInterfaceVpcEndpoint | undefined;
}

/** The database name every Herald component uses. */
/** The database user; single-user rotation keeps the name and changes only the password. */
export const DATABASE_USER = 'herald_admin';
export const DATABASE_NAME = 'herald';
export const DATABASE_PORT = 5432;

/**
 * PostgreSQL on RDS in the isolated subnets: encrypted storage, TLS forced, IAM-free password
 * credentials generated into Secrets Manager and rotated, and RDS Proxy in front for the
 * Lambdas (it pools connections across invocations and picks up rotated credentials).
 *
 * Version 18, as the local stack runs: the loader relies on COPY's `REJECT_LIMIT`, new in 18.
 * Whether RDS Proxy supports 18 was not confirmed in AWS's documentation: the worker and the
 * migrator connect to the instance itself, and `aws rds describe-db-proxy-targets` after a first
 * deploy tells whether the API handlers' path through the proxy works (docs/deploy.md).
 */
export class Database extends Construct {
  readonly instance: DatabaseInstance;
  /** RDS Proxy, unless the configuration leaves it out. */
  readonly proxy: DatabaseProxy | undefined;
  /** The admin credentials `{username, password, host, port, dbname}`, rotated. */
  readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    // PostgreSQL 18: the loader relies on COPY ... ON_ERROR ignore + REJECT_LIMIT (ADR 002).
    const engine = DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.VER_18 });
    this.instance = new DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: new InstanceType(props.instanceType),
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroups.database],
      databaseName: DATABASE_NAME,
      // The engine's default, stated: RDS Proxy listens on 5432 for PostgreSQL, and clients of
      // both take the port from the instance (`databaseUrl`).
      port: DATABASE_PORT,
      credentials: Credentials.fromGeneratedSecret(DATABASE_USER, {
        // A URL-safe password: clients build connection strings from it.
        excludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\,=^',
      }),
      storageEncrypted: true,
      storageType: StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      multiAz: props.multiAz ?? false,
      deletionProtection: props.deletionProtection ?? false,
      backupRetention: Duration.days(props.backupRetentionDays),
      autoMinorVersionUpgrade: true,
      caCertificate: CaCertificate.RDS_CA_RSA2048_G1,
      enablePerformanceInsights: false,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      parameters: {
        // Refuse unencrypted connections, also from inside the VPC.
        'rds.force_ssl': '1',
        log_min_duration_statement: '1000',
      },
      removalPolicy: props.removalPolicy,
    });
    if (!this.instance.secret) throw new Error('the generated credentials secret is missing');
    this.secret = this.instance.secret;
    // The instance's removal policy does not reach the secret CDK generates for it: kept with its
    // data (a retained snapshot opens with this password), destroyed with it.
    (this.instance.node.findChild('Secret') as Secret).applyRemovalPolicy(
      props.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    );
    acknowledge(
      this.instance,
      'AwsSolutions-RDS11',
      'PostgreSQL listens on its default port 5432: it sits in isolated subnets and its security group admits ' +
        'only RDS Proxy and the rotation function, so a non-default port would add no protection.',
    );
    if (!(props.multiAz ?? false)) {
      acknowledge(
        this.instance,
        'AwsSolutions-RDS3',
        'Single-AZ only in the dev environment (cost); prod sets multiAz (lib/config.ts).',
      );
    }
    if (!(props.deletionProtection ?? false)) {
      acknowledge(
        this.instance,
        'AwsSolutions-RDS10',
        'Deletion protection is off only in the dev environment, which is torn down freely; prod enables it.',
      );
    }

    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(props.rotationDays),
      securityGroup: props.securityGroups.rotation,
      // The rotation function calls Secrets Manager: through the interface endpoint from the
      // isolated subnets, or else over NAT from the egress subnets.
      vpcSubnets: {
        subnetType: props.secretsManagerEndpoint
          ? SubnetType.PRIVATE_ISOLATED
          : SubnetType.PRIVATE_WITH_EGRESS,
      },
      ...(props.secretsManagerEndpoint && { endpoint: props.secretsManagerEndpoint }),
    });

    this.proxy = (props.proxy ?? true) ? this.createProxy(props) : undefined;
  }

  /** RDS Proxy in the isolated subnets, TLS only, in front of the instance. */
  private createProxy(props: DatabaseProps): DatabaseProxy {
    if (!props.securityGroups.proxy)
      throw new Error('RDS Proxy needs its security group (securityGroups.proxy)');
    return new DatabaseProxy(this, 'Proxy', {
      proxyTarget: ProxyTarget.fromInstance(this.instance),
      secrets: [this.secret],
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroups.proxy],
      requireTLS: true,
      clientPasswordAuthType: ClientPasswordAuthType.POSTGRES_SCRAM_SHA_256,
      idleClientTimeout: Duration.minutes(15),
      // The ingest worker holds one connection for a whole COPY; API Lambdas borrow briefly.
      maxConnectionsPercent: 90,
      borrowTimeout: Duration.seconds(30),
    });
  }

  /**
   * `postgresql://user@host:port/herald?sslmode=verify-full` for RDS Proxy (the instance when
   * there is no proxy) or the instance itself; no password (the secret supplies it per new
   * connection). The port is the instance's (`Endpoint.Port`), which is also RDS Proxy's for
   * PostgreSQL: one fact, resolvable locally.
   */
  databaseUrl(endpoint: 'proxy' | 'instance'): string {
    const host =
      endpoint === 'proxy' && this.proxy ? this.proxy.endpoint : this.instance.dbInstanceEndpointAddress;
    return `postgresql://${DATABASE_USER}@${host}:${this.instance.dbInstanceEndpointPort}/${DATABASE_NAME}?sslmode=verify-full`;
  }

  /** Lets a principal read the database credentials (the secret RDS Proxy also uses). */
  grantCredentials(grantee: IGrantable): void {
    this.secret.grantRead(grantee);
  }
}
