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
import { startServer, type CommandChild } from '../processes.js';
import type { RunContext, RunOutcome } from '../record.js';
import { snapshotHeap } from './idle.js';
import {
  afterRounds,
  connectLoads,
  deliveryDetail,
  endLoads,
  memories,
  nofileFor,
  publishRound,
  startLoads,
  violationsOf,
  type Load,
  type Round,
} from './spread.js';

async function measure(
  ctx: RunContext,
  contender: ContenderName,
  server: CommandChild,
  loads: readonly Load[],
  n: number,
): Promise<RunOutcome> {
  const { concurrency, rounds, settleMs } = ctx.settings.crowd;
  const ready = (await server.ready) as unknown as ReadyMessage;
  const [before] = await memories([server]);
  await snapshotHeap(ctx, server, `${contender}-crowd-N${n}-before`);
  const conns = await connectLoads(ctx, contender, loads, [ready], concurrency);
  await sleep(settleMs);
  const [after] = await memories([server]);
  await snapshotHeap(ctx, server, `${contender}-crowd-N${n}-after`);

  const results: Round[] = [];
  for (let r = 0; r < rounds; r++) results.push(await publishRound(server, loads, 1));
  await sleep(settleMs);
  const { lateStray, clientsOk } = await afterRounds(loads);
  const violations = violationsOf(results, lateStray);
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
      ...deliveryDetail(results, n, lateStray),
    },
  };
}

/** One crowd run: `n` connections to one server of `contender`, then the publish rounds. */
export async function runCrowd(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
): Promise<RunOutcome> {
  const spec = { label: `crowd-N${n}`, gc: true, nofile: nofileFor(n) };
  const loads: Load[] = [];
  let server: CommandChild | undefined;
  try {
    server = startServer(ctx, contender, spec);
    startLoads(ctx, contender, loads, 0, n, ctx.settings.crowd.maxPerLoad);
    await Promise.all([server.ready, ...loads.map((l) => l.child.ready)]);
    return await measure(ctx, contender, server, loads, n);
  } finally {
    // The server first, so the closing handshakes leave TIME_WAIT on its side.
    await server?.end();
    await endLoads(loads);
  }
}
