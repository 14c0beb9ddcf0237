import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateTicketResponseSchema,
  ERROR_CODES,
  type ErrorCode,
  ErrorEnvelopeSchema,
  FileGrantListSchema,
  FileGrantSchema,
  FileLinkSchema,
  JobErrorsSchema,
  JobListSchema,
  JobViewSchema,
  MultipartUploadSchema,
  PublishTopicEventResponseSchema,
  type RestRoute,
  type RestRouteName,
  ROUTES,
  restErrorCodes,
  SinglePutUploadResponseSchema,
  TopicGrantListSchema,
} from '@herald/protocol';
import { issueTicket } from '@herald/realtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Client,
  openSocket,
  pushesOf,
  realtimeFixture,
} from '../../packages/local/tests/integration/realtime-helpers.ts';
import { stack } from '../../packages/local/tests/support.ts';
import {
  CALLERS,
  type Caller,
  issueMatrixTokens,
  type MatrixTokens,
  TOKEN_KINDS,
  type TokenKind,
  UNAUTHENTICATED,
  USER_OF,
} from './support/authz-tokens.ts';
import { recordFigures } from './support/report.ts';

// The authorization matrix, on the real local stack. Every REST route of `ROUTES.http` is
// called with every kind of credential (none, forged, tampered, alg:none, expired, wrong
// audience, another user's, the owner's, an admin's) against resources that belong to ALICE,
// and must give the documented answer: 401 UNAUTHENTICATED for a bad credential, 404 (never
// 403: existence is not revealed) for another user's job, 403 for a non-admin on admin routes
// and for someone else's home folder, 2xx for the owner. The WebSocket `$connect` is tried with
// the same credentials (JWT subprotocol and one-time tickets), and every `$default` action is
// aimed at alice's jobs from bob's and admin's connections. Real jobs run for alice while bob
// and admin listen: they must receive none of her events, and bob can change nothing on her
// connections or devices. A cross-user read anywhere counts as a leak; the suite expects zero.

const fixture = realtimeFixture();
const db = new pg.Client({ connectionString: stack().postgres.connectionString });
const sockets: Client[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

/** Every cross-user read observed (job, event, report, file, device, connection): must stay empty. */
const leaks: string[] = [];
/** How many places were checked for a cross-user read. */
let crossUserProbes = 0;
const figures = {
  restCells: 0,
  datasetCells: 0,
  wsConnectCells: 0,
  wsActionCells: 0,
  pathProbes: 0,
  liveEventsToOwner: 0,
  liveProgressEvents: 0,
  sectionsPassed: new Set<string>(),
};

interface Fixtures {
  readonly tokens: MatrixTokens;
  /** Alice's job that loaded, and her job that failed on a bad row (with a reject report). */
  readonly aliceOkJob: string;
  readonly aliceBadJob: string;
  /** A file in alice's home folder on SRV-GW (`users/<alice sub>/…`), and a second one she never asks for. */
  readonly alicePrivatePath: string;
  readonly alicePrivateContent: string;
  readonly aliceUntouchedPath: string;
}
let fx: Fixtures;
/** Alice's socket subscribed to her job while bob and admin sent unsubscribes for it. */
let aliceSubscribed: Client | undefined;

// ---------------------------------------------------------------------------------------------
// HTTP helpers

interface ApiResult {
  readonly status: number;
  readonly text: string;
  readonly body: unknown;
}

async function call(token: string | undefined, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack().apiUrl}${path}`, {
    method,
    headers: {
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
      'content-type': 'application/json',
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, text, body: parsed } satisfies ApiResult;
}

const HEADER = 'transaction_id,customer_external_id,amount,currency,occurred_at,note';
const row = (amount: string) =>
  `${randomUUID()},${randomUUID()},${amount},EUR,2026-05-01T10:00:00Z,authorization matrix`;

/**
 * Rows of each live job: enough that loading usually takes a few progress intervals, so
 * `job.progress` (the only events the publisher serves from its per-user connection cache) is
 * exercised too. How many arrive depends on the machine's speed; it is recorded, not asserted.
 */
const LIVE_ROWS = 60_000;
const csvOf = (rows: number) =>
  `${HEADER}\n${Array.from({ length: rows }, (_, i) => row((i % 1000).toFixed(2))).join('\n')}\n`;

/** POST /uploads as the token's user; `put()` stores the CSV through the presigned URL. */
async function createUpload(
  token: string,
  csv: string,
): Promise<{ jobId: string; put: () => Promise<void> }> {
  const bytes = Buffer.from(csv, 'utf8');
  const created = await call(token, 'POST', '/uploads', {
    dataset: 'transactions',
    fileName: 'authz.csv',
    sizeBytes: bytes.byteLength,
  });
  expect(created.status, created.text).toBe(201);
  const { jobId, upload } = SinglePutUploadResponseSchema.parse(created.body);
  return {
    jobId,
    put: async () => {
      const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
      expect(res.status).toBe(200);
    },
  };
}

/** Polls GET /jobs/{id} (as the owner) until the job is succeeded or failed. */
async function waitForJob(token: string, jobId: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await call(token, 'GET', `/jobs/${jobId}`);
    expect(res.status, res.text).toBe(200);
    const { state } = JobViewSchema.parse(res.body);
    if (state === 'succeeded' || state === 'failed') return state;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runJob(token: string, csv: string): Promise<{ jobId: string; state: string }> {
  const { jobId, put } = await createUpload(token, csv);
  await put();
  return { jobId, state: await waitForJob(token, jobId) };
}

/** Every job id GET /jobs lists for the token, following `nextCursor` to the last page. */
async function listedJobIds(token: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const res = await call(token, 'GET', `/jobs?limit=100${query}`);
    expect(res.status, res.text).toBe(200);
    const page = JobListSchema.parse(res.body);
    for (const job of page.jobs) ids.add(job.jobId);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

/** The sample SRV-GW's test-only control endpoint. */
async function srvgw(method: string, path: string, body?: string): Promise<Response> {
  const { url, credential } = stack().srvgw;
  const res = await fetch(`${url}/_control${path}`, {
    method,
    headers: { authorization: `Bearer ${credential}` },
    ...(body !== undefined && { body }),
  });
  if (!res.ok) throw new Error(`SRV-GW control ${method} ${path}: ${res.status}`);
  return res;
}

/** How many requests SRV-GW saw whose target contains `marker` (proves a refusal never reached it). */
async function srvgwRequests(marker: string): Promise<number> {
  const res = await srvgw('GET', `/requests?contains=${encodeURIComponent(marker)}`);
  return ((await res.json()) as { count: number }).count;
}

/** The groups a shared topic is granted to (stored grants), as the admin API lists them. */
async function topicGrantGroups(topic: string): Promise<string[]> {
  const res = await call(fx.tokens.token.admin, 'GET', `/admin/topics/${topic}/grants`);
  expect(res.status, res.text).toBe(200);
  return TopicGrantListSchema.parse(res.body).grants.map((g) => g.group);
}

const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const devicesOf = async (sub: string) =>
  (await fixture.devices.listByUser(sub, Date.now())).map((d) => d.token);
const connectionsOf = async (sub: string) => await fixture.connections.listByUser(sub, Date.now());

function leak(what: string): void {
  leaks.push(what);
}

// ---------------------------------------------------------------------------------------------
// The REST table: one entry per route of ROUTES.http, by route name, the answer for each caller. Bad
// credentials get the same answer on every Cognito-guarded route: 401 UNAUTHENTICATED.

interface Answer {
  readonly status: number;
  /** The error envelope's code, for an error status. */
  readonly code?: ErrorCode;
}

/** What one cell sends, and how to check its effects afterwards (problems and leaks found). */
interface CellRequest {
  readonly path: string;
  readonly body?: unknown;
  readonly verify?: (res: ApiResult, ok: boolean) => Promise<string[]>;
}

interface RouteExpectation {
  /** The answer to a caller with a valid token. `rightUser` is alice, who owns every target. */
  readonly answers: Readonly<Record<Caller, Answer>>;
  /** Only for a route with `auth: 'none'`; a Cognito route refuses bad credentials with 401. */
  readonly unauthenticated?: Answer;
  /** The request of one cell; may create a fresh target (a grant, a device) first. */
  readonly request: (kind: TokenKind) => Promise<CellRequest>;
}

const UNAUTHENTICATED_ANSWER: Answer = { status: 401, code: 'UNAUTHENTICATED' };
const isCaller = (kind: TokenKind): kind is Caller => (CALLERS as readonly string[]).includes(kind);
const subOfKind = (kind: TokenKind): string | undefined =>
  isCaller(kind) ? fx.tokens.sub[USER_OF[kind]] : undefined;
const tokenOf = (kind: TokenKind) => fx.tokens.token[kind];
const unique = (label: string) => `authz-${label}-${randomBytes(4).toString('hex')}`;

/** Alice's fresh multipart upload (17 MiB declared: three parts), for a cell to act on. */
async function aliceMultipartUpload(): Promise<{ jobId: string; firstPartUrl: string; partSize: number }> {
  const created = await call(fx.tokens.token.rightUser, 'POST', '/uploads', {
    dataset: 'transactions',
    fileName: `${unique('multipart')}.csv`,
    sizeBytes: 17 * 1024 * 1024,
  });
  expect(created.status, created.text).toBe(201);
  const body = created.body as { jobId: string; upload: unknown };
  const upload = MultipartUploadSchema.parse(body.upload);
  return { jobId: body.jobId, firstPartUrl: upload.parts[0]?.url ?? '', partSize: upload.partSize };
}

/** Alice's view of her upload: the job's state and whether S3 still holds the upload. */
async function aliceUploadState(jobId: string): Promise<string> {
  const alice = fx.tokens.token.rightUser;
  const job = JobViewSchema.parse((await call(alice, 'GET', `/jobs/${jobId}`)).body);
  const upload = await call(alice, 'GET', `/uploads/${jobId}`);
  return `${job.state}${job.error ? `:${job.error.code}` : ''}/${upload.status}`;
}

/** A multipart route's cell: 200/204 for alice, 404 for anyone else, her upload untouched by them. */
function multipartCell(
  success: number,
  path: (jobId: string) => string,
  options: {
    body?: (kind: TokenKind, jobId: string, etag: string) => unknown;
    afterSuccess: string;
    uploadPart?: true;
  },
): RouteExpectation {
  return {
    answers: {
      otherUser: { status: 404, code: 'NOT_FOUND' },
      rightUser: { status: success },
      admin: { status: 404, code: 'NOT_FOUND' },
    },
    request: async (kind) => {
      const { jobId, firstPartUrl, partSize } = await aliceMultipartUpload();
      let etag = '"00000000000000000000000000000000"';
      if (options.uploadPart && kind === 'rightUser') {
        const put = await fetch(firstPartUrl, { method: 'PUT', body: new Uint8Array(partSize) });
        expect(put.status).toBe(200);
        etag = put.headers.get('etag') ?? '';
      }
      return {
        path: path(jobId),
        ...(options.body && { body: options.body(kind, jobId, etag) }),
        verify: async (_res, ok) => {
          if (isCaller(kind) && kind !== 'rightUser') crossUserProbes++;
          const state = await aliceUploadState(jobId);
          const expected = ok ? options.afterSuccess : 'awaiting_upload/200';
          return state === expected || (ok && options.afterSuccess === '*')
            ? []
            : [`alice's upload is ${state}`];
        },
      };
    },
  };
}

const TABLE: Readonly<Record<RestRouteName, RouteExpectation>> = {
  whoami: {
    answers: { otherUser: { status: 200 }, rightUser: { status: 200 }, admin: { status: 200 } },
    request: async (kind) => ({
      path: '/me',
      verify: async (res, ok) => {
        if (!ok) return [];
        const { userId } = res.body as { userId: string };
        return userId === subOfKind(kind) ? [] : [`answered userId ${userId}`];
      },
    }),
  },
  createUpload: {
    // Each caller creates a job of its OWN: the row must carry the caller's sub.
    answers: { otherUser: { status: 201 }, rightUser: { status: 201 }, admin: { status: 201 } },
    request: async (kind) => {
      const name = `${unique(kind)}.csv`;
      return {
        path: '/uploads',
        body: { dataset: 'transactions', fileName: name, sizeBytes: 100 },
        verify: async (_res, ok) => {
          const { rows } = await db.query<{ user_id: string }>(
            'SELECT user_id FROM ingest_jobs WHERE file_name = $1',
            [name],
          );
          const owners = rows.map((r) => r.user_id);
          const expected = ok ? [subOfKind(kind)] : [];
          return JSON.stringify(owners) === JSON.stringify(expected) ? [] : [`job rows owned by ${owners}`];
        },
      };
    },
  },
  presignUploadParts: multipartCell(200, (jobId) => `/uploads/${jobId}/parts`, {
    body: () => ({ partNumbers: [2, 3] }),
    afterSuccess: 'awaiting_upload/200',
  }),
  getUpload: multipartCell(200, (jobId) => `/uploads/${jobId}`, { afterSuccess: 'awaiting_upload/200' }),
  // Completed with its first part only: the object is smaller than declared, so the job goes on
  // to fail (OBJECT_SMALLER_THAN_DECLARED); what matters here is who may complete it.
  completeUpload: multipartCell(200, (jobId) => `/uploads/${jobId}/complete`, {
    body: (_kind, _jobId, etag) => ({ parts: [{ partNumber: 1, etag }] }),
    afterSuccess: '*',
    uploadPart: true,
  }),
  abortUpload: multipartCell(204, (jobId) => `/uploads/${jobId}`, {
    afterSuccess: 'failed:UPLOAD_ABORTED/409',
  }),
  listJobs: {
    answers: { otherUser: { status: 200 }, rightUser: { status: 200 }, admin: { status: 200 } },
    request: async (kind) => ({
      path: '/jobs?limit=100',
      verify: async (_res, ok) => {
        if (!ok) return [];
        const token = tokenOf(kind) as string;
        const ids = await listedJobIds(token);
        const own = [fx.aliceOkJob, fx.aliceBadJob];
        if (kind === 'rightUser') return own.every((id) => ids.has(id)) ? [] : ['alice misses her jobs'];
        crossUserProbes++;
        for (const id of own) if (ids.has(id)) leak(`${kind} lists alice's job ${id}`);
        return [];
      },
    }),
  },
  getJob: {
    answers: {
      otherUser: { status: 404, code: 'NOT_FOUND' },
      rightUser: { status: 200 },
      admin: { status: 404, code: 'NOT_FOUND' },
    },
    request: async (kind) => ({
      path: `/jobs/${fx.aliceOkJob}`,
      verify: async (res, ok) => {
        if (kind === 'rightUser')
          return ok && (res.body as { jobId: string }).jobId === fx.aliceOkJob ? [] : ['wrong job'];
        if (!isCaller(kind)) return [];
        crossUserProbes++;
        if (res.text.includes(fx.aliceOkJob)) leak(`${kind} read alice's job`);
        // No existence leak: the answer is byte for byte the one for a job that never existed.
        const missing = await call(tokenOf(kind), 'GET', `/jobs/${randomUUID()}`);
        return missing.status === res.status && missing.text === res.text
          ? []
          : [`answers differ from a missing job: ${missing.status} ${missing.text}`];
      },
    }),
  },
  getJobErrors: {
    answers: {
      otherUser: { status: 404, code: 'NOT_FOUND' },
      rightUser: { status: 200 },
      admin: { status: 404, code: 'NOT_FOUND' },
    },
    request: async (kind) => ({
      path: `/jobs/${fx.aliceBadJob}/errors`,
      verify: async (res, ok) => {
        if (kind === 'rightUser') {
          const errors = JobErrorsSchema.safeParse(res.body);
          if (!ok || !errors.success || errors.data.rowErrors.length === 0 || errors.data.report === null) {
            return ['no reject report'];
          }
          const report = await fetch(errors.data.report.url);
          return report.status === 200 ? [] : [`reject report answered ${report.status}`];
        }
        if (!isCaller(kind)) return [];
        crossUserProbes++;
        if (/rowErrors|report|line/.test(res.text)) leak(`${kind} read alice's reject report`);
        const missing = await call(tokenOf(kind), 'GET', `/jobs/${randomUUID()}/errors`);
        return missing.status === res.status && missing.text === res.text
          ? []
          : [`answers differ from a missing job: ${missing.status} ${missing.text}`];
      },
    }),
  },
  cancelJob: {
    // Each cell cancels a fresh job of alice's that awaits its upload: only alice can.
    answers: {
      otherUser: { status: 404, code: 'NOT_FOUND' },
      rightUser: { status: 200 },
      admin: { status: 404, code: 'NOT_FOUND' },
    },
    request: async (kind) => {
      const { jobId } = await createUpload(fx.tokens.token.rightUser as string, `${HEADER}\n`);
      return {
        path: `/jobs/${jobId}/cancel`,
        verify: async (res, ok) => {
          const { rows } = await db.query<{ state: string }>(
            'SELECT state FROM ingest_jobs WHERE job_id = $1',
            [jobId],
          );
          const state = rows[0]?.state;
          if (kind === 'rightUser') return ok && state === 'cancelled' ? [] : [`alice's job is ${state}`];
          if (!isCaller(kind)) return state === 'awaiting_upload' ? [] : [`job ${state}`];
          crossUserProbes++;
          if (state !== 'awaiting_upload') leak(`${kind} cancelled alice's job`);
          if (res.text.includes(jobId)) leak(`${kind} read alice's job`);
          return [];
        },
      };
    },
  },
  createFileLink: {
    // Home folders are private to their owner: no group, not even admins, opens them.
    answers: {
      otherUser: { status: 403, code: 'PATH_NOT_ALLOWED' },
      rightUser: { status: 200 },
      admin: { status: 403, code: 'PATH_NOT_ALLOWED' },
    },
    request: async (kind) => {
      const marker = fileName(fx.alicePrivatePath);
      const before = await srvgwRequests(marker);
      return {
        path: '/files/links',
        body: { path: fx.alicePrivatePath },
        verify: async (res, ok) => {
          const after = await srvgwRequests(marker);
          if (kind === 'rightUser') {
            const link = FileLinkSchema.safeParse(res.body);
            if (!ok || !link.success) return ['alice did not get a link to her file'];
            const download = await fetch(link.data.url);
            return (await download.text()) === fx.alicePrivateContent ? [] : ['alice did not get her file'];
          }
          crossUserProbes++;
          if (res.text.includes('url')) leak(`${kind} got a link to alice's file`);
          // A refused path must never reach SRV-GW (nor the S3 copy alice's request left behind).
          return after === before ? [] : [`SRV-GW was asked ${after - before} time(s)`];
        },
      };
    },
  },
  listGrants: {
    answers: {
      otherUser: { status: 403, code: 'FORBIDDEN' },
      rightUser: { status: 403, code: 'FORBIDDEN' },
      admin: { status: 200 },
    },
    request: async () => ({ path: '/admin/grants' }),
  },
  createGrant: {
    answers: {
      otherUser: { status: 403, code: 'FORBIDDEN' },
      rightUser: { status: 403, code: 'FORBIDDEN' },
      admin: { status: 201 },
    },
    request: async (kind) => {
      const pathPrefix = `${unique(`grant-${kind}`)}/`;
      return {
        path: '/admin/grants',
        body: { pathPrefix, group: 'analysts' },
        verify: async (res, ok) => {
          if (ok) {
            const { id } = FileGrantSchema.parse(res.body);
            cleanups.push(() => call(fx.tokens.token.admin, 'DELETE', `/admin/grants/${id}`));
          }
          const exists = (await grantPrefixes()).includes(pathPrefix);
          return exists === ok ? [] : [`grant ${exists ? 'created' : 'missing'}`];
        },
      };
    },
  },
  deleteGrant: {
    answers: {
      otherUser: { status: 403, code: 'FORBIDDEN' },
      rightUser: { status: 403, code: 'FORBIDDEN' },
      admin: { status: 204 },
    },
    request: async (kind) => {
      const pathPrefix = `${unique(`revoke-${kind}`)}/`;
      const created = await call(fx.tokens.token.admin, 'POST', '/admin/grants', {
        pathPrefix,
        group: 'analysts',
      });
      expect(created.status, created.text).toBe(201);
      const { id } = FileGrantSchema.parse(created.body);
      return {
        path: `/admin/grants/${id}`,
        verify: async (_res, ok) => {
          const exists = (await grantPrefixes()).includes(pathPrefix);
          if (exists) cleanups.push(() => call(fx.tokens.token.admin, 'DELETE', `/admin/grants/${id}`));
          return exists === !ok ? [] : [`grant ${exists ? 'survived' : 'revoked'}`];
        },
      };
    },
  },
  listTopicGrants: {
    answers: {
      otherUser: { status: 403, code: 'FORBIDDEN' },
      rightUser: { status: 403, code: 'FORBIDDEN' },
      admin: { status: 200 },
    },
    request: async () => ({ path: '/admin/topics/announcements/grants' }),
  },
  createTopicGrant: {
    answers: {
      otherUser: { status: 403, code: 'FORBIDDEN' },
      rightUser: { status: 403, code: 'FORBIDDEN' },
      admin: { status: 201 },
    },
    request: async (kind) => {
      const topic = unique(`topic-grant-${kind}`);
      return {
        path: `/admin/topics/${topic}/grants`,
        body: { group: 'analysts' },
        verify: async (_res, ok) => {
          const exists = (await topicGrantGroups(topic)).includes('analysts');
          if (exists)
            cleanups.push(() =>
              call(fx.tokens.token.admin, 'DELETE', `/admin/topics/${topic}/grants/analysts`),
            );
          return exists === ok ? [] : [`topic grant ${exists ? 'created' : 'missing'}`];
        },
      };
    },
  },
  deleteTopicGrant: {
    answers: {
      otherUser: { status: 403, code: 'FORBIDDEN' },
      rightUser: { status: 403, code: 'FORBIDDEN' },
      admin: { status: 204 },
    },
    request: async (kind) => {
      const topic = unique(`topic-revoke-${kind}`);
      const created = await call(fx.tokens.token.admin, 'POST', `/admin/topics/${topic}/grants`, {
        group: 'analysts',
      });
      expect(created.status, created.text).toBe(201);
      return {
        path: `/admin/topics/${topic}/grants/analysts`,
        verify: async (_res, ok) => {
          const exists = (await topicGrantGroups(topic)).includes('analysts');
          if (exists)
            cleanups.push(() =>
              call(fx.tokens.token.admin, 'DELETE', `/admin/topics/${topic}/grants/analysts`),
            );
          return exists === !ok ? [] : [`topic grant ${exists ? 'survived' : 'revoked'}`];
        },
      };
    },
  },
  publishTopicEvent: {
    answers: {
      otherUser: { status: 403, code: 'FORBIDDEN' },
      rightUser: { status: 403, code: 'FORBIDDEN' },
      admin: { status: 202 },
    },
    request: async (kind) => {
      const topic = unique(`topic-publish-${kind}`);
      return {
        path: `/admin/topics/${topic}/events`,
        body: { title: 'authz', body: `from ${kind}` },
        verify: async (_res, ok) => {
          // A refused publish must not even take a seq: the admin's next one is then the first.
          const next = await call(fx.tokens.token.admin, 'POST', `/admin/topics/${topic}/events`, {
            title: 'authz',
            body: 'admin',
          });
          const { seq } = PublishTopicEventResponseSchema.parse(next.body);
          return seq === (ok ? 2 : 1) ? [] : [`the admin's publish got seq ${seq}`];
        },
      };
    },
  },
  createTicket: {
    // A ticket is bound to its caller: it opens a connection of the caller, nobody else.
    answers: { otherUser: { status: 201 }, rightUser: { status: 201 }, admin: { status: 201 } },
    request: async (kind) => ({
      path: '/realtime/tickets',
      verify: async (res, ok) => {
        if (!ok) return [];
        const { ticket } = CreateTicketResponseSchema.parse(res.body);
        const opened = await openAndAttribute(`?ticket=${ticket}`);
        opened.client?.close();
        return opened.owner === USER_OF[kind as Caller]
          ? []
          : [`the ticket opened a connection of ${opened.owner}`];
      },
    }),
  },
  registerDevice: {
    answers: { otherUser: { status: 201 }, rightUser: { status: 201 }, admin: { status: 201 } },
    request: async (kind) => {
      const token = `fcm:${unique(kind)}`;
      return {
        path: '/devices',
        body: { token, platform: 'android' },
        verify: async (_res, ok) => {
          const sub = subOfKind(kind);
          const registered = sub !== undefined && (await devicesOf(sub)).includes(token);
          if (sub !== undefined) await fixture.devices.remove(sub, token);
          const onAlice = kind !== 'rightUser' && (await devicesOf(fx.tokens.sub.alice)).includes(token);
          if (onAlice) leak(`${kind} registered a device on alice's account`);
          return registered === ok ? [] : [`device ${registered ? 'registered' : 'missing'}`];
        },
      };
    },
  },
  deleteDevice: {
    // A token the caller did not register answers 404 and stays untouched.
    answers: {
      otherUser: { status: 404, code: 'NOT_FOUND' },
      rightUser: { status: 204 },
      admin: { status: 404, code: 'NOT_FOUND' },
    },
    request: async (kind) => {
      const token = `fcm:${unique(`alice-${kind}`)}`;
      const alice = fx.tokens.token.rightUser;
      const registered = await call(alice, 'POST', '/devices', { token, platform: 'ios' });
      expect(registered.status, registered.text).toBe(201);
      return {
        path: `/devices/${encodeURIComponent(token)}`,
        verify: async (_res, ok) => {
          const kept = (await devicesOf(fx.tokens.sub.alice)).includes(token);
          if (kept) await fixture.devices.remove(fx.tokens.sub.alice, token);
          if (kind !== 'rightUser') crossUserProbes++;
          if (kind !== 'rightUser' && !kept) leak(`${kind} removed alice's device`);
          return kept === !ok ? [] : [`device ${kept ? 'kept' : 'removed'}`];
        },
      };
    },
  },
};

async function grantPrefixes(): Promise<string[]> {
  const res = await call(fx.tokens.token.admin, 'GET', '/admin/grants');
  return FileGrantListSchema.parse(res.body).grants.map((g) => g.pathPrefix);
}

/** Every REST route: the one table the matrix walks, so a new route cannot be left out. */
const restRoutes = (): RestRoute[] => Object.values(ROUTES.http);
/** A route as test output names it: `getJob (GET /jobs/{id})`. */
const routeLabel = (route: RestRoute) => `${route.name} (${route.method} ${route.path})`;
const specOf = (route: RestRoute): RouteExpectation | undefined =>
  Object.hasOwn(TABLE, route.name) ? TABLE[route.name as RestRouteName] : undefined;

/** The answer the table gives a cell, or undefined when the table has none. */
function expectedAnswer(route: RestRoute, kind: TokenKind): Answer | undefined {
  const spec = specOf(route);
  if (spec === undefined) return undefined;
  if (isCaller(kind)) return spec.answers[kind];
  return route.auth === 'cognito' ? UNAUTHENTICATED_ANSWER : spec.unauthenticated;
}

/** Why an answer is not what the route's contract documents, or undefined when it is. */
function undocumented(route: RestRoute, answer: Answer): string | undefined {
  if (answer.status < 300) {
    return answer.status in route.responses ? undefined : `status ${answer.status} is not documented`;
  }
  const codes = restErrorCodes(route);
  if (answer.code === undefined || !codes.includes(answer.code))
    return `code ${answer.code} is not documented`;
  if (ERROR_CODES[answer.code].status !== answer.status) return `${answer.code} is not a ${answer.status}`;
  return undefined;
}

/** Whether a response is the expected answer in the documented shape; the problem otherwise. */
function checkResponse(route: RestRoute, expected: Answer, res: ApiResult): string | undefined {
  if (res.status !== expected.status) return `answered ${res.status} ${res.text.slice(0, 200)}`;
  if (expected.code !== undefined) {
    const envelope = ErrorEnvelopeSchema.safeParse(res.body);
    if (!envelope.success) return `not the error envelope: ${res.text.slice(0, 200)}`;
    return envelope.data.code === expected.code ? undefined : `code ${envelope.data.code}`;
  }
  const documented = route.responses[expected.status as 200]?.body;
  if (documented === null) return res.text === '' ? undefined : 'a body on a no-content answer';
  if (documented === undefined || typeof documented === 'string') return undefined;
  const parsed = documented.safeParse(res.body);
  return parsed.success ? undefined : `body does not match its schema: ${parsed.error.message.slice(0, 200)}`;
}

// ---------------------------------------------------------------------------------------------
// WebSocket helpers

type Owner = 'alice' | 'bob' | 'admin' | 'nobody';

/**
 * Opens a socket and tells whose connection the gateway stored: the one new item in the
 * connections table among the three dev users. `owner: 'nobody'` with the refusal when the
 * handshake was refused.
 */
async function openAndAttribute(
  query: string,
  protocols: string[] = [],
): Promise<{ owner: Owner; client?: Client; refusal?: string; protocol?: string }> {
  const users = ['alice', 'bob', 'admin'] as const;
  const before = await Promise.all(
    users.map(async (u) => new Set((await connectionsOf(fx.tokens.sub[u])).map((c) => c.connectionId))),
  );
  let ws: Awaited<ReturnType<typeof openSocket>>;
  try {
    ws = await openSocket(query, protocols);
  } catch (error) {
    const added = await Promise.all(
      users.map(async (u, i) =>
        (await connectionsOf(fx.tokens.sub[u])).filter((c) => !before[i]?.has(c.connectionId)),
      ),
    );
    if (added.some((a) => a.length > 0))
      leak(`a refused handshake (${query || protocols[0]}) stored a connection`);
    return { owner: 'nobody', refusal: (error as Error).message };
  }
  const added = (
    await Promise.all(
      users.map(async (u, i) =>
        (
          await connectionsOf(fx.tokens.sub[u])
        )
          .filter((c) => !before[i]?.has(c.connectionId))
          .map((c) => ({ user: u, connectionId: c.connectionId })),
      ),
    )
  ).flat();
  if (added.length !== 1) {
    ws.terminate();
    throw new Error(`expected one new connection, found ${JSON.stringify(added)}`);
  }
  const [{ user, connectionId }] = added as [{ user: (typeof users)[number]; connectionId: string }];
  const client = new Client(ws, fx.tokens.sub[user], connectionId);
  sockets.push(client);
  return { owner: user, client, protocol: ws.protocol };
}

/** A socket of a dev user, connected with the JWT subprotocol as the SDK does. */
async function connectWithJwt(kind: Caller): Promise<Client> {
  const opened = await openAndAttribute('', ['herald.v1', tokenOf(kind) as string]);
  if (opened.client === undefined || opened.owner !== USER_OF[kind]) {
    throw new Error(`${kind} could not connect: ${opened.refusal ?? opened.owner}`);
  }
  return opened.client;
}

const subscriptionsOf = async (client: Client) =>
  (await connectionsOf(client.userId)).find((c) => c.connectionId === client.connectionId)?.subscriptions ??
  [];

interface EventLike {
  readonly type: string;
  readonly jobId?: string;
  readonly path?: string;
  readonly url?: string;
}
const eventsOf = (client: Client): EventLike[] =>
  client.frames.filter((f) => f.type === 'event').map((f) => f.event as EventLike);

/** Events on a socket that belong to alice: her jobs, or a file of her home folder. */
function aliceEventsOn(client: Client, aliceJobs: readonly string[]): EventLike[] {
  const home = `users/${fx.tokens.sub.alice}/`;
  return eventsOf(client).filter(
    (e) => (e.jobId !== undefined && aliceJobs.includes(e.jobId)) || (e.path ?? '').startsWith(home),
  );
}

/** The reply to a frame with an id (error, pong or resumed). */
async function replyTo(client: Client, frame: Record<string, unknown> & { id: string }) {
  const from = client.frames.length;
  client.send(frame);
  return client.waitFor((f) => f.id === frame.id, { from, timeoutMs: 15_000 });
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  await db.connect();
  const tokens = await issueMatrixTokens();
  const alice = tokens.token.rightUser as string;
  const alicePrivatePath = `users/${tokens.sub.alice}/${unique('secret')}.txt`;
  const aliceUntouchedPath = `users/${tokens.sub.alice}/${unique('untouched')}.txt`;
  const alicePrivateContent = `alice's private notes ${randomUUID()}\n`;
  await srvgw('PUT', `/files/${alicePrivatePath}`, alicePrivateContent);
  await srvgw('PUT', `/files/${aliceUntouchedPath}`, 'never to be fetched\n');
  cleanups.push(
    () => srvgw('DELETE', `/files/${alicePrivatePath}`),
    () => srvgw('DELETE', `/files/${aliceUntouchedPath}`),
  );
  const [ok, bad] = await Promise.all([
    runJob(alice, `${HEADER}\n${row('1.00')}\n${row('2.50')}\n`),
    runJob(alice, `${HEADER}\n${row('1.00')}\n${row('twelve')}\n`),
  ]);
  expect([ok.state, bad.state]).toEqual(['succeeded', 'failed']);
  fx = {
    tokens,
    aliceOkJob: ok.jobId,
    aliceBadJob: bad.jobId,
    alicePrivatePath,
    alicePrivateContent,
    aliceUntouchedPath,
  };
});

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  fixture.close();
  await db.end();
});

describe('authorization matrix: REST', () => {
  it('has an expectation for every route of ROUTES.http and none for a route that does not exist', () => {
    const routes = restRoutes().map((route) => route.name);
    expect(Object.keys(TABLE).sort()).toEqual([...routes].sort());
    for (const route of restRoutes()) {
      for (const kind of TOKEN_KINDS) {
        expect(expectedAnswer(route, kind), `${routeLabel(route)} × ${kind}`).toBeDefined();
      }
    }
    figures.sectionsPassed.add('table');
  });

  it('states only answers the routes document (their contracts, hence docs/api/openapi.json)', () => {
    const problems: string[] = [];
    for (const route of restRoutes()) {
      for (const kind of TOKEN_KINDS) {
        const answer = expectedAnswer(route, kind);
        const problem = answer === undefined ? 'no answer' : undocumented(route, answer);
        if (problem !== undefined) problems.push(`${routeLabel(route)} × ${kind}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    figures.sectionsPassed.add('documented');
  });

  it('answers every route × credential as documented, with no cross-user read', async () => {
    const leaksBefore = leaks.length;
    const mismatches: string[] = [];
    for (const route of restRoutes()) {
      const key = routeLabel(route);
      const spec = specOf(route);
      for (const kind of TOKEN_KINDS) {
        const expected = expectedAnswer(route, kind);
        if (spec === undefined || expected === undefined) {
          mismatches.push(`${key} × ${kind}: no expectation`);
          continue;
        }
        const request = await spec.request(kind);
        const res = await call(tokenOf(kind), route.method, request.path, request.body);
        const problem = checkResponse(route, expected, res);
        if (problem !== undefined) mismatches.push(`${key} × ${kind}: ${problem}`);
        const ok = res.status >= 200 && res.status < 300;
        for (const p of (await request.verify?.(res, ok)) ?? []) mismatches.push(`${key} × ${kind}: ${p}`);
        figures.restCells++;
      }
    }
    expect({ mismatches, leaks: leaks.slice(leaksBefore) }).toEqual({ mismatches: [], leaks: [] });
    figures.sectionsPassed.add('rest');
  });

  it('lets only members of a dataset’s uploadGroups upload to it; anyone else gets 403 and nothing is created', async () => {
    // The sample declaration (herald.datasets.json): transactions for analysts and admins,
    // customers and price_list for analysts only. alice and bob are analysts, admin is not.
    const DATASET_UPLOADS: Readonly<Record<string, Readonly<Record<Caller, Answer>>>> = {
      transactions: { otherUser: { status: 201 }, rightUser: { status: 201 }, admin: { status: 201 } },
      customers: {
        otherUser: { status: 201 },
        rightUser: { status: 201 },
        admin: { status: 403, code: 'DATASET_NOT_ALLOWED' },
      },
      price_list: {
        otherUser: { status: 201 },
        rightUser: { status: 201 },
        admin: { status: 403, code: 'DATASET_NOT_ALLOWED' },
      },
    };
    const route = ROUTES.http.createUpload;
    const mismatches: string[] = [];
    for (const [dataset, answers] of Object.entries(DATASET_UPLOADS)) {
      for (const kind of CALLERS) {
        const fileName = `${unique(`${dataset}-${kind}`)}.csv`;
        const res = await call(tokenOf(kind), 'POST', '/uploads', { dataset, fileName, sizeBytes: 100 });
        const cell = `${dataset} × ${kind}`;
        const problem = checkResponse(route, answers[kind], res) ?? undocumented(route, answers[kind]);
        if (problem !== undefined) mismatches.push(`${cell}: ${problem}`);
        // Nothing is created for a refused caller: no job row, and so no upload to make.
        const { rows } = await db.query<{ user_id: string }>(
          'SELECT user_id FROM ingest_jobs WHERE file_name = $1',
          [fileName],
        );
        const expected = answers[kind].status === 201 ? [subOfKind(kind)] : [];
        if (JSON.stringify(rows.map((r) => r.user_id)) !== JSON.stringify(expected))
          mismatches.push(`${cell}: job rows ${JSON.stringify(rows)}`);
        figures.datasetCells++;
      }
    }
    expect(mismatches).toEqual([]);
    figures.sectionsPassed.add('datasets');
  });

  it('refuses another user’s cursor like a made-up one: no page of alice’s jobs for bob', async () => {
    const alice = tokenOf('rightUser');
    const first = JobListSchema.parse((await call(alice, 'GET', '/jobs?limit=1')).body);
    expect(first.nextCursor).not.toBeNull();
    const cursor = encodeURIComponent(first.nextCursor as string);
    const bobs = await call(tokenOf('otherUser'), 'GET', `/jobs?limit=100&cursor=${cursor}`);
    crossUserProbes++;
    expect(bobs).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    // A well-formed cursor naming a job that never existed (today's cursor format; should it
    // change, this is simply an invalid cursor, which must answer the same).
    const madeUp = Buffer.from(`j1:${randomUUID()}`).toString('base64url');
    const unknown = await call(tokenOf('otherUser'), 'GET', `/jobs?limit=100&cursor=${madeUp}`);
    expect(unknown.text).toBe(bobs.text);
    figures.sectionsPassed.add('cursor');
  });

  it('keeps every spelling of another user’s home folder away from SRV-GW', async () => {
    const leaksBefore = leaks.length;
    const alice = fx.tokens.sub.alice;
    const bob = fx.tokens.sub.bob;
    const name = fileName(fx.aliceUntouchedPath);
    const probes: Array<[string, ErrorCode]> = [
      [fx.aliceUntouchedPath, 'PATH_NOT_ALLOWED'],
      [`users/${alice}`, 'PATH_NOT_ALLOWED'],
      [`users/${alice.toUpperCase()}/${name}`, 'PATH_NOT_ALLOWED'],
      [`Users/${alice}/${name}`, 'PATH_NOT_ALLOWED'],
      [`users/${alice}-${bob}/${name}`, 'PATH_NOT_ALLOWED'],
      [`users/${bob}/../${alice}/${name}`, 'INVALID_PATH'],
      [`users/${bob}/./../${alice}/${name}`, 'INVALID_PATH'],
      [`/users/${alice}/${name}`, 'INVALID_PATH'],
      [`./users/${alice}/${name}`, 'INVALID_PATH'],
      [`users//${alice}/${name}`, 'INVALID_PATH'],
      [`users/${alice}//${name}`, 'INVALID_PATH'],
      [`users%2F${alice}%2F${name}`, 'INVALID_PATH'],
      [`users/${bob}/%2e%2e/${alice}/${name}`, 'INVALID_PATH'],
      [`users\\${alice}\\${name}`, 'INVALID_PATH'],
      [`users/${bob}/\uff0e\uff0e/${alice}/${name}`, 'INVALID_PATH'],
      [`http://127.0.0.1/files/users/${alice}/${name}`, 'INVALID_PATH'],
      [`users/${alice}/${name}?x=1`, 'INVALID_PATH'],
      [`users/${alice}/${name}\u0000`, 'INVALID_PATH'],
    ];
    // The file alice fetched before is in the S3 cache now: still refused.
    probes.push([fx.alicePrivatePath, 'PATH_NOT_ALLOWED']);
    const answers: string[] = [];
    for (const caller of ['otherUser', 'admin'] as const) {
      for (const [path, code] of probes) {
        const res = await call(tokenOf(caller), 'POST', '/files/links', { path });
        crossUserProbes++;
        figures.pathProbes++;
        if (res.text.includes('"url"')) leak(`${caller} got a link for ${JSON.stringify(path)}`);
        const envelope = ErrorEnvelopeSchema.safeParse(res.body);
        const got = `${res.status} ${envelope.success ? envelope.data.code : res.text.slice(0, 100)}`;
        if (got !== `${ERROR_CODES[code].status} ${code}`)
          answers.push(`${caller} ${JSON.stringify(path)}: ${got}`);
      }
    }
    expect(answers).toEqual([]);
    expect(await srvgwRequests(name)).toBe(0);
    expect(leaks.slice(leaksBefore)).toEqual([]);
    figures.sectionsPassed.add('paths');
  });

  it('keeps a signed download link to its path: bob cannot re-point his link, or alice’s, at her file', async () => {
    const leaksBefore = leaks.length;
    const linkOf = async (caller: 'otherUser' | 'rightUser', path: string) => {
      const res = await call(tokenOf(caller), 'POST', '/files/links', { path });
      expect(res.status, res.text).toBe(200);
      return new URL(FileLinkSchema.parse(res.body).url);
    };
    const bobs = await linkOf('otherUser', 'public/readme.txt');
    // CloudFront signed URLs: presigned S3 GETs are not checked by the local S3 at all.
    expect(bobs.searchParams.get('Key-Pair-Id')).toBeTruthy();
    expect((await fetch(bobs)).status).toBe(200);
    const alices = await linkOf('rightUser', fx.alicePrivatePath);
    const aliceKey = `/files/${fx.alicePrivatePath}`;
    const attempts = [
      // bob's signature on alice's cached file
      bobs.href.replace(bobs.pathname, aliceKey),
      // bob's signature, alice's path and file name
      bobs.href
        .replace(bobs.pathname, aliceKey)
        .replace('readme.txt', encodeURIComponent(fileName(fx.alicePrivatePath))),
      // alice's signature on her other file, which she never asked for
      alices.href.replace(alices.pathname, `/files/${fx.aliceUntouchedPath}`),
      // alice's link without its signature, or with a longer life
      `${alices.origin}${alices.pathname}`,
      alices.href.replace(/Expires=(\d+)/, (_m, t: string) => `Expires=${Number(t) + 86_400}`),
    ];
    for (const url of attempts) {
      const res = await fetch(url);
      crossUserProbes++;
      const body = await res.text();
      if (body.includes(fx.alicePrivateContent.trim()))
        leak(`a re-pointed link read alice's file: ${res.status}`);
      expect(res.status, url.replace(/Signature=[^&]+/, 'Signature=…')).toBe(403);
    }
    expect(leaks.slice(leaksBefore)).toEqual([]);
    figures.sectionsPassed.add('links');
  });
});

describe('authorization matrix: WebSocket', () => {
  it('admits exactly the valid credentials at $connect, each as its own user', async () => {
    const leaksBefore = leaks.length;
    const jwt = (kind: TokenKind) => async () => ({
      query: '',
      protocols: kind === 'none' ? ['herald.v1'] : ['herald.v1', tokenOf(kind) as string],
    });
    const ticketOf = (kind: Caller) => async () => {
      const res = await call(tokenOf(kind), 'POST', '/realtime/tickets');
      return { query: `?ticket=${CreateTicketResponseSchema.parse(res.body).ticket}`, protocols: [] };
    };
    const usedTicket = async () => {
      const first = await ticketOf('rightUser')();
      const opened = await openAndAttribute(first.query);
      expect(opened.owner).toBe('alice');
      opened.client?.close();
      return first;
    };
    const expiredTicket = async () => {
      const { ticket, record } = issueTicket({
        identity: { userId: fx.tokens.sub.alice, username: 'alice', groups: ['analysts'] },
        now: Date.now() - 5 * 60_000,
        randomBytes: (n) => randomBytes(n),
      });
      await fixture.tickets.put(record);
      return { query: `?ticket=${ticket}`, protocols: [] };
    };
    const cells: Array<[string, () => Promise<{ query: string; protocols: string[] }>, Owner]> = [
      ...UNAUTHENTICATED.map((kind): [string, ReturnType<typeof jwt>, Owner] => [
        `jwt ${kind}`,
        jwt(kind),
        'nobody',
      ]),
      ...CALLERS.map((kind): [string, ReturnType<typeof jwt>, Owner] => [
        `jwt ${kind}`,
        jwt(kind),
        USER_OF[kind],
      ]),
      [
        'ticket made up',
        async () => ({ query: `?ticket=${randomBytes(32).toString('base64url')}`, protocols: [] }),
        'nobody',
      ],
      ['ticket expired', expiredTicket, 'nobody'],
      ['ticket used once', usedTicket, 'nobody'],
      ...CALLERS.map((kind): [string, ReturnType<typeof ticketOf>, Owner] => [
        `ticket ${kind}`,
        ticketOf(kind),
        USER_OF[kind],
      ]),
    ];
    const mismatches: string[] = [];
    for (const [name, credential, expected] of cells) {
      const { query, protocols } = await credential();
      const opened = await openAndAttribute(query, protocols);
      figures.wsConnectCells++;
      if (opened.owner !== expected) mismatches.push(`${name}: connected as ${opened.owner}`);
      // A refused upgrade is an HTTP 401 (docs/api/asyncapi.json).
      if (expected === 'nobody' && opened.refusal !== 'handshake refused: 401') {
        mismatches.push(`${name}: ${opened.refusal ?? 'accepted'}`);
      }
      // The subprotocol is echoed (never the token); a ticket client offered none.
      const protocol = protocols.length > 0 ? 'herald.v1' : '';
      if (opened.client !== undefined && opened.protocol !== protocol) {
        mismatches.push(`${name}: subprotocol ${opened.protocol}`);
      }
      opened.client?.close();
    }
    expect({ mismatches, leaks: leaks.slice(leaksBefore) }).toEqual({ mismatches: [], leaks: [] });
    figures.sectionsPassed.add('connect');
  });

  it('refuses subscribe and resume of alice’s job from other users and replays nothing', async () => {
    const leaksBefore = leaks.length;
    const bob = await connectWithJwt('otherUser');
    const admin = await connectWithJwt('admin');
    const alice = await connectWithJwt('rightUser');
    const job = fx.aliceOkJob;
    const callers: Array<[Caller, Client]> = [
      ['otherUser', bob],
      ['admin', admin],
      ['rightUser', alice],
    ];
    const mismatches: string[] = [];
    const expectError = (kind: Caller, action: string, reply: Record<string, unknown>) => {
      const code = (reply.error as { code?: string } | undefined)?.code;
      if (reply.type !== 'error' || code !== 'NOT_FOUND')
        mismatches.push(`${action} × ${kind}: ${JSON.stringify(reply)}`);
    };

    for (const [kind, client] of callers) {
      // ping: the one action without a target; every signed-in user gets a pong.
      const pong = await replyTo(client, { action: 'ping', id: `ping-${kind}` });
      if (pong.type !== 'pong') mismatches.push(`ping × ${kind}: ${JSON.stringify(pong)}`);
      figures.wsActionCells++;
    }

    // subscribe: NOT_FOUND for anyone but the owner (who gets silence and the subscription).
    for (const [kind, client] of callers) {
      figures.wsActionCells++;
      if (kind !== 'rightUser') {
        expectError(
          kind,
          'subscribe',
          await replyTo(client, { action: 'subscribe', id: `sub-${kind}`, jobId: job }),
        );
        continue;
      }
      client.send({ action: 'subscribe', id: 'sub-alice', jobId: job });
      await expect.poll(() => subscriptionsOf(client), { timeout: 10_000 }).toEqual([`job:${job}`]);
    }

    // resume: NOT_FOUND and not one replayed event for anyone but the owner.
    for (const [kind, client] of callers) {
      figures.wsActionCells++;
      const from = client.frames.length;
      const reply = await replyTo(client, {
        action: 'resume',
        id: `resume-${kind}`,
        jobId: job,
        afterSeq: -1,
      });
      if (kind === 'rightUser') {
        const replayed = client.frames.slice(from).filter((f) => f.type === 'event');
        if (reply.type !== 'resumed' || replayed.length === 0)
          mismatches.push(`resume × alice: ${JSON.stringify(reply)}`);
        continue;
      }
      expectError(kind, 'resume', reply);
      await client.barrier();
      crossUserProbes++;
      for (const e of aliceEventsOn(client, [fx.aliceOkJob, fx.aliceBadJob]))
        leak(`resume replayed ${e.type} to ${kind}`);
    }

    // unsubscribe: silent for everyone, and only ever touches the sender's own connection.
    for (const [kind, client] of callers) {
      if (kind === 'rightUser') continue;
      figures.wsActionCells++;
      client.send({ action: 'subscribe', id: `files-${kind}`, topic: 'files' });
      await expect.poll(() => subscriptionsOf(client), { timeout: 10_000 }).toEqual(['topic:files']);
      client.send({ action: 'unsubscribe', id: `unsub-${kind}`, jobId: job });
      // No acknowledgement exists and `$default` invocations run concurrently: the later
      // unsubscribe of `files` is the best sign that this one was handled. Alice's connection is
      // checked again at the end of the file, long after.
      client.send({ action: 'unsubscribe', id: `unsub-files-${kind}`, topic: 'files' });
      await expect.poll(() => subscriptionsOf(client), { timeout: 10_000 }).toEqual([]);
      await client.barrier();
      crossUserProbes++;
      const aliceSubs = await subscriptionsOf(alice);
      if (JSON.stringify(aliceSubs) !== JSON.stringify([`job:${job}`]))
        leak(`${kind}'s unsubscribe changed alice's connection: ${aliceSubs}`);
    }
    // The owner's unsubscribe does remove a subscription (of her other job; the first one stays
    // for the late check).
    figures.wsActionCells++;
    alice.send({ action: 'subscribe', id: 'sub-alice-2', jobId: fx.aliceBadJob });
    await expect
      .poll(async () => [...(await subscriptionsOf(alice))].sort(), { timeout: 10_000 })
      .toEqual([`job:${job}`, `job:${fx.aliceBadJob}`].sort());
    alice.send({ action: 'unsubscribe', id: 'unsub-alice', jobId: fx.aliceBadJob });
    await expect.poll(() => subscriptionsOf(alice), { timeout: 10_000 }).toEqual([`job:${job}`]);
    aliceSubscribed = alice;

    const refusals = new Set(['sub-otherUser', 'sub-admin', 'resume-otherUser', 'resume-admin']);
    for (const [, client] of callers) {
      const errors = client.frames.filter((f) => f.type === 'error' && !refusals.has(String(f.id)));
      if (errors.length > 0) mismatches.push(`unexpected error frames: ${JSON.stringify(errors)}`);
    }
    expect({ mismatches, leaks: leaks.slice(leaksBefore) }).toEqual({ mismatches: [], leaks: [] });
    figures.sectionsPassed.add('actions');
  });

  it('delivers alice’s live job and file events to alice only; bob cannot touch her connections', async () => {
    const leaksBefore = leaks.length;
    const alice = tokenOf('rightUser') as string;
    // Listeners: every kind of socket another user can hold.
    const bobPlain = await connectWithJwt('otherUser');
    const bobWatching = await connectWithJwt('otherUser');
    const bobJobs = await connectWithJwt('otherUser');
    const bobResuming = await connectWithJwt('otherUser');
    const adminPlain = await connectWithJwt('admin');
    const alicePlain = await connectWithJwt('rightUser');
    const aliceWatching = await connectWithJwt('rightUser');
    const strangers = [bobPlain, bobWatching, bobJobs, bobResuming, adminPlain];

    // A new job of alice, not yet uploaded: the event log does not know it, so a subscription
    // to it is accepted (documented: delivery is keyed by user, so accepting it cannot leak).
    const { jobId, put } = await createUpload(alice, csvOf(LIVE_ROWS));
    bobWatching.send({ action: 'subscribe', id: 'early', jobId });
    await expect.poll(() => subscriptionsOf(bobWatching), { timeout: 10_000 }).toEqual([`job:${jobId}`]);
    bobJobs.send({ action: 'subscribe', id: 'jobs', topic: 'jobs' });
    await expect.poll(() => subscriptionsOf(bobJobs), { timeout: 10_000 }).toEqual(['topic:jobs']);
    aliceWatching.send({ action: 'subscribe', id: 'mine', jobId });
    await expect.poll(() => subscriptionsOf(aliceWatching), { timeout: 10_000 }).toEqual([`job:${jobId}`]);

    // Bob runs a job of his own at the same time, so the publisher serves both users at once.
    const bob = tokenOf('otherUser') as string;
    const bobs = await createUpload(bob, csvOf(LIVE_ROWS));
    await Promise.all([put(), bobs.put()]);
    expect(await waitForJob(alice, jobId)).toBe('succeeded');
    expect(await waitForJob(bob, bobs.jobId)).toBe('succeeded');
    const succeeded = (id: string) => (f: Record<string, unknown>) =>
      f.type === 'event' &&
      (f.event as EventLike).jobId === id &&
      (f.event as EventLike).type === 'job.succeeded';
    await bobPlain.waitFor(succeeded(bobs.jobId), { timeoutMs: 15_000 });
    await alicePlain.waitFor(succeeded(jobId), { timeoutMs: 15_000 });
    await aliceWatching.waitFor(succeeded(jobId), { timeoutMs: 15_000 });
    // Once the job has events, resuming it from bob's socket is refused and replays nothing.
    const resumed = await replyTo(bobResuming, { action: 'resume', id: 'late', jobId, afterSeq: -1 });
    expect(resumed).toMatchObject({ type: 'error', error: { code: 'NOT_FOUND' } });

    // A file of alice's home: the link and its file.ready go to alice only.
    const link = await call(alice, 'POST', '/files/links', { path: fx.alicePrivatePath });
    expect(link.status, link.text).toBe(200);
    await alicePlain.waitFor((f) => f.type === 'event' && (f.event as EventLike).type === 'file.ready', {
      timeoutMs: 15_000,
    });

    // Bob tries to undo alice's subscription and to reach her connections from his own.
    const before = (await connectionsOf(fx.tokens.sub.alice)).map((c) => [
      c.connectionId,
      c.subscriptions ?? [],
    ]);
    bobPlain.send({ action: 'unsubscribe', jobId });
    bobPlain.send({ action: 'unsubscribe', topic: 'jobs' });
    bobPlain.send({ action: 'subscribe', id: 'marker', topic: 'files' });
    await expect.poll(() => subscriptionsOf(bobPlain), { timeout: 10_000 }).toEqual(['topic:files']);
    const after = (await connectionsOf(fx.tokens.sub.alice)).map((c) => [
      c.connectionId,
      c.subscriptions ?? [],
    ]);
    crossUserProbes++;
    if (JSON.stringify(after) !== JSON.stringify(before)) leak("bob's actions changed alice's connections");
    for (const client of [alicePlain, aliceWatching]) {
      await client.barrier();
      if (client.ws.readyState !== client.ws.OPEN) leak("alice's socket was closed by bob's actions");
    }

    for (const client of strangers) await client.barrier();
    const aliceJobs = [fx.aliceOkJob, fx.aliceBadJob, jobId];
    for (const client of strangers) {
      crossUserProbes++;
      for (const e of aliceEventsOn(client, aliceJobs))
        leak(`${e.type} of alice reached ${client.connectionId}`);
      // Bob's own job is the only thing that makes events for bob; admin did nothing at all.
      for (const e of eventsOf(client)) {
        if (client.userId !== fx.tokens.sub.bob || e.jobId !== bobs.jobId) {
          leak(`${e.type} of job ${e.jobId} on a socket of ${client.userId}`);
        }
      }
    }
    // Seconds after bob's and admin's unsubscribes for alice's job, her subscription is intact
    // (when the previous test got as far as setting it up).
    if (aliceSubscribed !== undefined) {
      crossUserProbes++;
      const kept = await subscriptionsOf(aliceSubscribed);
      if (JSON.stringify(kept) !== JSON.stringify([`job:${fx.aliceOkJob}`])) {
        leak(`alice's subscription changed to ${JSON.stringify(kept)}`);
      }
    }
    // Pushes (the offline fallback) of bob and admin hold nothing of alice's either.
    for (const user of ['bob', 'admin'] as const) {
      crossUserProbes++;
      const pushes = JSON.stringify(await pushesOf(fx.tokens.sub[user]));
      for (const id of [...aliceJobs, fileName(fx.alicePrivatePath)]) {
        if (pushes.includes(id)) leak(`a push to ${user} names ${id}`);
      }
    }
    figures.liveEventsToOwner = eventsOf(alicePlain).length;
    figures.liveProgressEvents = [...eventsOf(alicePlain), ...eventsOf(bobPlain)].filter(
      (e) => e.type === 'job.progress',
    ).length;
    expect(eventsOf(alicePlain).map((e) => e.type)).toEqual(
      expect.arrayContaining(['job.queued', 'job.succeeded', 'file.ready']),
    );
    expect(eventsOf(aliceWatching).every((e) => e.jobId === jobId)).toBe(true);
    expect(leaks.slice(leaksBefore)).toEqual([]);
    figures.sectionsPassed.add('live');
  });

  it('grants shared topics only as the grants say: subscribe, resume, unsubscribe and delivery per caller', async () => {
    const leaksBefore = leaks.length;
    // Who may have each topic: the shipped default, the group rule, a stored grant, no grant.
    const granted = unique('topic-granted');
    const ungranted = unique('topic-ungranted');
    const created = await call(fx.tokens.token.admin, 'POST', `/admin/topics/${granted}/grants`, {
      group: 'analysts',
    });
    expect(created.status, created.text).toBe(201);
    cleanups.push(() => call(fx.tokens.token.admin, 'DELETE', `/admin/topics/${granted}/grants/analysts`));
    const allowed: Readonly<Record<string, readonly Caller[]>> = {
      announcements: ['otherUser', 'rightUser', 'admin'],
      'group:analysts': ['otherUser', 'rightUser'],
      'group:admins': ['admin'],
      [granted]: ['otherUser', 'rightUser'],
      [ungranted]: [],
    };
    const mismatches: string[] = [];
    const sockets: Partial<Record<Caller, Client>> = {};
    for (const kind of CALLERS) sockets[kind] = await connectWithJwt(kind);
    const socketOf = (kind: Caller) => sockets[kind] as Client;

    // An event published before anyone subscribed: only a granted resume may replay it.
    for (const topic of Object.keys(allowed)) {
      const res = await call(fx.tokens.token.admin, 'POST', `/admin/topics/${topic}/events`, {
        title: 'before',
        body: topic,
      });
      expect(res.status, res.text).toBe(202);
    }
    for (const [topic, callers] of Object.entries(allowed)) {
      for (const kind of CALLERS) {
        const client = socketOf(kind);
        const ok = callers.includes(kind);
        figures.wsActionCells += 3;
        const sub = await replyTo(client, { action: 'subscribe', id: `t-sub-${kind}-${topic}`, topic });
        const wantSub = ok ? 'subscribed' : 'error FORBIDDEN';
        const gotSub =
          sub.type === 'error' ? `error ${(sub.error as { code: string }).code}` : String(sub.type);
        if (gotSub !== wantSub) mismatches.push(`subscribe ${topic} × ${kind}: ${JSON.stringify(sub)}`);
        const from = client.frames.length;
        const resumed = await replyTo(client, {
          action: 'resume',
          id: `t-resume-${kind}-${topic}`,
          topic,
          afterSeq: -1,
        });
        const replayed = client.frames.slice(from).filter((f) => f.type === 'topic');
        if (ok && (resumed.type !== 'resumed' || replayed.length === 0)) {
          mismatches.push(`resume ${topic} × ${kind}: ${JSON.stringify(resumed)}`);
        }
        if (!ok) {
          if (resumed.type !== 'error' || (resumed.error as { code: string }).code !== 'FORBIDDEN') {
            mismatches.push(`resume ${topic} × ${kind}: ${JSON.stringify(resumed)}`);
          }
          crossUserProbes++;
          if (replayed.length > 0) leak(`resume replayed ${topic} to ${kind}`);
        }
      }
    }
    // Live: each caller receives exactly the topics it is granted (and subscribed to).
    for (const topic of Object.keys(allowed)) {
      const res = await call(fx.tokens.token.admin, 'POST', `/admin/topics/${topic}/events`, {
        title: 'live',
        body: topic,
      });
      expect(res.status, res.text).toBe(202);
    }
    const liveTopics = (kind: Caller) =>
      socketOf(kind)
        .frames.filter((f) => f.type === 'topic' && (f.event as { title: string }).title === 'live')
        .map((f) => (f.event as { topic: string }).topic);
    for (const kind of CALLERS) {
      const expected = Object.keys(allowed).filter((topic) => allowed[topic]?.includes(kind));
      const deadline = Date.now() + 15_000;
      while (liveTopics(kind).length < expected.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await socketOf(kind).barrier();
      const got = liveTopics(kind);
      crossUserProbes++;
      for (const topic of got) if (!expected.includes(topic)) leak(`${kind} received ${topic}`);
      if ([...got].sort().join() !== [...expected].sort().join()) {
        mismatches.push(`live × ${kind}: got ${got.join(',')}, expected ${expected.join(',')}`);
      }
    }
    // unsubscribe: silent, and no later event of the topic arrives.
    for (const kind of CALLERS) {
      figures.wsActionCells++;
      socketOf(kind).send({ action: 'unsubscribe', topic: 'announcements' });
      await socketOf(kind).barrier();
    }
    const after = await call(fx.tokens.token.admin, 'POST', '/admin/topics/announcements/events', {
      title: 'after-unsubscribe',
      body: '',
    });
    expect(after.status, after.text).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const kind of CALLERS) {
      const late = socketOf(kind).frames.filter(
        (f) => f.type === 'topic' && (f.event as { title: string }).title === 'after-unsubscribe',
      );
      if (late.length > 0) mismatches.push(`${kind} received announcements after unsubscribing`);
      const errors = socketOf(kind).frames.filter((f) => f.type === 'error' && f.id === undefined);
      if (errors.length > 0) mismatches.push(`${kind}: unsubscribe answered ${JSON.stringify(errors)}`);
      socketOf(kind).close();
    }
    expect({ mismatches, leaks: leaks.slice(leaksBefore) }).toEqual({ mismatches: [], leaks: [] });
    figures.sectionsPassed.add('topics');
  });

  it('records the figures', () => {
    // A failed section records nothing (report.ts): the figures are what was verified.
    expect([...figures.sectionsPassed].sort()).toEqual([
      'actions',
      'connect',
      'cursor',
      'datasets',
      'documented',
      'links',
      'live',
      'paths',
      'rest',
      'table',
      'topics',
    ]);
    const restCells = figures.restCells;
    recordFigures('authorization', {
      restRoutes: restRoutes().length,
      tokenKinds: TOKEN_KINDS.length,
      restCells,
      wsConnectCells: figures.wsConnectCells,
      wsActionCells: figures.wsActionCells,
      pathProbes: figures.pathProbes,
      datasetCells: figures.datasetCells,
      cellsChecked:
        restCells +
        figures.wsConnectCells +
        figures.wsActionCells +
        figures.pathProbes +
        figures.datasetCells,
      crossUserProbes,
      crossUserReadsFound: leaks.length,
      liveEventsToOwner: figures.liveEventsToOwner,
      liveProgressEvents: figures.liveProgressEvents,
    });
  });
});
