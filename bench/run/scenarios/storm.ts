/**
 * The reconnect storm: N connections subscribed to the fan-out event, from
 * load processes of their own source addresses (spread.ts), have their TCP
 * connections cut at once by the load processes, as a network failure would;
 * every client dials again at once and resubscribes (the load generator's
 * equivalent of a client library's reconnect, bench/storm.ts). The time until
 * the last has its subscribe ack; meanwhile an observer, one more connection
 * in a process of its own, sends `carom.ping` every few milliseconds, and its
 * round trips during the storm are set against those of a quiet spell before
 * it. Then the server must hold exactly the N connections and the observer
 * again, and one publish must reach each of the N exactly once.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { sleep, TICK, type ContenderName, type ReadyMessage, type Reply } from '../../common.js';
import type { CommandChild } from '../processes.js';
import type { RunContext, RunOutcome } from '../record.js';
import { connectParams } from './connect.js';
import * as spread from './spread.js';

/** How long the observer waits for the answers still due when it stops. */
const DRAIN_MS = 10_000;
/** How often, and at most how many times, the server's connections are counted after the storm. */
const COUNT_EVERY_MS = 100;
const COUNT_TIMES = 100;

/**
 * The kernel's count of connections dropped because a listening socket's
 * accept queue was full (`ListenOverflows`, /proc/net/netstat), for the whole
 * machine; undefined where there is no such file. A dropped client's SYN is
 * sent again after 1, 3, 7, 15, 31 s, which is what shapes a storm's times.
 */
function listenOverflows(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      if (!lines[i]!.startsWith('TcpExt:')) continue;
      const at = lines[i]!.split(' ').indexOf('ListenOverflows');
      const value = Number(lines[i + 1]!.split(' ')[at]);
      return at > 0 && Number.isFinite(value) ? value : undefined;
    }
  } catch {
    // not Linux
  }
  return undefined;
}

/** The observer's round trips while `during` runs. */
async function pingsDuring(
  observer: CommandChild,
  everyMs: number,
  boundMs: number,
  during: () => Promise<unknown>,
): Promise<Reply> {
  await observer.call('pingStart', { everyMs, boundMs }, 5000);
  let failure: unknown;
  try {
    await during();
  } catch (err) {
    failure = err;
  }
  // Stopped whatever happened, so that no timer outlives the phase.
  const report = await observer.call('pingStop', { drainMs: DRAIN_MS }, DRAIN_MS + 5000);
  if (failure !== undefined) throw failure;
  return report;
}

/** Counts the server's connections until there are `expected` (bounded); the last count. */
async function settleConnections(server: CommandChild, expected: number): Promise<number> {
  let count = -1;
  for (let i = 0; i < COUNT_TIMES; i++) {
    count = (await server.call('connections', {}, 5000)).connections as number;
    if (count === expected) break;
    await sleep(COUNT_EVERY_MS);
  }
  return count;
}

async function measure(
  ctx: RunContext,
  contender: ContenderName,
  server: CommandChild,
  ready: ReadyMessage,
  loads: readonly spread.Load[],
  observer: spread.Load,
  n: number,
): Promise<RunOutcome> {
  const s = ctx.settings.storm;
  const conns = await spread.connectLoads(ctx, contender, loads, [ready], s.concurrency);
  await observer.child.call(
    'connect',
    { ...connectParams(ctx, contender, ready, 1, undefined), localAddress: observer.localAddress },
    30_000,
  );
  await sleep(s.settleMs);
  const [before] = await spread.memories([server]);

  const quiet = await pingsDuring(observer.child, s.pingEveryMs, s.quietMs + 1000, () =>
    sleep(s.quietMs),
  );
  let storms: Reply[] = [];
  const overflowsBefore = listenOverflows();
  const during = await pingsDuring(observer.child, s.pingEveryMs, s.boundMs, async () => {
    const params = {
      events: [TICK],
      attemptMs: s.attemptMs,
      maxAttempts: s.maxAttempts,
      boundMs: s.boundMs,
    };
    storms = await Promise.all(loads.map((l) => l.child.call('storm', params, s.boundMs + 30_000)));
  });
  const overflowsAfter = listenOverflows();
  // The server answering at all after the storm is what shows it did not crash.
  const connections = await settleConnections(server, n + 1);
  const [after] = await spread.memories([server]);
  const round = await spread.publishRound(server, loads, 1);
  await sleep(s.settleMs);
  const { lateStray, clientsOk } = await spread.afterRounds(loads);

  const sum = (key: string): number => storms.reduce((t, r) => t + (r[key] as number), 0);
  const dropAt = Math.min(...storms.map((r) => r.dropAt as number));
  const lastAt = Math.max(...storms.map((r) => r.lastAt as number));
  const resubscribed = sum('resubscribed');
  const violations = spread.violationsOf([round], lateStray);
  const resubscribeMs = lastAt - dropAt;
  return {
    ok:
      resubscribed === n &&
      connections === n + 1 &&
      violations === 0 &&
      clientsOk &&
      round.complete &&
      round.recipientsOnPublisher === n,
    violations,
    metrics: {
      resubscribeMs,
      resubscribesPerSec: (n / resubscribeMs) * 1000,
      stormPingP50Ms: during.p50 as number,
      stormPingP99Ms: during.p99 as number,
      stormPingMaxMs: during.max as number,
      quietPingP99Ms: quiet.p99 as number,
      connectsPerSec: (n / conns.ms) * 1000,
    },
    detail: {
      connections: n,
      resubscribed,
      failed: sum('failed'),
      attempts: sum('attempts'),
      retried: sum('retried'),
      connectionsAfter: connections,
      // The whole machine's, over the storm: other processes' count too, if any overflowed.
      listenOverflows:
        overflowsBefore === undefined || overflowsAfter === undefined
          ? null
          : overflowsAfter - overflowsBefore,
      storms: storms.map((r, i) => ({
        localAddress: loads[i]!.localAddress,
        clients: r.clients,
        resubscribed: r.resubscribed,
        failed: r.failed,
        attempts: r.attempts,
        retried: r.retried,
        reopen: r.reopen,
        resubscribe: r.resubscribe,
        errors: r.errors,
      })),
      observer: { localAddress: observer.localAddress, quiet, during },
      memoryBefore: before,
      memoryAfter: after,
      publishAfter: { lastMs: round.lastMs, recipients: round.recipientsOnPublisher },
      connectMs: conns.ms,
      loadAverage: os.loadavg(),
      ...spread.deliveryDetail([round], n, lateStray),
    },
  };
}

/** One storm run: `n` connections to one server of `contender`, cut and reconnecting at once. */
export function runStorm(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
): Promise<RunOutcome> {
  const { maxPerLoad } = ctx.settings.storm;
  // The server may have all the hard limit gives (20,000 here): room for cut sockets still closing.
  return spread.withSpread(
    ctx,
    contender,
    { label: `storm-N${n}`, n, maxPerLoad, observer: true },
    (server, ready, loads, observer) => measure(ctx, contender, server, ready, loads, observer!, n),
  );
}
