/**
 * The idle scenario: N subscribed connections doing nothing; the server's heap
 * and RSS after forced GC, before and after connecting (with `--heap-snapshot`,
 * a snapshot at each).
 */
import path from 'node:path';
import { sleep, TICK, type ContenderName } from '../../common.js';
import { withProcesses, type CommandChild } from '../processes.js';
import type { RunContext, RunOutcome } from '../record.js';
import { connectParams, connectTimeout } from './connect.js';

/** With `--heap-snapshot DIR`, a snapshot of the server's heap: `DIR/<name>.heapsnapshot`. */
export async function snapshotHeap(
  ctx: RunContext,
  server: CommandChild,
  name: string,
): Promise<void> {
  if (!ctx.heapSnapshot) return;
  const file = path.join(ctx.heapSnapshot, `${name}.heapsnapshot`);
  await server.call('heapSnapshot', { file }, 300_000);
}

/** One idle run with `n` connections. */
export function runIdle(ctx: RunContext, contender: ContenderName, n: number): Promise<RunOutcome> {
  const snapshot = (server: CommandChild, when: string): Promise<void> =>
    snapshotHeap(ctx, server, `${contender}-N${n}-${when}`);
  return withProcesses(
    ctx,
    contender,
    { label: `idle-N${n}`, gc: true },
    async (server, load, ready) => {
      const before = await server.call('mem', {}, 10_000);
      await snapshot(server, 'before');
      const conn = await load.call(
        'connect',
        {
          ...connectParams(ctx, contender, ready, n, [TICK]),
          concurrency: ctx.settings.idle.concurrency,
        },
        connectTimeout(n),
      );
      await sleep(ctx.settings.idle.settleMs);
      const after = await server.call('mem', {}, 10_000);
      await snapshot(server, 'after');
      const stats = await load.call('stats', {}, 5000);
      return {
        ok: (stats.clients as number) === n,
        violations: 0,
        metrics: {
          heapPerConn: ((after.heapUsed as number) - (before.heapUsed as number)) / n,
          rssPerConn: ((after.rss as number) - (before.rss as number)) / n,
          connectsPerSec: conn.perSec as number,
        },
        detail: { connections: n, before, after, connectMs: conn.ms },
      };
    },
  );
}
