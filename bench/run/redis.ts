/**
 * The cross-node scenario's Redis: the tests' redis-server helper
 * (test/support/redis-server.ts: a free port, no persistence, ended by its
 * PID), pinned with the servers, and its CPU time read from /proc/<pid>/stat.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RedisServer } from '../../test/support/redis-server.js';

/** Linux's clock ticks per second, which /proc/<pid>/stat counts CPU time in. */
const CLK_TCK = clockTicks();

function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** A redis-server of one run, killed by its PID when the bench exits (SIGINT too) if not before. */
export class BenchRedis {
  private constructor(
    readonly server: RedisServer,
    readonly pid: number,
    private readonly onExit: () => void,
  ) {}

  /** Starts a redis-server and, when `core` is given, pins all its threads there with `taskset`. */
  static async start(core: number | undefined): Promise<BenchRedis> {
    const server = await RedisServer.start();
    const pid = server.pid!;
    const onExit = (): void => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.on('exit', onExit);
    const redis = new BenchRedis(server, pid, onExit);
    if (core !== undefined) {
      try {
        execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
      } catch (err) {
        await redis.end();
        throw err;
      }
    }
    return redis;
  }

  /** Its CPU time so far. */
  cpu(): { userUs: number; systemUs: number } {
    return procCpuUs(this.pid);
  }

  /** Kills it by its PID and removes its dir. */
  async end(): Promise<void> {
    process.off('exit', this.onExit);
    await this.server.end();
  }
}

/** User plus system CPU microseconds spent between two readings of {@link BenchRedis.cpu}. */
export function cpuUsBetween(
  before: { userUs: number; systemUs: number },
  after: { userUs: number; systemUs: number },
): number {
  return after.userUs + after.systemUs - before.userUs - before.systemUs;
}

/**
 * A process's user and system CPU time so far, in microseconds, from
 * /proc/<pid>/stat (fields 14 and 15, after the command name in parentheses).
 * Its resolution is a clock tick (10 ms at 100 Hz).
 */
export function procCpuUs(pid: number): { userUs: number; systemUs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const us = 1e6 / CLK_TCK;
  return { userUs: Number(fields[11]) * us, systemUs: Number(fields[12]) * us };
}
