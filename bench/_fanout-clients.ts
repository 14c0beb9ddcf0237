// The WebSocket clients of bench/realtime.ts, in their own process (the gateway and the bare
// server each hold one descriptor per connection, and a process may hold 20,000). Driven over IPC:
//   {cmd:'connect', group, url, protocols, count, concurrency} → {type:'connected', group, ok, failed}
//   {cmd:'count', group, target}   → {type:'counted', group, count, lastAt} once `target` frames arrived
//   {cmd:'record', group}          → starts recording (seq, receivedAt) of every frame of the group
//   {cmd:'report', group}          → {type:'report', group, samples: [[seq, receivedAt], ...]}
//   {cmd:'exit'}
// Times are `performance.timeOrigin + performance.now()`, comparable across processes.
import { now } from './_stats.ts';
import { openMany, openSocket, type Socket } from './_ws.ts';

type Message =
  | { cmd: 'connect'; group: string; url: string; protocols: string[]; count: number; concurrency: number }
  | { cmd: 'count'; group: string; target: number }
  | { cmd: 'record'; group: string }
  | { cmd: 'report'; group: string }
  | { cmd: 'exit' };

interface Group {
  readonly sockets: Socket[];
  count: number;
  target: number;
  lastAt: number;
  recording: boolean;
  samples: Array<[number, number]>;
}

const groups = new Map<string, Group>();
const send = (message: unknown) => process.send?.(message);

function groupOf(name: string): Group {
  let group = groups.get(name);
  if (!group) {
    group = { sockets: [], count: 0, target: 0, lastAt: 0, recording: false, samples: [] };
    groups.set(name, group);
  }
  return group;
}

function onFrame(name: string, group: Group, data: unknown): void {
  const at = now();
  if (group.recording) {
    const frame = JSON.parse(String(data)) as { event?: { seq?: number } };
    group.samples.push([frame.event?.seq ?? -1, at]);
  }
  if (group.target > 0) {
    group.count++;
    group.lastAt = at;
    if (group.count === group.target) {
      group.target = 0;
      send({ type: 'counted', group: name, count: group.count, lastAt: at });
    }
  }
}

process.on('message', async (message: Message) => {
  switch (message.cmd) {
    case 'connect': {
      const group = groupOf(message.group);
      const { ok, failed } = await openMany(message.count, message.concurrency, () =>
        openSocket(message.url, message.protocols, (ws) => {
          group.sockets.push(ws);
          ws.on('message', (data) => onFrame(message.group, group, data));
        }),
      );
      send({ type: 'connected', group: message.group, ok, failed });
      return;
    }
    case 'count': {
      const group = groupOf(message.group);
      group.count = 0;
      group.target = message.target;
      send({ type: 'counting', group: message.group });
      return;
    }
    case 'record': {
      const group = groupOf(message.group);
      group.samples = [];
      group.recording = true;
      send({ type: 'recording', group: message.group });
      return;
    }
    case 'report': {
      const group = groupOf(message.group);
      group.recording = false;
      send({ type: 'report', group: message.group, samples: group.samples });
      group.samples = [];
      return;
    }
    case 'exit':
      for (const group of groups.values()) for (const ws of group.sockets) ws.terminate();
      process.exit(0);
  }
});
send({ type: 'ready' });
