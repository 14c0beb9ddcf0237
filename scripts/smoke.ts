// Post-deploy smoke test: proves a deployed (or the local) stack end to end with the real SDK.
//   HERALD_API_URL=… HERALD_WS_URL=… HERALD_TOKEN=<Cognito ID token> pnpm exec tsx scripts/smoke.ts [--file <path>]
// One line per check; exits non-zero on the first failure. See docs/deploy.md.
import { parseArgs } from 'node:util';
import { createHeraldClient } from '@herald/client-sdk';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: { file: { type: 'string' }, timeout: { type: 'string', default: '60' } },
});
const apiUrl = process.env.HERALD_API_URL;
const wsUrl = process.env.HERALD_WS_URL;
const token = process.env.HERALD_TOKEN;
if (!apiUrl || !wsUrl || !token) {
  console.error(
    'set HERALD_API_URL, HERALD_WS_URL and HERALD_TOKEN (a Cognito ID token of a smoke-test user)',
  );
  process.exit(2);
}

const client = createHeraldClient({ apiUrl, wsUrl, getToken: () => token, WebSocket });
const timeoutMs = Number(values.timeout) * 1000;

async function check(name: string, run: () => Promise<string>): Promise<void> {
  const started = Date.now();
  try {
    const detail = await run();
    console.log(`ok    ${name} (${Date.now() - started} ms)${detail ? `: ${detail}` : ''}`);
  } catch (error) {
    console.log(`FAIL  ${name}: ${(error as Error).message}`);
    client.close();
    process.exit(1);
  }
}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

await check('GET /me with the token', async () => {
  const me = await client.me();
  return `${me.username} (${me.groups.join(', ') || 'no groups'})`;
});

await check('no token → 401 with the error envelope', async () => {
  const res = await fetch(`${apiUrl}/me`);
  const body = (await res.json()) as { code?: string };
  expect(res.status === 401, `status ${res.status}`);
  return `code ${body.code ?? '(none)'}`;
});

let jobId = '';
await check('upload 3 transactions rows and follow the job to success', async () => {
  const rows = [0, 1, 2].map(
    (i) =>
      `${crypto.randomUUID()},${crypto.randomUUID()},${i + 1}.50,EUR,2026-01-0${i + 1}T10:00:00Z,smoke ${i}`,
  );
  const csv = `transaction_id,customer_external_id,amount,currency,occurred_at,note\n${rows.join('\n')}\n`;
  const upload = client.upload(new Blob([csv], { type: 'text/csv' }), {
    dataset: 'transactions',
    fileName: 'smoke.csv',
  });
  jobId = upload.jobId ?? '';
  const result = await Promise.race([
    upload.done,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no result in time')), timeoutMs)),
  ]);
  jobId = result.jobId;
  expect(result.rowsLoaded === 3, `rowsLoaded ${result.rowsLoaded}`);
  return `job ${result.jobId}`;
});

await check('GET /jobs/{id} reports succeeded', async () => {
  const job = await client.job(jobId);
  expect(job.state === 'succeeded', `state ${job.state}`);
  return `${job.rowsLoaded} rows`;
});

if (values.file) {
  const path = values.file;
  await check(`file link for ${path} downloads`, async () => {
    const link = await client.getFileLink(path);
    const res = await fetch(link.url);
    expect(res.ok, `download status ${res.status}`);
    const bytes = (await res.arrayBuffer()).byteLength;
    expect(bytes === link.size, `downloaded ${bytes} bytes, expected ${link.size}`);
    return `${bytes} bytes, ${link.contentType}`;
  });
}

client.close();
console.log('smoke test passed');
