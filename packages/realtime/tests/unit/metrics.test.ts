import { createJsonLogger } from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import { describe, expect, it } from 'vitest';
import { emfPoints, printedEmf } from '../../../runtime/tests/support/emf.ts';
import { makeSnsNotifyHandler } from '../../src/handlers/sns-notify.ts';
import { fakeDeps } from '../fakes/fake-deps.ts';
import { events, JOB_A } from '../helpers/events.ts';

// What a publish prints for CloudWatch (EMF), through the real adapter, as the SNS subscriber
// flushes it at the end of its invocation.
function setup() {
  const metrics = new EmfMetrics({ service: 'herald-realtime', log: createJsonLogger({}, () => {}) });
  const f = fakeDeps(undefined, { metrics });
  const notify = (event: unknown) =>
    makeSnsNotifyHandler(f.provide)({
      Records: [{ Sns: { MessageId: 'm-1', Message: JSON.stringify({ userId: 'alice', event }) } }],
    });
  const connect = (connectionId: string) =>
    f.connections.put({
      connectionId,
      userId: 'alice',
      connectedAt: f.clock.now(),
      expiresAt: f.clock.now() / 1000 + 60,
    });
  return { f, notify, connect };
}

describe('publisher metrics (EMF)', () => {
  it('counts deliveries by outcome, namespace Herald, never a user or job id as a dimension', async () => {
    const { f, notify, connect } = setup();
    await connect('a1=');
    await connect('a2=');
    await connect('a3=');
    f.poster.gone('a3=');
    const docs = await printedEmf(() => notify(events(JOB_A).succeeded));
    expect(emfPoints(docs)).toEqual(
      expect.arrayContaining([
        {
          namespace: 'Herald',
          name: 'Deliveries',
          unit: 'Count',
          value: 2,
          dimensions: { service: 'herald-realtime', outcome: 'delivered' },
        },
        {
          namespace: 'Herald',
          name: 'Deliveries',
          unit: 'Count',
          value: 1,
          dimensions: { service: 'herald-realtime', outcome: 'gone' },
        },
      ]),
    );
    expect(emfPoints(docs)).toHaveLength(2);
    for (const doc of docs) {
      const dimensions = doc._aws.CloudWatchMetrics.flatMap((block) => block.Dimensions.flat());
      expect(dimensions).not.toContain('userId');
      expect(dimensions).not.toContain('jobId');
    }
  });

  it('counts pushes sent and invalid tokens when a terminal event reaches no connection', async () => {
    const { f, notify } = setup();
    const now = f.clock.now();
    for (const token of ['t-ok', 't-dead']) {
      await f.devices.register(
        { userId: 'alice', token, platform: 'ios', registeredAt: now, expiresAt: now / 1000 + 3600 },
        10,
        now,
      );
    }
    f.push.unregister('t-dead');
    const points = emfPoints(await printedEmf(() => notify(events(JOB_A).succeeded)));
    expect(points.map(({ name, unit, value, dimensions }) => ({ name, unit, value, dimensions }))).toEqual([
      { name: 'PushesSent', unit: 'Count', value: 1, dimensions: { service: 'herald-realtime' } },
      { name: 'PushInvalidTokens', unit: 'Count', value: 1, dimensions: { service: 'herald-realtime' } },
    ]);
  });
});
