import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalStack, startLocalStack } from '../../src/index.ts';
import { stack as sharedStack } from '../support.ts';

// The per-IP `$connect` limit (ADR 004) through the local gateway: a stack of its own on a copy
// of the run's assembly whose authorizer allows 3 attempts per address and minute (dev's own
// allowance is far above what any test opens).

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
const LIMIT = 3;

/** A copy of the assembly with the authorizer's `HERALD_CONNECT_LIMIT_PER_MINUTE` set to `limit`. */
function assemblyWithConnectLimit(source: string, limit: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-connect-limit-'));
  for (const entry of readdirSync(source)) {
    if (statSync(join(source, entry)).isDirectory()) symlinkSync(join(source, entry), join(dir, entry));
    else copyFileSync(join(source, entry), join(dir, entry));
  }
  const file = join(dir, 'HeraldDev.template.json');
  const template = JSON.parse(readFileSync(file, 'utf8')) as Template;
  const authorizer = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Description === 'realtime/ws-authorize',
  );
  const variables = (
    authorizer?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
  )?.Variables;
  if (variables?.HERALD_CONNECT_LIMIT_PER_MINUTE === undefined)
    throw new Error('the authorizer has no HERALD_CONNECT_LIMIT_PER_MINUTE');
  variables.HERALD_CONNECT_LIMIT_PER_MINUTE = String(limit);
  writeFileSync(file, JSON.stringify(template));
  return dir;
}

/** The handshake's outcome: `open` or the HTTP status that refused it. */
function handshake(url: string, protocols: string[]): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

let stack: LocalStack;
const dirs: string[] = [];
beforeAll(async () => {
  const assembly = assemblyWithConnectLimit(sharedStack().assemblyDir, LIMIT);
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-connect-limit-stack-'));
  dirs.push(assembly, dataDir);
  stack = await startLocalStack({ dataDir, fresh: true, assemblyDir: assembly, logLevel: 'error' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the per-IP $connect limit', () => {
  it('admits an address its attempts per minute, then answers 401 before checking its token', async () => {
    // Counters are per minute: start early in one, so the attempts below share it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    const token = await stack.issueToken('alice');
    const outcomes: Array<'open' | number> = [];
    for (let i = 0; i < LIMIT + 2; i++) outcomes.push(await handshake(stack.wsUrl, ['herald.v1', token]));
    expect(outcomes).toEqual([...Array(LIMIT).fill('open'), 401, 401]);
    expect(stack.iam.refused()).toEqual([]);
  }, 60_000);
});
