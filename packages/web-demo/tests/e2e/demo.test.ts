import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The run's ONE local stack (packages/local/tests/global-setup.ts); it serves the demo at `/`.
const stack = inject('stack' as never) as {
  localUrl: string;
  apiUrl: string;
  wsUrl: string;
  identity: { issuer: string };
  postgres: { connectionString: string };
};

const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));
/** The sample SRV-GW serves packages/local/samples; `public/` is open to every signed-in user. */
const SAMPLE_FILE = 'public/readme.txt';
const SAMPLE_BYTES = readFileSync(
  fileURLToPath(new URL(`../../../local/samples/${SAMPLE_FILE}`, import.meta.url)),
);

/**
 * Big enough for the worker to report processing progress while it loads: its first
 * `job.progress` comes 250 ms after the load started (then at most one per 250 ms and per 5 %),
 * and it loads up to ~310k rows/s on this machine kind (100,000 rows in 321 ms, measured), so
 * 100,000 rows sometimes finished before the first report and the bar went from `queued` straight
 * to `succeeded`. 400,000 rows (~48 MB) take at least ~1.3 s: several reports, whatever the load.
 */
const GOOD_ROWS = 400_000;
const HEADER = 'transaction_id,customer_external_id,amount,currency,occurred_at,note';

/** `rows` valid rows; ids share a random prefix and end in the row number (two UUIDs a row cost 2 s). */
function transactionsCsv(rows: number): string {
  const run = randomUUID().slice(0, 23);
  const customer = randomUUID();
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    const id = `${run}-${i.toString(16).padStart(12, '0')}`;
    lines.push(`${id},${customer},${(i % 5000) + 0.25},EUR,2026-03-01T10:00:00Z,demo row ${i}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What the progress bar showed, one entry per change. */
interface Seen {
  readonly phase: string;
  readonly percent: number;
  readonly detail: string;
}

let context: BrowserContext;
let userDataDir: string;
let filesDir: string;

beforeAll(async () => {
  userDataDir = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
  filesDir = mkdtempSync(join(tmpdir(), 'herald-demo-files-'));
  mkdirSync(RESULTS_DIR, { recursive: true });
  // A persistent context is how Playwright takes a user-data-dir: a fresh one per run.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1200, height: 900 },
    acceptDownloads: true,
  });
});

afterAll(async () => {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
  rmSync(filesDir, { recursive: true, force: true });
});

/** Opens the demo, signs in as a dev user and waits for the live connection. */
async function openSignedIn(username: string): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${stack.localUrl}/`);
  expect(await page.title(), 'the local stack serves the web demo at /').toBe('Herald demo');
  const user = page.getByTestId('sign-in-user');
  await user.locator(`option[value="${username}"]`).waitFor({ state: 'attached' });
  await user.selectOption(username);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('signed-in-user').filter({ hasText: username }).waitFor();
  // Live events need the WebSocket; when it does not open, the badge's title says why.
  const badge = page.getByTestId('connection-state');
  await page
    .locator('[data-testid="connection-state"][data-state="open"]')
    .waitFor({ timeout: 15_000 })
    .catch(() => undefined);
  const connection = {
    state: await badge.getAttribute('data-state'),
    error: await badge.getAttribute('title'),
  };
  expect(connection, 'the WebSocket connection opened').toMatchObject({ state: 'open' });
  return { page, pageErrors };
}

/** Records every change of the progress bar in the page, from now on. */
async function recordProgress(page: Page): Promise<() => Promise<Seen[]>> {
  await page.evaluate(() => {
    const seen: { phase: string; percent: number; detail: string }[] = [];
    (window as unknown as { __progress: typeof seen }).__progress = seen;
    const read = () => {
      const root = document.querySelector<HTMLElement>('[data-testid="upload-progress"]');
      const bar = root?.querySelector('[role="progressbar"]');
      if (!root || !bar) return;
      const entry = {
        phase: root.dataset.phase ?? '',
        percent: Number(bar.getAttribute('aria-valuenow')),
        detail: root.querySelector('[data-testid="upload-detail"]')?.textContent ?? '',
      };
      const last = seen.at(-1);
      if (
        !last ||
        last.phase !== entry.phase ||
        last.percent !== entry.percent ||
        last.detail !== entry.detail
      ) {
        seen.push(entry);
      }
    };
    new MutationObserver(read).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
  return () => page.evaluate(() => (window as unknown as { __progress: Seen[] }).__progress);
}

async function chooseCsv(page: Page, dataset: string, name: string, content: string): Promise<void> {
  const path = join(filesDir, name);
  writeFileSync(path, content);
  await page.getByTestId('upload-dataset').selectOption(dataset);
  await page.getByTestId('upload-file').setInputFiles(path);
}

/**
 * Uploads a large file with the dev "slow network" and "network drop" controls on, and waits until
 * the page resumed it (parts of ~2 s each: the resume is still sending). Answers the job id.
 */
async function startSlowResume(page: Page, fileName: string): Promise<string> {
  await chooseCsv(page, 'transactions', fileName, transactionsCsv(GOOD_ROWS));
  await page.getByTestId('upload-slow').check();
  await page.getByTestId('upload-drop').check();
  await page.getByTestId('upload-submit').click();
  await page.getByTestId('upload-resumed').waitFor({ timeout: 60_000 });
  expect(await page.getByTestId('upload-progress').getAttribute('data-phase')).toBe('uploading');
  return (await page.getByTestId('upload-job-id').textContent()) ?? '';
}

/** The rows a job loaded into `transactions`, counted in PostgreSQL. */
async function rowsLoadedBy(jobId: string): Promise<number | undefined> {
  const db = new pg.Client({ connectionString: stack.postgres.connectionString });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM transactions WHERE _job_id = $1',
      [jobId],
    );
    return rows[0]?.n;
  } finally {
    await db.end();
  }
}

function nonDecreasing(values: readonly number[]): boolean {
  return values.every((v, i) => i === 0 || v >= (values[i - 1] as number));
}

describe('web demo (Chromium)', () => {
  it('uploads a CSV with a live progress bar that reaches 100 % and a success notice', async () => {
    const { page, pageErrors } = await openSignedIn('alice');
    const progress = await recordProgress(page);
    await chooseCsv(page, 'transactions', 'transactions.csv', transactionsCsv(GOOD_ROWS));
    await page.getByTestId('upload-submit').click();

    const notice = page.locator('[data-testid="upload-notice"]');
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.getAttribute('data-kind')).toBe('success');
    expect(await notice.textContent()).toContain(`${GOOD_ROWS.toLocaleString('en-US')} rows loaded`);

    const bar = page.getByTestId('upload-progress');
    expect(await bar.getAttribute('data-phase')).toBe('succeeded');
    expect(await bar.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(await page.getByTestId('upload-percent').textContent()).toBe('100 %');

    // The bar moved through the upload bytes, then processing with rows/s and ETA, to 100 %.
    const seen = await progress();
    const phases = [...new Set(seen.map((s) => s.phase))];
    expect(phases).toEqual(expect.arrayContaining(['uploading', 'processing', 'succeeded']));
    expect(phases.indexOf('uploading')).toBeLessThan(phases.indexOf('processing'));
    expect(phases.at(-1)).toBe('succeeded');
    const uploading = seen.filter((s) => s.phase === 'uploading').map((s) => s.percent);
    expect(nonDecreasing(uploading)).toBe(true);
    expect(uploading.at(-1)).toBe(100);
    const processing = seen.filter((s) => s.phase === 'processing');
    expect(nonDecreasing(processing.map((s) => s.percent))).toBe(true);
    expect(processing.some((s) => s.percent > 0 && s.percent < 100)).toBe(true);
    expect(processing.some((s) => /[\d,]+ rows · [\d,]+ rows\/s · ETA \d/.test(s.detail))).toBe(true);

    // The history lists the job, finished.
    const jobId = await page.getByTestId('upload-job-id').textContent();
    const row = page.locator(`[data-testid="job-row"][data-job-id="${jobId}"][data-state="succeeded"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain(GOOD_ROWS.toLocaleString('en-US'));

    await page.screenshot({
      path: join(RESULTS_DIR, 'upload-finished.png'),
      fullPage: true,
      animations: 'disabled',
    });
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 90_000);

  it('shows the line, column, value and reason of a refused CSV in a table', async () => {
    const { page, pageErrors } = await openSignedIn('alice');
    const bad = [
      HEADER,
      `${randomUUID()},${randomUUID()},10.00,EUR,2026-03-01T10:00:00Z,fine`,
      `${randomUUID()},${randomUUID()},"12,5",EUR,2026-03-01T10:00:00Z,decimal comma`,
      `${randomUUID()},${randomUUID()},11.00,EUR,2026-03-01T10:00:00Z,fine`,
    ].join('\n');
    await chooseCsv(page, 'transactions', 'bad-transactions.csv', `${bad}\n`);
    await page.getByTestId('upload-submit').click();

    const notice = page.locator('[data-testid="upload-notice"]');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.getAttribute('data-kind')).toBe('failure');
    expect(await notice.textContent()).toContain('nothing was loaded');
    expect(await page.getByTestId('upload-progress').getAttribute('data-phase')).toBe('failed');

    const rows = page.getByTestId('row-errors').getByTestId('row-error');
    expect(await rows.count()).toBe(1);
    const cells = await rows.first().locator('td').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['3', 'amount', '12,5']);
    expect(cells[3]).toMatch(/number/i);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('resumes an upload in parts cut at ~50 % by the page and loads every row exactly once', async () => {
    const { page, pageErrors } = await openSignedIn('alice');
    // Part PUTs carry `partNumber` in their presigned URL; count how each one ended.
    const landed: string[] = [];
    const cut: string[] = [];
    const partOf = (url: string) => new URL(url).searchParams.get('partNumber');
    page.on('requestfinished', (r) => {
      const n = r.method() === 'PUT' ? partOf(r.url()) : null;
      if (n) landed.push(n);
    });
    page.on('requestfailed', (r) => {
      const n = r.method() === 'PUT' ? partOf(r.url()) : null;
      if (n) cut.push(n);
    });
    const csv = transactionsCsv(GOOD_ROWS);
    // The stack sends files of 16 MiB or more in parts.
    expect(csv.length).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    await chooseCsv(page, 'transactions', 'transactions-resumed.csv', csv);
    await page.getByTestId('upload-drop').check();
    await page.getByTestId('upload-submit').click();

    const notice = page.locator('[data-testid="upload-notice"]');
    await notice.waitFor({ timeout: 90_000 });
    expect(await notice.getAttribute('data-kind'), (await notice.textContent()) ?? '').toBe('success');
    expect(await notice.textContent()).toContain(`${GOOD_ROWS.toLocaleString('en-US')} rows loaded`);
    expect(await page.getByTestId('upload-progress').getAttribute('data-phase')).toBe('succeeded');

    // The page cut the part requests in flight once half the bytes had landed, then resumed
    // from the parts storage held: at 50 % or more, never from zero, no part sent twice.
    const resumed = page.getByTestId('upload-resumed');
    expect(await resumed.count(), 'the page showed where the upload resumed').toBe(1);
    expect(await resumed.textContent()).toMatch(/^Network dropped at \d+ %; resumed at [\d.]+ %\.$/);
    const resumedAt = Number(await resumed.getAttribute('data-percent'));
    expect(resumedAt).toBeGreaterThanOrEqual(50);
    expect(resumedAt).toBeLessThan(100);
    expect(cut.length).toBeGreaterThan(0);
    expect(new Set(landed).size).toBe(landed.length);

    const jobId = (await page.getByTestId('upload-job-id').textContent()) ?? '';
    expect(await rowsLoadedBy(jobId)).toBe(GOOD_ROWS);
    await page
      .locator(`[data-testid="job-row"][data-job-id="${jobId}"][data-state="succeeded"]`)
      .waitFor({ timeout: 10_000 });

    await page.screenshot({
      path: join(RESULTS_DIR, 'upload-resumed.png'),
      fullPage: true,
      animations: 'disabled',
    });
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('resumes after a page reload from the token it kept, once the same file is picked again', async () => {
    const { page, pageErrors } = await openSignedIn('alice');
    // The reload lands while the page's own resume is still sending.
    const jobId = await startSlowResume(page, 'transactions-reloaded.csv');

    await page.reload();
    const user = page.getByTestId('sign-in-user');
    await user.locator('option[value="alice"]').waitFor({ state: 'attached' });
    await user.selectOption('alice');
    await page.getByTestId('sign-in-submit').click();
    const resume = page.getByTestId('upload-resume');
    await resume.waitFor();
    expect(await resume.isDisabled(), 'no file picked yet').toBe(true);
    await page.getByTestId('upload-dataset').selectOption('transactions');
    await page.getByTestId('upload-file').setInputFiles(join(filesDir, 'transactions-reloaded.csv'));
    await resume.click();

    const notice = page.locator('[data-testid="upload-notice"]');
    await notice.waitFor({ timeout: 90_000 });
    expect(await notice.getAttribute('data-kind'), (await notice.textContent()) ?? '').toBe('success');
    expect(await page.getByTestId('upload-job-id').textContent()).toBe(jobId);
    const resumedAt = Number(await page.getByTestId('upload-resumed').getAttribute('data-percent'));
    expect(resumedAt).toBeGreaterThanOrEqual(50);
    expect(resumedAt, 'the parts still waiting when the page reloaded were sent after it').toBeLessThan(100);
    expect(await page.evaluate(() => localStorage.getItem('herald-demo.resume'))).toBeNull();

    expect(await rowsLoadedBy(jobId)).toBe(GOOD_ROWS);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 150_000);

  it('cancels a resume in flight: its part requests stop, the upload is discarded, nothing is loaded', async () => {
    const { page, pageErrors } = await openSignedIn('alice');
    // The cancel lands while the resume is still sending.
    const jobId = await startSlowResume(page, 'transactions-cancelled.csv');

    const partPuts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && new URL(r.url()).searchParams.has('partNumber')) partPuts.push(r.url());
    });
    await page.getByTestId('upload-cancel').click();
    const notice = page.locator('[data-testid="upload-notice"]');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.getAttribute('data-kind')).toBe('failure');
    expect(await notice.textContent()).toContain('The upload was cancelled.');
    const sentAtCancel = partPuts.length;
    await page
      .locator(`[data-testid="job-row"][data-job-id="${jobId}"][data-state="failed"]`)
      .waitFor({ timeout: 10_000 });
    // Two part durations later: no part request started after the cancel settled.
    await page.waitForTimeout(4_000);
    expect(partPuts.length).toBe(sentAtCancel);
    expect(await page.evaluate(() => localStorage.getItem('herald-demo.resume'))).toBeNull();
    expect(await page.getByTestId('upload-resume').count(), 'nothing left to resume').toBe(0);

    const db = new pg.Client({ connectionString: stack.postgres.connectionString });
    await db.connect();
    try {
      const { rows } = await db.query<{ state: string; code: string | null }>(
        "SELECT state, error ->> 'code' AS code FROM ingest_jobs WHERE job_id = $1",
        [jobId],
      );
      expect(rows[0]).toEqual({ state: 'failed', code: 'UPLOAD_ABORTED' });
    } finally {
      await db.end();
    }
    expect(await rowsLoadedBy(jobId)).toBe(0);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 150_000);

  // Fails until file delivery (`POST /files/links`) exists on the server.
  it('requests a file by path and downloads it through the link it shows', async () => {
    const { page, pageErrors } = await openSignedIn('alice');
    await page.getByTestId('file-path').fill(SAMPLE_FILE);
    await page.getByTestId('file-submit').click();

    const answer = page.locator('[data-testid="file-link"], [data-testid="file-error"]');
    await answer.first().waitFor({ timeout: 60_000 });
    const error = page.getByTestId('file-error');
    const problem = (await error.isVisible()) ? await error.textContent() : null;
    expect(problem, 'the demo showed an error instead of a download link').toBeNull();
    const link = page.getByTestId('file-link');
    expect(await link.textContent()).toContain('readme.txt');

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), link.click()]);
    expect(download.suggestedFilename()).toBe('readme.txt');
    const saved = join(filesDir, 'downloaded.txt');
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(SAMPLE_BYTES)).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 90_000);

  // The demo is served from another origin than the API, as a deployed app is: every call above
  // went cross-origin and worked because the handlers answer the allowed origin with CORS
  // headers (API Gateway adds none). A page of an origin the API does not allow is refused.
  it('is refused by the API from an origin it does not allow, and read from the demo’s', async () => {
    const elsewhere = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const otherOrigin = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    const tokenRes = await fetch(`${stack.identity.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice' }),
    });
    const { idToken } = (await tokenRes.json()) as { idToken: string };
    const page = await context.newPage();
    const callApi = () =>
      page.evaluate(
        async ({ apiUrl, token }) => {
          try {
            const res = await fetch(`${apiUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
            return `read ${res.status}`;
          } catch (error) {
            return `refused ${(error as Error).name}`;
          }
        },
        { apiUrl: stack.apiUrl, token: idToken },
      );
    try {
      await page.goto(`${otherOrigin}/`);
      expect(await callApi()).toBe('refused TypeError');
      await page.goto(`${stack.localUrl}/`);
      expect(await callApi()).toBe('read 200');
    } finally {
      await page.close();
      // Chromium keeps its connection alive: close it, or close() waits for it.
      elsewhere.closeAllConnections();
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  });
});
