/**
 * One child process of the bench or the soak: spawned with an IPC channel
 * (pinned to a core with `taskset` when asked), its output's tail kept for the
 * report, and always ended by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';

/** Children still running, so that SIGINT and exit can end them by PID. */
const live = new Set<Child>();

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** Where and how a child runs. */
export interface ChildOptions {
  /** The core to pin it to with `taskset`; none when undefined. */
  readonly core?: number | undefined;
  /** Arguments to node itself, before the script. */
  readonly nodeArgs?: readonly string[];
  readonly cwd?: string;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The soft limit of open files to give it (`prlimit --nofile=N:`), for a
   * child that holds thousands of sockets; it cannot exceed the hard limit.
   */
  readonly nofile?: number;
}

/** A child process driven over IPC. */
export class Child {
  private readonly proc: ChildProcess;
  private tail = '';
  private lines = 0;
  private exitInfo: ChildExit | undefined;
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<ChildExit>;

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    options: ChildOptions = {},
  ) {
    const nodeArgv = [...(options.nodeArgs ?? []), script, ...args];
    let [cmd, argv] =
      options.core === undefined
        ? [process.execPath, nodeArgv]
        : ['taskset', ['-c', String(options.core), process.execPath, ...nodeArgv]];
    if (options.nofile !== undefined) {
      argv = [`--nofile=${options.nofile}:`, '--', cmd, ...argv];
      cmd = 'prlimit';
    }
    this.proc = spawn(cmd, argv, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
    });
    live.add(this);
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString();
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lines++;
      this.tail = (this.tail + text).slice(-8000);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.proc.on('error', (err) => keep(Buffer.from(`spawn failed: ${err.message}\n`)));
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        live.delete(this);
        this.exitInfo = { code, signal, at: Date.now() };
        resolve(this.exitInfo);
      });
    });
  }

  /** The child's PID (undefined when the spawn failed). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** How it ended, once it has. */
  get exit(): ChildExit | undefined {
    return this.exitInfo;
  }

  /** The last 8000 characters the child wrote to stdout and stderr. */
  get output(): string {
    return this.tail;
  }

  /** Lines the child wrote to stdout and stderr (log lines, mostly). */
  get outputLines(): number {
    return this.lines;
  }

  /** Calls `fn` with every IPC message. */
  onMessage(fn: (message: unknown) => void): void {
    this.proc.on('message', fn);
  }

  /** Resolves with the first IPC message `accept` takes, or rejects after `ms` or at exit. */
  next<T>(accept: (message: unknown) => message is T, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onMessage = (message: unknown): void => {
        if (!accept(message)) return;
        done();
        resolve(message);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: ${what} not within ${ms} ms\n${this.tail}`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.proc.off('message', onMessage);
      };
      this.proc.on('message', onMessage);
      void this.exited.then((e) => {
        done();
        reject(
          new Error(`${this.name} exited (${e.signal ?? e.code}) before ${what}\n${this.tail}`),
        );
      });
    });
  }

  /** Sends an IPC message; false when the child is gone. */
  send(message: object): boolean {
    if (this.exitInfo || !this.proc.connected) return false;
    try {
      this.proc.send(message);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sends `request` (the soak's children take `{ type: 'exit' }`), then kills
   * the child by its PID when it has not exited within `graceMs`.
   */
  async end(graceMs = 5000, request: object = { type: 'exit' }): Promise<void> {
    if (this.exitInfo) return;
    this.send(request);
    await this.exitWithin(graceMs);
    this.kill();
    await this.exitWithin(2000);
  }

  /** Resolves at exit or after `ms`, whichever is first, leaving no timer behind. */
  private exitWithin(ms: number): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.exited,
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]).finally(() => clearTimeout(timer));
  }

  /** SIGKILL by PID when still running. */
  kill(): void {
    if (this.exitInfo || this.proc.pid === undefined) return;
    try {
      process.kill(this.proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills every child still running, by PID. */
export function killAll(): void {
  for (const child of live) child.kill();
}

/**
 * Kills every child by its PID when this process exits, and on SIGINT or
 * SIGTERM, after which it exits 130 saying so on stderr as `who: SIGINT: ...`.
 */
export function killChildrenOnExit(who: string): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.stderr.write(`${who}: ${signal}: every child process killed by its PID\n`);
      process.exit(130);
    });
  }
  process.on('exit', killAll);
}

/**
 * The cores to pin the server and the load to: the server alone on core 0, the
 * load processes on core 1. None when there is one core or no `taskset`.
 * `load` names the load processes in `why` ("clients", "load generator").
 */
export function pinning(load: string): { server?: number; load?: number; why: string } {
  const cores = os.availableParallelism();
  if (cores < 2) return { why: `only ${cores} core: running without pinning` };
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    return { why: 'taskset not available: running without pinning' };
  }
  return { server: 0, load: 1, why: `server pinned to core 0, ${load} to core 1 (taskset)` };
}
