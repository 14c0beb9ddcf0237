/**
 * Deployment settings for every environment, in one typed file. Nothing here is specific to an
 * AWS account: the account and region come from the CDK CLI's credentials
 * (`CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`), and deployment-specific values that are not
 * secrets (browser origins, the SRV-GW URL, an alarm e-mail) come from CDK context
 * (`-c allowedOrigins=https://app.example.com`). Secrets never appear here: they are loaded into
 * Secrets Manager after the first deploy (docs/deploy.md).
 */

/** The environments Herald deploys to. */
export type EnvironmentName = 'dev' | 'prod';

/**
 * Variants of an environment, chosen with `-c profile=<name>`: `standard` (the default, what the
 * local stack runs) or `lean`, a cheaper dev (see {@link PROFILES}).
 */
export type ProfileName = 'standard' | 'lean';

/** AWS services reached through an interface endpoint (private DNS) instead of NAT. */
export type InterfaceEndpointName = 'secretsmanager' | 'sqs';

/** Request-rate limits of an API Gateway stage. */
export interface ThrottleConfig {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst bucket size. */
  readonly burstLimit: number;
}

export interface HeraldConfig {
  readonly envName: EnvironmentName;
  readonly profile: ProfileName;
  /** CloudFormation stack name; also the prefix of physical names (tables, log groups). */
  readonly stackName: string;
  readonly network: {
    /** Availability zones the VPC spans (an env-agnostic synth always gets 2). */
    readonly maxAzs: number;
    /** NAT gateways for the egress subnets: 1 is cheap, one per AZ survives an AZ outage. */
    readonly natGateways: number;
    /**
     * Interface endpoints, one network interface per AZ each (billed per hour and AZ); the other
     * services go over NAT (billed per GB). RDS Proxy and the rotation function in the isolated
     * subnets need `secretsmanager`.
     */
    readonly interfaceEndpoints: readonly InterfaceEndpointName[];
  };
  readonly database: {
    /** RDS instance class and size, e.g. `t4g.micro`, as `<class>.<size>`. */
    readonly instanceType: string;
    readonly multiAz: boolean;
    readonly deletionProtection: boolean;
    readonly allocatedStorageGiB: number;
    /** Storage autoscaling ceiling. */
    readonly maxAllocatedStorageGiB: number;
    readonly backupRetentionDays: number;
    /** How often Secrets Manager rotates the database credentials. */
    readonly rotationDays: number;
    /**
     * RDS Proxy in front of the instance for the API handlers (billed per vCPU of the instance,
     * with a minimum). Without it every function connects to the instance.
     */
    readonly proxy: boolean;
  };
  /** Whether stateful resources (database, tables, buckets, keys, user pool) survive a stack delete. */
  readonly retainData: boolean;
  readonly storage: {
    /** Uploads move to Glacier Instant Retrieval after this many days… */
    readonly uploadsToGlacierAfterDays: number;
    /** …and expire after this many (must be at least 90 days after the transition). */
    readonly uploadsExpireAfterDays: number;
    /** Fetched files are a cache of SRV-GW: they expire after this many days. */
    readonly filesExpireAfterDays: number;
  };
  readonly logRetentionDays: number;
  readonly lambda: {
    /** Memory of API and WebSocket handlers. */
    readonly memoryMiB: number;
    /** Timeout of API and WebSocket handlers (API Gateway gives up at 29 s anyway). */
    readonly timeoutSeconds: number;
    /** Memory of queue workers (they stream and parse whole files). */
    readonly workerMemoryMiB: number;
    /** Concurrent worker invocations per queue: bounds RDS Proxy connections. */
    readonly workerMaxConcurrency: number;
  };
  readonly api: {
    readonly stageName: string;
    readonly throttle: ThrottleConfig;
    /** WAF rate rule: requests per client IP per 5-minute window. */
    readonly wafRateLimitPer5Min: number;
  };
  readonly websocket: {
    readonly stageName: string;
    /** Default throttling of every WebSocket route. */
    readonly throttle: ThrottleConfig;
    /** Tighter throttling of `$connect`: every attempt costs an authorizer invocation. */
    readonly connectThrottle: ThrottleConfig;
    /**
     * `$connect` attempts per client IP and minute, counted by the authorizer (the per-IP limit
     * WAF cannot give a WebSocket API, ADR 004); over it, `$connect` answers 401.
     */
    readonly connectAttemptsPerIpPerMinute: number;
  };
  readonly auth: {
    /** `required` makes every user enrol a TOTP authenticator. */
    readonly mfa: 'optional' | 'required';
    /** Cognito threat protection (Plus feature plan, billed per MAU). */
    readonly threatProtection: boolean;
  };
  /** Browser origins allowed by CORS (REST API and the uploads bucket). */
  readonly allowedOrigins: readonly string[];
  /** The external file server's base URL. */
  readonly srvgwUrl: string;
  /** Connection item lifetime; must be ≥ 7200 (API Gateway's 2-hour connection limit). */
  readonly connectionTtlSeconds: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Where alarm notifications go, if anywhere (an SNS e-mail subscription). */
  readonly alarmEmail: string | undefined;
  readonly edge: EdgeConfig;
}

/** What answers at the edge: downloads through CloudFront. */
export interface EdgeConfig {
  /**
   * Public keys (PEM, RSA 2048) of the CloudFront key group that download links are signed
   * for. Set: a distribution with Origin Access Control serves the files bucket and the link
   * handler signs CloudFront URLs with the matching private key (from Secrets Manager). Empty:
   * no distribution, links are presigned S3 GETs. Two keys while a key pair is rotated
   * (docs/deploy.md). Not secrets: public keys may live in `cdk.json` or come from context.
   */
  readonly downloadsPublicKeys: readonly string[];
  /**
   * Custom domain names: `api.<name>` (REST), `ws.<name>` (WebSocket) and, with downloads,
   * `files.<name>`, each with an ACM certificate validated through DNS. Undefined: the
   * AWS-assigned host names (`execute-api`, `cloudfront.net`).
   */
  readonly domain: DomainConfig | undefined;
}

/** An environment's domain, e.g. `{ name: 'herald.example.com', hostedZone: 'example.com' }`. */
export interface DomainConfig {
  /** The parent of `api.`, `ws.` and `files.`. */
  readonly name: string;
  /**
   * The Route 53 public hosted zone that holds `name`, looked up by its name at synth (the
   * stack then needs an account and region): certificates are validated and aliases created
   * in it. Undefined: DNS is managed elsewhere; CloudFormation waits on each certificate until
   * its validation CNAME exists there, and the operator points the names at the outputs.
   */
  readonly hostedZone: string | undefined;
}

const DEV: HeraldConfig = {
  envName: 'dev',
  profile: 'standard',
  stackName: 'HeraldDev',
  network: { maxAzs: 2, natGateways: 1, interfaceEndpoints: ['secretsmanager', 'sqs'] },
  database: {
    instanceType: 't4g.micro',
    multiAz: false,
    deletionProtection: false,
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 50,
    backupRetentionDays: 1,
    rotationDays: 30,
    proxy: true,
  },
  retainData: false,
  storage: { uploadsToGlacierAfterDays: 30, uploadsExpireAfterDays: 120, filesExpireAfterDays: 7 },
  logRetentionDays: 14,
  lambda: { memoryMiB: 512, timeoutSeconds: 10, workerMemoryMiB: 1024, workerMaxConcurrency: 2 },
  api: { stageName: 'v1', throttle: { rateLimit: 50, burstLimit: 100 }, wafRateLimitPer5Min: 1000 },
  websocket: {
    stageName: 'v1',
    throttle: { rateLimit: 50, burstLimit: 100 },
    connectThrottle: { rateLimit: 10, burstLimit: 20 },
    // High: the local stack runs dev, and its tests and benchmarks connect thousands of sockets
    // from one address within a minute.
    connectAttemptsPerIpPerMinute: 20_000,
  },
  auth: { mfa: 'optional', threatProtection: false },
  allowedOrigins: ['http://localhost:5173', 'http://127.0.0.1:5173'],
  srvgwUrl: 'https://srv-gw.invalid',
  connectionTtlSeconds: 10_800,
  logLevel: 'debug',
  alarmEmail: undefined,
  edge: { downloadsPublicKeys: [], domain: undefined },
};

const PROD: HeraldConfig = {
  envName: 'prod',
  profile: 'standard',
  stackName: 'HeraldProd',
  // An environment-agnostic stack (account and region from the CLI) spans two AZs.
  network: { maxAzs: 2, natGateways: 2, interfaceEndpoints: ['secretsmanager', 'sqs'] },
  database: {
    instanceType: 'm7g.large',
    multiAz: true,
    deletionProtection: true,
    allocatedStorageGiB: 100,
    maxAllocatedStorageGiB: 1000,
    backupRetentionDays: 14,
    rotationDays: 30,
    proxy: true,
  },
  retainData: true,
  storage: { uploadsToGlacierAfterDays: 90, uploadsExpireAfterDays: 400, filesExpireAfterDays: 7 },
  logRetentionDays: 90,
  lambda: { memoryMiB: 1024, timeoutSeconds: 10, workerMemoryMiB: 2048, workerMaxConcurrency: 10 },
  api: { stageName: 'v1', throttle: { rateLimit: 500, burstLimit: 1000 }, wafRateLimitPer5Min: 2000 },
  websocket: {
    stageName: 'v1',
    throttle: { rateLimit: 500, burstLimit: 1000 },
    // Well below the account's 500 new connections/s, leaving room for other APIs.
    connectThrottle: { rateLimit: 100, burstLimit: 200 },
    // Five a second on average per address: room for reconnect storms behind a carrier NAT.
    connectAttemptsPerIpPerMinute: 300,
  },
  auth: { mfa: 'required', threatProtection: true },
  allowedOrigins: [],
  srvgwUrl: 'https://srv-gw.invalid',
  connectionTtlSeconds: 10_800,
  logLevel: 'info',
  alarmEmail: undefined,
  edge: { downloadsPublicKeys: [], domain: undefined },
};

export const ENVIRONMENTS: Readonly<Record<EnvironmentName, HeraldConfig>> = { dev: DEV, prod: PROD };

/**
 * What each profile changes in an environment. `lean` is a cheaper dev (docs/deploy.md has the
 * figures): no RDS Proxy (the API handlers connect to the instance, as the worker does: each
 * function instance holds at most `HERALD_DATABASE_POOL_MAX` = 2 connections, and RDS sets a
 * PostgreSQL instance's `max_connections` to LEAST(DBInstanceClassMemory / 9531392, 5000), roughly
 * 90 on dev's 1 GiB `t4g.micro`: enough for dev's traffic, not for prod's bursts), no
 * interface endpoints (Secrets Manager and SQS go over the one NAT gateway, and the rotation
 * function moves to the egress subnets to reach it). The stack keeps its name: `lean` is the
 * same dev stack, deployed cheaper.
 */
export const PROFILES: Readonly<Record<ProfileName, (base: HeraldConfig) => HeraldConfig>> = {
  standard: (base) => base,
  lean: (base) => {
    if (base.envName !== 'dev')
      throw new Error('profile "lean" is for dev only: prod keeps RDS Proxy and the endpoints');
    return {
      ...base,
      profile: 'lean',
      network: { ...base.network, natGateways: 1, interfaceEndpoints: [] },
      database: { ...base.database, proxy: false },
    };
  },
};

/** CDK context keys that override a configuration (strings, as `-c key=value` passes them). */
export interface ConfigOverrides {
  /** A profile of the environment ({@link PROFILES}). @default 'standard' */
  readonly profile?: string;
  /** Comma-separated browser origins. */
  readonly allowedOrigins?: string;
  readonly srvgwUrl?: string;
  readonly alarmEmail?: string;
  /** One or more PEM public keys, concatenated (`"$(cat old.pem new.pem)"`): {@link EdgeConfig}. */
  readonly downloadsPublicKeys?: string;
  /** {@link DomainConfig.name}. */
  readonly domain?: string;
  /** {@link DomainConfig.hostedZone}; only with `domain`. */
  readonly hostedZone?: string;
}

const DOMAIN_NAME = /^(?=.{1,240}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const PUBLIC_KEY_PEM = /-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s]+?-----END PUBLIC KEY-----/g;

/**
 * The PEM public keys in `text`, each normalised to one trailing newline. Throws when `text`
 * holds anything else (a private key pasted by mistake must never reach a template).
 *
 * @example
 * parsePublicKeys(readFileSync('cloudfront-public.pem', 'utf8')); // ['-----BEGIN PUBLIC KEY-----\n…']
 */
export function parsePublicKeys(text: string): string[] {
  const keys = [...text.matchAll(PUBLIC_KEY_PEM)].map((m) => `${m[0].trim()}\n`);
  const rest = text.replace(PUBLIC_KEY_PEM, '').trim();
  if (rest !== '' || keys.length === 0)
    throw new Error('downloadsPublicKeys must be one or more PEM public keys (-----BEGIN PUBLIC KEY-----)');
  return keys;
}

/**
 * The configuration of an environment with context overrides applied. Throws for an unknown
 * environment or an override that would deploy something broken.
 *
 * @example
 * const config = resolveConfig(app.node.tryGetContext('env') ?? 'dev', {
 *   allowedOrigins: app.node.tryGetContext('allowedOrigins'),
 * });
 */
export function resolveConfig(envName: string, overrides: ConfigOverrides = {}): HeraldConfig {
  if (!Object.hasOwn(ENVIRONMENTS, envName)) {
    throw new Error(`unknown environment "${envName}": use one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
  }
  const profile = overrides.profile ?? 'standard';
  if (!Object.hasOwn(PROFILES, profile)) {
    throw new Error(`unknown profile "${profile}": use one of ${Object.keys(PROFILES).join(', ')}`);
  }
  const base = PROFILES[profile as ProfileName](ENVIRONMENTS[envName as EnvironmentName]);
  const origins =
    overrides.allowedOrigins === undefined
      ? base.allowedOrigins
      : overrides.allowedOrigins
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean);
  for (const origin of origins) {
    const url = new URL(origin);
    if (url.origin !== origin)
      throw new Error(`allowedOrigins: "${origin}" is not an origin (${url.origin}?)`);
  }
  const srvgwUrl = overrides.srvgwUrl ?? base.srvgwUrl;
  if (new URL(srvgwUrl).protocol !== 'https:') throw new Error(`srvgwUrl must be https: ${srvgwUrl}`);
  const config: HeraldConfig = {
    ...base,
    allowedOrigins: origins,
    srvgwUrl,
    alarmEmail: overrides.alarmEmail ?? base.alarmEmail,
    edge: {
      ...base.edge,
      ...(overrides.downloadsPublicKeys !== undefined && {
        downloadsPublicKeys: parsePublicKeys(overrides.downloadsPublicKeys),
      }),
      ...(overrides.domain !== undefined && {
        domain: { name: overrides.domain, hostedZone: overrides.hostedZone },
      }),
    },
  };
  if (overrides.hostedZone !== undefined && overrides.domain === undefined)
    throw new Error('hostedZone needs domain (-c domain=herald.example.com)');
  validateConfig(config);
  return config;
}

/** Invariants AWS would otherwise reject at deploy time, checked at synth. */
export function validateConfig(config: HeraldConfig): void {
  const { storage, connectionTtlSeconds } = config;
  if (storage.uploadsExpireAfterDays < storage.uploadsToGlacierAfterDays + 90) {
    // Glacier Instant Retrieval bills a 90-day minimum; expiring earlier pays for days never used.
    throw new Error('storage.uploadsExpireAfterDays must be at least uploadsToGlacierAfterDays + 90');
  }
  if (connectionTtlSeconds < 7200) throw new Error('connectionTtlSeconds must be at least 7200');
  const domain = config.edge.domain;
  if (domain !== undefined) {
    if (!DOMAIN_NAME.test(domain.name))
      throw new Error(`domain: "${domain.name}" is not a lower-case DNS name`);
    const zone = domain.hostedZone;
    if (zone !== undefined && domain.name !== zone && !domain.name.endsWith(`.${zone}`))
      throw new Error(`domain: "${domain.name}" is not in the hosted zone "${zone}"`);
  }
  if (config.database.multiAz && config.network.maxAzs < 2) throw new Error('Multi-AZ needs maxAzs ≥ 2');
  if (config.database.proxy && !config.network.interfaceEndpoints.includes('secretsmanager')) {
    // RDS Proxy sits in the isolated subnets (no NAT) and reads its secret from Secrets Manager.
    throw new Error('database.proxy needs the secretsmanager interface endpoint');
  }
}
