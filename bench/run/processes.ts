/**
 * The two processes of every run: a fresh server (`server.js`, pinned to core 0)
 * and a fresh load generator (`load.js`, pinned to core 1), each driven by
 * commands over IPC and ended by its PID when the run is over.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, type ChildOptions } from '../child.js';
import type { ContenderName, ReadyMessage, Reply } from '../common.js';
import type { RunContext } from './record.js';

/** build/bench/, where server.js and load.js are. */
export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The package root. */
export const ROOT = path.resolve(BENCH_DIR, '..', '..');

/** Time a child has to start and say it is ready. */
const READY_MS = 20_000;

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const isReady = (m: unknown): m is { type: 'ready' } =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready';

/**
 * A child that serves commands (common.ts's `serveCommands`): each command
 * carries a request id, and the reply with that id settles its call.
 */
export class CommandChild {
  private readonly child: Child;
  private rid = 0;
  private readonly pending = new Map<number, Pending>();
  /** The child's `ready` message; rejects when it does not come within 20 s. */
  readonly ready: Promise<Record<string, unknown>>;

  constructor(
    readonly name: string,
    script: string,
    args: string[],
    options: Omit<ChildOptions, 'cwd'>,
  ) {
    this.child = new Child(name, path.join(BENCH_DIR, script), args, { ...options, cwd: ROOT });
    this.child.onMessage((m) => this.settle(m as Reply));
    void this.child.exited.then((e) => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${name} exited (${e.signal ?? e.code})\n${this.child.output}`));
      }
      this.pending.clear();
    });
    this.ready = this.child.next(isReady, READY_MS, 'ready');
    this.ready.catch(() => undefined);
  }

  /** Sends a command and resolves with the reply (rejects after `timeoutMs`). */
  call(cmd: string, params: Record<string, unknown>, timeoutMs: number): Promise<Reply> {
    const rid = ++this.rid;
    return new Promise((resolve, reject) => {
      if (!this.child.send({ rid, cmd, ...params })) {
        reject(new Error(`${this.name} has exited\n${this.child.output}`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`${this.name}: '${cmd}' got no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, { resolve, reject, timer });
    });
  }

  /** Asks the child to exit, then kills it by its PID if it has not within the grace period. */
  end(graceMs = 4000): Promise<void> {
    return this.child.end(graceMs, { rid: ++this.rid, cmd: 'exit' });
  }

  private settle(reply: Reply): void {
    const p = this.pending.get(reply.rid);
    if (!p) return;
    this.pending.delete(reply.rid);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply);
    else p.reject(new Error(`${this.name}: ${reply.error}`));
  }
}

/** How a run wants its server started. */
export interface ServerSpec {
  /** The run's name in profile file names: `fanout-N1000`. */
  label: string;
  /** Start it with `--expose-gc` (memory figures). */
  gc?: boolean;
  /** Start the contender with its timed publisher. */
  timed?: boolean;
  env?: Record<string, string>;
  /** Its soft limit of open files, when it holds more sockets than the default allows. */
  nofile?: number;
}

let profiles = 0;

/** Starts a server process for `contender` as `spec` asks, on core 0 when pinning (not yet ready). */
export function startServer(
  ctx: RunContext,
  contender: ContenderName,
  spec: ServerSpec,
  name = `${contender} server`,
): CommandChild {
  const nodeArgs = spec.gc === true ? ['--expose-gc'] : [];
  if (ctx.cpuProf) {
    const file = `${contender}-${spec.label}-${String(++profiles).padStart(3, '0')}.cpuprofile`;
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', ctx.cpuProf, '--cpu-prof-name', file);
  }
  return new CommandChild(name, 'server.js', spec.timed ? [contender, '--timed'] : [contender], {
    core: ctx.pin ? 0 : undefined,
    nodeArgs,
    env: spec.env ?? {},
    nofile: spec.nofile,
  });
}

/**
 * Starts a load generator process, on core 1 when pinning (not yet ready);
 * `nofile` raises its soft limit of open files.
 */
export function startLoad(
  ctx: RunContext,
  contender: ContenderName,
  nofile?: number,
  name = `${contender} load`,
): CommandChild {
  return new CommandChild(name, 'load.js', [], {
    core: ctx.pin ? 1 : undefined,
    nodeArgs: ['--max-old-space-size=4096'],
    nofile,
  });
}

/**
 * Starts a server and a load generator for `contender`, waits until both are
 * ready, runs `body`, and ends both whatever happened.
 */
export async function withProcesses<T>(
  ctx: RunContext,
  contender: ContenderName,
  server: ServerSpec,
  body: (server: CommandChild, load: CommandChild, ready: ReadyMessage) => Promise<T>,
): Promise<T> {
  const serverChild = startServer(ctx, contender, server);
  const load = startLoad(ctx, contender);
  try {
    const [ready] = await Promise.all([serverChild.ready, load.ready]);
    return await body(serverChild, load, ready as unknown as ReadyMessage);
  } finally {
    // The server first, so the closing handshakes leave TIME_WAIT on its side.
    await serverChild.end();
    await load.end();
  }
}
