import { type Metrics, noMetrics } from '@herald/runtime';
import type { RealtimeDeps } from '../../src/compose.ts';
import { createPublisher } from '../../src/core/publisher.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeConnectionPoster } from './fake-connection-poster.ts';
import { FakeTokenVerifier } from './fake-token-verifier.ts';
import { InMemoryConnectionStore } from './in-memory-connection-store.ts';
import { InMemoryDeviceStore } from './in-memory-device-store.ts';
import { InMemoryJobEventLog } from './in-memory-job-event-log.ts';
import { InMemoryTicketStore } from './in-memory-ticket-store.ts';
import {
  InMemoryTopicEventLog,
  InMemoryTopicGrantStore,
  InMemoryTopicSubscriptionStore,
  RecordingFanoutQueue,
} from './in-memory-topic-stores.ts';
import { RecordingLogger } from './recording-logger.ts';
import { RecordingPushSender } from './recording-push-sender.ts';

/** Deterministic "random" bytes: 0, 1, 2, … (a test can predict the ticket). */
export function countingBytes(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => i);
}

/** A full set of in-memory deps, with handles on each fake for assertions. */
export function fakeDeps(now = '2025-06-01T12:00:00.000Z', options: { metrics?: Metrics } = {}) {
  const metrics = options.metrics ?? noMetrics;
  const connections = new InMemoryConnectionStore();
  const tickets = new InMemoryTicketStore();
  const devices = new InMemoryDeviceStore();
  const eventLog = new InMemoryJobEventLog();
  const poster = new FakeConnectionPoster();
  const push = new RecordingPushSender();
  const tokens = new FakeTokenVerifier();
  const clock = new FakeClock(now);
  const logs = new RecordingLogger();
  const topicGrants = new InMemoryTopicGrantStore();
  const topicSubscriptions = new InMemoryTopicSubscriptionStore();
  const topicEvents = new InMemoryTopicEventLog();
  const fanout = new RecordingFanoutQueue();
  const publisher = createPublisher({
    connections,
    poster,
    eventLog,
    devices,
    push,
    clock,
    log: logs.logger,
    metrics,
    sleep: async () => {},
  });
  const deps: RealtimeDeps = {
    connections,
    subscriptions: connections,
    tickets,
    devices,
    eventLog,
    poster,
    publisher,
    tokens,
    clock,
    log: logs.logger,
    cors: { allowedOrigins: [] },
    metrics,
    randomBytes: countingBytes,
    connectionTtlSeconds: 10_800,
    maxDevicesPerUser: 3,
    publishConcurrency: 8,
    topicGrants,
    topicSubscriptions,
    topicEvents,
    fanout,
    topicShardSize: 500,
    topicEventTtlSeconds: 3600,
  };
  return {
    deps,
    provide: () => deps,
    connections,
    tickets,
    devices,
    eventLog,
    poster,
    push,
    tokens,
    clock,
    logs,
    topicGrants,
    topicSubscriptions,
    topicEvents,
    fanout,
  };
}
