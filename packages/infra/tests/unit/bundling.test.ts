import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MIGRATIONS_DIR as FILES_MIGRATIONS_DIR } from '@herald/files/migrations';
import { DATASETS_FILE, datasetMigrationsDir } from '@herald/ingest/datasets';
import { MIGRATIONS_DIR as INGEST_MIGRATIONS_DIR } from '@herald/ingest/migrations';
import { ROUTES } from '@herald/protocol';
import { loadMigrations } from '@herald/runtime/migrations';
import { App, type AssetStaging, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../lib/constructs/database.ts';
import { HeraldFunction } from '../../lib/constructs/herald-function.ts';
import { Migrations, migrationsFingerprint } from '../../lib/constructs/migrations.ts';
import { Network } from '../../lib/constructs/network.ts';
import { HANDLER_ACCESS, handlerEntry, handlerKey, REPO_ROOT, routeHandlers } from '../../lib/handlers.ts';
import { migrationsFingerprint as fingerprintOf, migrationSources } from '../../src/migration-packages.ts';

// The other tests skip esbuild (the CLI's `aws:cdk:bundling-stacks` context) to stay fast; this
// file bundles for real, once: the heaviest handler (the publisher: AWS SDK, firebase-admin) and
// the migrator with its SQL files, and loads both bundles. What every routed handler's bundle
// holds is read from one esbuild build of all the entries (its metafile), which is what
// `HeraldFunction` bundles, minus minification and the source map.

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
    // The DynamoDB client is in (its service's target prefix survives minification), the
    // Management API client is not (the lean SigV4 poster posts instead); booleans keep a failure
    // from printing 1.5 MB of code.
    expect(code.includes('DynamoDB_20120810')).toBe(true);
    expect(code.includes('"PostToConnection"')).toBe(false);
  });

  it('produces a bundle Node loads from a folder without node_modules, exporting the handler', async () => {
    const mod = (await import(pathToFileURL(join(stagedDir(notify), 'index.mjs')).href)) as {
      handler?: unknown;
    };
    expect(typeof mod.handler).toBe('function');
  }, 60_000);

  it('ships a source map that points at the TypeScript sources without embedding them', () => {
    // `--enable-source-maps` maps frames through it; the sources themselves would only make the
    // map three times larger and its import slower (figures in herald-function.ts).
    const map = JSON.parse(readFileSync(join(stagedDir(notify), 'index.mjs.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown;
      mappings: string;
    };
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources.some((s) => s.endsWith('packages/realtime/src/handlers/sns-notify.ts'))).toBe(true);
    expect(map.mappings.length).toBeGreaterThan(0);
  });

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

  it('carries SQL whose fingerprint is the template’s, and ignores a rollback to an older one', async () => {
    const dir = stagedDir(migrations.migrator);
    const bundled = fingerprintOf(loadMigrations(migrationSources(join(dir, 'migrations'))));
    expect(bundled).toBe(migrationsFingerprint());
    const mod = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as {
      handler: (event: unknown) => Promise<{ Data: { Applied: string } }>;
    };
    // No database and no environment: the bundle answers without trying either.
    const result = await mod.handler({
      RequestType: 'Update',
      PhysicalResourceId: 'herald-migrations',
      ResourceProperties: { MigrationsFingerprint: '0'.repeat(64) },
      OldResourceProperties: { MigrationsFingerprint: bundled },
    });
    expect(result.Data.Applied).toBe('');
  }, 60_000);
});

/** `…/node_modules/.pnpm/x@1/node_modules/@aws-sdk/client-sns/dist-es/x.js` → `@aws-sdk/client-sns`. */
function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const [first, second] = input.slice(at + 'node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first;
}

describe('what each handler bundles', () => {
  const handlers = routeHandlers(ROUTES).map((ref) => ({ key: handlerKey(ref), entry: handlerEntry(ref) }));
  /** Handler key → the files that put code into its bundle. */
  let inputsOf: Map<string, string[]>;
  const packagesOf = (key: string) =>
    new Set((inputsOf.get(key) ?? []).map(packageOf).filter((p) => p !== undefined));

  beforeAll(async () => {
    const { metafile } = await build({
      entryPoints: Object.fromEntries(handlers.map((h) => [h.key, h.entry])),
      bundle: true,
      write: false,
      outdir: join(outdir, 'graph'),
      format: 'esm',
      platform: 'node',
      target: 'node24',
      mainFields: ['module', 'main'],
      external: ['pg-native'],
      metafile: true,
      logLevel: 'silent',
    });
    inputsOf = new Map(
      handlers.map(({ key }) => {
        const output = (metafile as Metafile).outputs[
          Object.keys(metafile.outputs).find((o) => o.endsWith(`/${key}.js`)) ?? ''
        ];
        if (output === undefined) throw new Error(`esbuild wrote no bundle for ${key}`);
        const inside = Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0);
        return [key, inside.map(([path]) => path)];
      }),
    );
  }, 120_000);

  // A Lambda carries the client of a service exactly when its least-privilege entry lets it use
  // that service: firebase-admin only where a push can be sent (the publishers hold the FCM
  // secret), so the REST and WebSocket handlers stay small and start fast.
  const clients = [
    {
      pkg: 'firebase-admin',
      grants: 'the FCM secret',
      has: (key: string) => HANDLER_ACCESS[key]?.secrets?.includes('fcm'),
    },
    {
      pkg: '@aws-sdk/client-dynamodb',
      grants: 'a DynamoDB table',
      has: (key: string) => (HANDLER_ACCESS[key]?.tables ?? []).length > 0,
    },
    { pkg: 'pg', grants: 'the database', has: (key: string) => HANDLER_ACCESS[key]?.database === true },
  ];

  it.each(clients)('bundles $pkg in exactly the handlers granted $grants', ({ pkg, has }) => {
    const bundled = handlers.filter(({ key }) => packagesOf(key).has(pkg)).map(({ key }) => key);
    const granted = handlers.filter(({ key }) => has(key)).map(({ key }) => key);
    expect(granted.length).toBeGreaterThan(0);
    expect(bundled).toEqual(granted);
  });

  // `@connections` is posted by the lean SigV4 poster (a signed POST per delivery); the SDK's
  // Management API client stays in the repository only as the benchmark's and contract test's
  // reference, and no handler's import graph reaches it.
  it('bundles the lean @connections poster in exactly the handlers granted @connections, and the SDK client in none', () => {
    const lean = 'packages/realtime/src/adapters/sigv4-connection-poster.ts';
    const bundled = handlers
      .filter(({ key }) => (inputsOf.get(key) ?? []).some((path) => path.endsWith(lean)))
      .map(({ key }) => key);
    const granted = handlers
      .filter(({ key }) => HANDLER_ACCESS[key]?.manageConnections === true)
      .map(({ key }) => key);
    expect(granted.length).toBeGreaterThan(0);
    expect(bundled).toEqual(granted);
    expect(
      handlers.filter(({ key }) => packagesOf(key).has('@aws-sdk/client-apigatewaymanagementapi')),
    ).toEqual([]);
  });

  it('keeps GET /me free of every AWS SDK client', () => {
    const whoami = [...packagesOf('realtime/http-whoami')];
    expect(whoami.length).toBeGreaterThan(0);
    expect(whoami.filter((p) => p.startsWith('@aws-sdk/client-') || p === 'firebase-admin')).toEqual([]);
  });

  // `import { z } from 'zod'` binds a namespace object esbuild keeps whole: every translation of
  // zod's messages (~260 KiB) and its JSON-schema converters, in every bundle. `import * as z`
  // lets it keep what is used (measured: 454 → 85 KiB of zod per bundle).
  it('bundles zod without its translations', () => {
    for (const { key } of handlers) {
      const zod = (inputsOf.get(key) ?? []).filter((path) => packageOf(path) === 'zod');
      expect(zod.length, key).toBeGreaterThan(0);
      expect(
        zod.filter((path) => /\/locales\/(?!en\.js$|index\.js$)/.test(path)),
        key,
      ).toEqual([]);
    }
  });
});
