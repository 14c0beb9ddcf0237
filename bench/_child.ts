// A benchmark's helper process, driven over IPC (bench/realtime.ts, bench/soak.ts). Load
// generators and the system under test live in separate processes: on 2 cores they compete
// anyway, but each process's RSS, event loop and descriptors are then its own (and a process
// may hold at most 20,000 open files here: 10,000 sockets need both ends in different processes).
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A child process driven over IPC: `ask` sends a command and waits for the matching reply. */
export class Child {
  readonly #inbox: Array<Record<string, unknown>> = [];
  readonly #waiters = new Set<() => void>();

  constructor(readonly process: ChildProcess) {
    process.on('message', (m) => {
      this.#inbox.push(m as Record<string, unknown>);
      for (const wake of this.#waiters) wake();
    });
  }

  reply(
    match: (m: Record<string, unknown>) => boolean,
    timeoutMs = 900_000,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.#inbox.findIndex(match);
        if (i < 0) return;
        const [m] = this.#inbox.splice(i, 1);
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(m as Record<string, unknown>);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error('a child process did not answer in time'));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  ask(message: Record<string, unknown>, type: string): Promise<Record<string, unknown>> {
    this.process.send(message);
    return this.reply((m) => m.type === type && (message.group === undefined || m.group === message.group));
  }

  async exit(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.send({ cmd: 'exit' });
    await exited;
  }
}

/** Forks `bench/<file>` under tsx with this environment; `execArgv` adds Node flags. */
export function forkChild(file: string, env: NodeJS.ProcessEnv, execArgv: readonly string[] = []): Child {
  return new Child(
    fork(join(here, file), [], {
      execArgv: ['--import', 'tsx', ...execArgv],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
}
