import { join } from 'node:path';
import { loadMigrations } from '@herald/runtime/migrations';
import { type CfnElement, CustomResource, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type ISecurityGroup, type IVpc, SubnetType } from 'aws-cdk-lib/aws-ec2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  migrationsFingerprint as fingerprintOf,
  MIGRATION_SOURCES,
  migrationSources,
} from '../../src/migration-packages.ts';
import { REPO_ROOT } from '../handlers.ts';
import { acknowledge } from '../nag.ts';
import type { Database } from './database.ts';
import { HeraldFunction } from './herald-function.ts';

export interface MigrationsProps {
  readonly database: Database;
  readonly vpc: IVpc;
  /** The database clients' security group (admitted by RDS Proxy). */
  readonly securityGroup: ISecurityGroup;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The fingerprint of the migrations in this repository: the template's `MigrationsFingerprint`. */
export function migrationsFingerprint(): string {
  return fingerprintOf(loadMigrations(migrationSources(REPO_ROOT, 'repository')));
}

/**
 * Runs the SQL migrations of `MIGRATION_SOURCES` (the packages', then the adopter's dataset
 * migrations) on deploy: a custom resource whose
 * handler (the migrator, `src/handlers/cfn-migrate.ts`) calls `migrate()` on the DB instance. Its
 * `MigrationsFingerprint` property changes with the SQL files, so CloudFormation invokes it
 * exactly when there is something new to apply; `migrate()` is idempotent besides. A rollback
 * that sends an older fingerprint than the bundle's SQL is answered without touching the
 * database (`src/migrator.ts`).
 */
export class Migrations extends Construct {
  readonly migrator: HeraldFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    this.migrator = new HeraldFunction(this, 'Migrator', {
      entry: join(REPO_ROOT, 'packages', 'infra', 'src', 'handlers', 'cfn-migrate.ts'),
      description: 'applies database migrations on deploy',
      serviceName: 'herald-migrator',
      timeout: Duration.minutes(5),
      memorySize: 256,
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      secretsExtension: true,
      environment: {
        // The instance itself: a deploy's migration does not wait for the proxy's target to
        // register, and DDL gains nothing from pooling.
        HERALD_DATABASE_URL: props.database.databaseUrl('instance'),
        HERALD_DATABASE_SECRET_ID: props.database.secret.secretArn,
      },
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // The SQL files travel with the bundle; the migrator reads them from `./migrations/<package>`.
        afterBundling: (inputDir: string, outputDir: string) => [
          `mkdir -p "${join(outputDir, 'migrations')}"`,
          ...MIGRATION_SOURCES.map(
            (source) =>
              `cp -R "${join(inputDir, source.repositoryDir)}" "${join(outputDir, 'migrations', source.package)}"`,
          ),
        ],
      },
    });
    props.database.grantCredentials(this.migrator.role);

    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.migrator.function,
      logGroup: new LogGroup(this, 'ProviderLogs', {
        retention: props.logRetention,
        removalPolicy: props.removalPolicy,
      }),
    });
    const reason =
      'CDK custom resource provider framework (aws-cdk-lib/custom-resources), not Herald code: it only ' +
      'invokes the migrator and reports to CloudFormation.';
    acknowledge(
      provider,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason,
    );
    acknowledge(provider, 'AwsSolutions-L1', `${reason} CDK pins its runtime.`);
    const migratorLogicalId = Stack.of(this).getLogicalId(
      this.migrator.function.node.defaultChild as CfnElement,
    );
    acknowledge(
      provider,
      `AwsSolutions-IAM5[Resource::<${migratorLogicalId}.Arn>:*]`,
      `${reason} It may invoke the migrator's versions (\`:*\`), nothing else.`,
    );

    this.resource = new CustomResource(this, 'Run', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::HeraldMigrations',
      properties: { MigrationsFingerprint: migrationsFingerprint() },
    });
    // Migrate only once the instance (and the proxy, if any) exist; the migrator still retries
    // its first connection while they register.
    this.resource.node.addDependency(props.database.instance);
    if (props.database.proxy) this.resource.node.addDependency(props.database.proxy);
  }
}
