import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MIGRATIONS_DIR as FILES_MIGRATIONS_DIR } from '@herald/files/migrations';
import { DATASETS_FILE, datasetMigrationsDir } from '@herald/ingest/datasets';
import { MIGRATIONS_DIR as INGEST_MIGRATIONS_DIR } from '@herald/ingest/migrations';
import { App, type AssetStaging, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../lib/constructs/database.ts';
import { HeraldFunction } from '../../lib/constructs/herald-function.ts';
import { Migrations } from '../../lib/constructs/migrations.ts';
import { Network } from '../../lib/constructs/network.ts';
import { handlerEntry, REPO_ROOT } from '../../lib/handlers.ts';

// The other tests skip esbuild (the CLI's `aws:cdk:bundling-stacks` context) to stay fast; this
// file bundles for real, once: the heaviest handler (the publisher: AWS SDK, firebase-admin) and
// the migrator with its SQL files, and loads both bundles.

let outdir: string;
let notify: HeraldFunction;
let migrations: Migrations;
let stack: Stack;

function stagedDir(fn: HeraldFunction): string {
  const staging = fn.function.node.findChild('Code').node.findChild('Stage') as AssetStaging;
  return staging.absoluteStagedPath;
}

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'herald-bundle-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  stack = new Stack(app, 'Bundling');
  notify = new HeraldFunction(stack, 'Notify', {
    entry: handlerEntry({ package: 'realtime', name: 'sns-notify' }),
    description: 'realtime/sns-notify',
    serviceName: 'herald-realtime',
  });
  const network = new Network(stack, 'Network', { flowLogRetention: RetentionDays.ONE_DAY });
  const database = new Database(stack, 'Database', {
    vpc: network.vpc,
    securityGroups: network,
    instanceType: 't4g.micro',
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 20,
    backupRetentionDays: 1,
    rotationDays: 30,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  migrations = new Migrations(stack, 'Migrations', {
    database,
    vpc: network.vpc,
    securityGroup: network.databaseClients,
    logRetention: RetentionDays.ONE_DAY,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('HeraldFunction bundling', () => {
  it('bundles a handler into one minified ES module with its source map and the AWS SDK inside', () => {
    const dir = stagedDir(notify);
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    // CommonJS dependencies get a require() in the ES module scope.
    expect(code.startsWith("import { createRequire as __herald_cr } from 'node:module';")).toBe(true);
    // The SDK and the other dependencies are inside, not left for Lambda's runtime to resolve:
    // the only static imports are Node built-ins (the next test loads the bundle from a folder
    // without node_modules).
    const imported = [
      ...code.matchAll(/\bimport\s*(?:\{[^}]*\}|\*\s*as\s*[\w$]+|[\w$]+)\s*from\s*["']([^"']+)["']/g),
    ].map((m) => m[1] as string);
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((name) => !isBuiltin(name))).toEqual([]);
    // The Management API client is in (operation names survive minification); booleans keep a
    // failure from printing 1.5 MB of code.
    expect(code.includes('"PostToConnection"')).toBe(true);
  });

  it('produces a bundle Node loads from a folder without node_modules, exporting the handler', async () => {
    const mod = (await import(pathToFileURL(join(stagedDir(notify), 'index.mjs')).href)) as {
      handler?: unknown;
    };
    expect(typeof mod.handler).toBe('function');
  }, 60_000);

  it('points the function at the bundle', () => {
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Description: 'realtime/sns-notify',
    });
  });
});

describe('migrator bundling', () => {
  it('ships each package’s and the adopter’s dataset SQL migrations next to the bundle, in their folder', () => {
    const dir = stagedDir(migrations.migrator);
    expect(readdirSync(join(dir, 'migrations')).sort()).toEqual(['datasets', 'files', 'ingest']);
    for (const [name, sourceDir] of [
      ['ingest', INGEST_MIGRATIONS_DIR],
      ['files', FILES_MIGRATIONS_DIR],
      ['datasets', datasetMigrationsDir(join(REPO_ROOT, DATASETS_FILE))],
    ] as const) {
      const shipped = readdirSync(join(dir, 'migrations', name)).sort();
      expect(shipped, name).toEqual(readdirSync(sourceDir).sort());
      expect(shipped.length, name).toBeGreaterThan(0);
      for (const file of shipped) {
        expect(readFileSync(join(dir, 'migrations', name, file), 'utf8')).toBe(
          readFileSync(join(sourceDir, file), 'utf8'),
        );
      }
    }
    expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
  });

  it('answers a custom resource Delete without touching the database', async () => {
    const mod = (await import(pathToFileURL(join(stagedDir(migrations.migrator), 'index.mjs')).href)) as {
      handler: (event: unknown) => Promise<{ PhysicalResourceId: string }>;
    };
    const result = await mod.handler({
      RequestType: 'Delete',
      PhysicalResourceId: 'herald-migrations',
      ResourceProperties: {},
    });
    expect(result.PhysicalResourceId).toBe('herald-migrations');
  }, 60_000);
});
