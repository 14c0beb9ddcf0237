import type { RealtimeDeps } from '../../src/compose.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeTokenVerifier } from './fake-token-verifier.ts';
import { InMemoryConnectionStore } from './in-memory-connection-store.ts';
import { RecordingLogger } from './recording-logger.ts';

/** A full set of in-memory deps, with handles on each fake for assertions. */
export function fakeDeps(now = '2025-06-01T12:00:00.000Z') {
  const connections = new InMemoryConnectionStore();
  const tokens = new FakeTokenVerifier();
  const clock = new FakeClock(now);
  const logs = new RecordingLogger();
  const deps: RealtimeDeps = { connections, tokens, clock, log: logs.logger, connectionTtlSeconds: 10_800 };
  return { deps, provide: () => deps, connections, tokens, clock, logs };
}
