import { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  type InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { InterfaceEndpointName } from '../config.ts';

const INTERFACE_SERVICES: Readonly<Record<InterfaceEndpointName, InterfaceVpcEndpointAwsService>> = {
  secretsmanager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  sqs: InterfaceVpcEndpointAwsService.SQS,
};

export interface NetworkProps {
  /** @default 2 */
  readonly maxAzs?: number;
  /** @default 1 */
  readonly natGateways?: number;
  /**
   * Interface endpoints (private DNS) in the egress subnets, one network interface per AZ each;
   * a service without one is reached over NAT. @default ['secretsmanager', 'sqs']
   */
  readonly interfaceEndpoints?: readonly InterfaceEndpointName[];
  /** Whether RDS Proxy's security group (and its paths) exist. @default true */
  readonly proxy?: boolean;
  /** Retention of the VPC flow logs. */
  readonly flowLogRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The VPC: `Egress` subnets (private, NAT) for the functions that reach PostgreSQL and also need
 * the internet (SRV-GW, FCM, the WebSocket `@connections` API), `Isolated` subnets for the
 * database and RDS Proxy. Gateway endpoints keep S3 and DynamoDB traffic off the NAT; interface
 * endpoints do the same for Secrets Manager and SQS (when configured; otherwise those go over
 * NAT).
 *
 * There is deliberately no `execute-api` interface endpoint: with private DNS it would capture
 * every `*.execute-api` name in the VPC, and the public WebSocket API's `@connections` endpoint
 * would stop resolving to something a VPC function can reach.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  /** Functions that use the database (through RDS Proxy, or the instance for the worker and the migrator). */
  readonly databaseClients: SecurityGroup;
  /** RDS Proxy: admits `databaseClients` on 5432. `undefined` without a proxy. */
  readonly proxy: SecurityGroup | undefined;
  /** The DB instance: admits the proxy, the rotation function and `databaseClients`. */
  readonly database: SecurityGroup;
  /** The Secrets Manager rotation function. */
  readonly rotation: SecurityGroup;
  /** Interface endpoints: admit HTTPS from inside the VPC. `undefined` without interface endpoints. */
  readonly endpoints: SecurityGroup | undefined;
  /** The Secrets Manager interface endpoint (private DNS on), if configured. */
  readonly secretsManagerEndpoint: InterfaceVpcEndpoint | undefined;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const interfaceEndpoints = props.interfaceEndpoints ?? ['secretsmanager', 'sqs'];
    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: props.maxAzs ?? 2,
      natGateways: props.natGateways ?? 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Egress', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'Isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
      // Nothing uses the default security group; strip its rules so nothing can by accident.
      restrictDefaultSecurityGroup: true,
    });
    this.vpc.addFlowLog('FlowLogs', {
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogsGroup', {
          retention: props.flowLogRetention,
          removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
        }),
      ),
      trafficType: FlowLogTrafficType.REJECT,
    });

    const sg = (name: string, description: string, allowAllOutbound = false) =>
      new SecurityGroup(this, name, { vpc: this.vpc, description, allowAllOutbound });
    // Functions reach the proxy, the endpoints and (through NAT) HTTPS services; nothing reaches them.
    this.databaseClients = sg('DatabaseClients', 'Herald functions that use PostgreSQL', true);
    this.proxy = (props.proxy ?? true) ? sg('Proxy', 'Herald RDS Proxy') : undefined;
    this.database = sg('Database', 'Herald PostgreSQL instance');
    this.rotation = sg('Rotation', 'Herald database credential rotation', true);
    this.endpoints =
      interfaceEndpoints.length > 0 ? sg('Endpoints', 'Herald VPC interface endpoints') : undefined;

    // Proxy → database and rotation → database are opened by the Database construct (RDS Proxy
    // and rotation wire their own connections, on the instance's port).
    this.proxy?.addIngressRule(this.databaseClients, Port.tcp(5432), 'functions to RDS Proxy');
    // The ingest worker and the migrator connect to the instance itself (a COPY pins a proxy
    // session for its whole run anyway); without a proxy, every function does.
    this.database.addIngressRule(this.databaseClients, Port.tcp(5432), 'long-lived clients to PostgreSQL');
    this.endpoints?.addIngressRule(this.databaseClients, Port.tcp(443), 'functions to AWS APIs');
    if (this.endpoints && interfaceEndpoints.includes('secretsmanager')) {
      this.endpoints.addIngressRule(this.rotation, Port.tcp(443), 'rotation to Secrets Manager');
      if (this.proxy) {
        // RDS Proxy reads its database secret from Secrets Manager. In isolated subnets (no NAT)
        // the interface endpoint is its only way there, so both sides of that path must be open.
        this.proxy.addEgressRule(this.endpoints, Port.tcp(443), 'RDS Proxy to Secrets Manager');
        this.endpoints.addIngressRule(this.proxy, Port.tcp(443), 'RDS Proxy to Secrets Manager');
      }
    }

    const endpoint = (name: InterfaceEndpointName, constructId: string) =>
      this.endpoints && interfaceEndpoints.includes(name)
        ? this.vpc.addInterfaceEndpoint(constructId, {
            service: INTERFACE_SERVICES[name],
            subnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
            securityGroups: [this.endpoints],
            open: false,
          })
        : undefined;
    this.secretsManagerEndpoint = endpoint('secretsmanager', 'SecretsManager');
    endpoint('sqs', 'Sqs');
  }
}
