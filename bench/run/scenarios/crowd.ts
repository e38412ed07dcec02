/**
 * The crowd scenario: N idle connections subscribed to the fan-out event, all
 * to ONE server process (19,000 in the full run: as many as a process limited
 * to 20,000 open files holds), from load processes of their own source
 * addresses (spread.ts). The server's heap and RSS per connection after forced
 * GC and the connects per second, then `rounds` times one publish to all: the
 * time until the last connection has it, every copy checked exactly once.
 */
import os from 'node:os';
import { median, sleep, type ContenderName, type ReadyMessage } from '../../common.js';
import type { CommandChild } from '../processes.js';
import type { RunContext, RunOutcome } from '../record.js';
import { snapshotHeap } from './idle.js';
import * as spread from './spread.js';

async function measure(
  ctx: RunContext,
  contender: ContenderName,
  server: CommandChild,
  ready: ReadyMessage,
  loads: readonly spread.Load[],
  n: number,
): Promise<RunOutcome> {
  const { concurrency, rounds, settleMs } = ctx.settings.crowd;
  const [before] = await spread.memories([server]);
  await snapshotHeap(ctx, server, `${contender}-crowd-N${n}-before`);
  const conns = await spread.connectLoads(ctx, contender, loads, [ready], concurrency);
  await sleep(settleMs);
  const [after] = await spread.memories([server]);
  await snapshotHeap(ctx, server, `${contender}-crowd-N${n}-after`);

  const results: spread.Round[] = [];
  for (let r = 0; r < rounds; r++) results.push(await spread.publishRound(server, loads, 1));
  await sleep(settleMs);
  const { lateStray, clientsOk } = await spread.afterRounds(loads);
  const violations = spread.violationsOf(results, lateStray);
  return {
    ok:
      violations === 0 &&
      clientsOk &&
      results.every((r) => r.complete && r.recipientsOnPublisher === n),
    violations,
    metrics: {
      heapPerConn: (after!.heapUsed - before!.heapUsed) / n,
      rssPerConn: (after!.rss - before!.rss) / n,
      connectsPerSec: (n / conns.ms) * 1000,
      lastMs: median(results.map((r) => r.lastMs)),
    },
    detail: {
      connections: n,
      before,
      after,
      connectMs: conns.ms,
      loads: loads.map((l, i) => ({
        localAddress: l.localAddress,
        clients: l.count,
        connectMs: conns.loads[i]!.ms,
        connectsPerSec: conns.loads[i]!.perSec,
      })),
      rounds: results.map((r) => ({
        lastMs: r.lastMs,
        recipients: r.recipientsOnPublisher,
      })),
      loadAverage: os.loadavg(),
      ...spread.deliveryDetail(results, n, lateStray),
    },
  };
}

/** One crowd run: `n` connections to one server of `contender`, then the publish rounds. */
export function runCrowd(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
): Promise<RunOutcome> {
  const { maxPerLoad } = ctx.settings.crowd;
  return spread.withSpread(
    ctx,
    contender,
    { label: `crowd-N${n}`, n, maxPerLoad, observer: false },
    (server, ready, loads) => measure(ctx, contender, server, ready, loads, n),
  );
}
