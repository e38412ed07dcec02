/**
 * The slow-readers scenario (carom only): one event paced to N subscribers of
 * which S read at a tenth of the publish rate, once per delivery policy of the
 * event (`all`, `latest`, `drop`) and once as a baseline where the S read at
 * full rate. Each setup runs in fresh processes: the server (over a Unix
 * socket, whose small kernel buffer lets a backlog reach the server within
 * seconds), the fast readers' load (checked: every message once, in order,
 * with its publish-to-receipt latency) and the slow readers' load. Measured:
 * the fast readers' deliveries/s and latency, the server's memory right after
 * publishing, and what the slow readers received.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TICK, type ContenderName, type ReadyMessage, type Reply } from '../../common.js';
import { startLoad, startServer } from '../processes.js';
import type { Metrics, RunContext, RunOutcome } from '../record.js';
import { connectParams, connectTimeout } from './connect.js';
import { violationsOf } from './fanout.js';

/** The setups of one run, in order: the baseline, then each policy. */
const SETUPS = ['baseline', 'all', 'latest', 'drop'] as const;
type SetupName = (typeof SETUPS)[number];

interface SetupResult {
  metrics: Metrics;
  violations: number;
  complete: boolean;
  detail: Record<string, unknown>;
}

let sockets = 0;

async function runSetup(ctx: RunContext, n: number, setup: SetupName): Promise<SetupResult> {
  const s = ctx.settings.slowReaders;
  const slowCount = Math.min(s.slow, n - 1);
  const fastCount = n - slowCount;
  const unixPath = path.join(tmpdir(), `carom-bench-${process.pid}-${++sockets}.sock`);
  const env = {
    BENCH_UNIX_PATH: unixPath,
    BENCH_DELIVERY: setup === 'baseline' ? 'all' : setup,
    BENCH_BACKLOG_BYTES: String(s.backlogBytes),
    BENCH_MAX_BUFFERED: String(s.maxBufferedBytes),
    BENCH_BODY_BYTES: String(s.bodyBytes),
  };
  const server = startServer(ctx, 'carom', { label: `slow-readers-${setup}-N${n}`, gc: true, env });
  const fast = startLoad(ctx, 'carom');
  const slow = startLoad(ctx, 'carom');
  try {
    const [ready] = await Promise.all([server.ready, fast.ready, slow.ready]);
    const r = ready as unknown as ReadyMessage;
    const fastConn = await fast.call(
      'connect',
      connectParams(ctx, 'carom', r, fastCount, [TICK]),
      connectTimeout(fastCount),
    );
    const slowRate = setup === 'baseline' ? 0 : s.rate / 10;
    await slow.call(
      'connect',
      { ...connectParams(ctx, 'carom', r, slowCount, [TICK]), slowRate },
      connectTimeout(slowCount),
    );
    const messages = s.messages;
    const gapMs = Math.max(1, Math.round(1000 / s.rate));
    const waitMs = 30_000 + messages * gapMs * 3;
    await fast.call('expect', { event: TICK, count: messages, latency: true }, 5000);
    await slow.call('slowReport', { reset: true }, 5000);
    const pubP = server.call('fanout', { messages, burst: 1, gapMs, stamp: true }, waitMs);
    // Awaited below; a rejection meanwhile must not go unhandled.
    pubP.catch(() => undefined);
    const rec = await fast.call('wait', { timeoutMs: waitMs }, waitMs + 5000);
    const pub = await pubP;
    const mem = await server.call('mem', {}, 20_000);
    const delivery = (await server.call('deliveryStats', {}, 5000)).stats as ServerCounts | null;
    const slowRep = await slow.call('slowReport', {}, 5000);
    return outcome(setup, rec, pub, mem, slowRep, delivery, {
      messages,
      fastCount,
      slowCount,
      gapMs,
      connectMs: fastConn.ms,
    });
  } finally {
    await server.end();
    await fast.end();
    await slow.end();
  }
}

/** What the server says after the round: its delivery counters and the connections still open. */
interface ServerCounts {
  connections: number;
  topics: Record<string, { conflated: number; dropped: number; deferred: number }>;
}

function outcome(
  setup: SetupName,
  rec: Reply,
  pub: Reply,
  mem: Reply,
  slowRep: Reply,
  delivery: ServerCounts | null,
  run: {
    messages: number;
    fastCount: number;
    slowCount: number;
    gapMs: number;
    connectMs: unknown;
  },
): SetupResult {
  const latency = (rec.latency as { p50: number; p99: number; unstamped: number }[])[0]!;
  const seconds = ((rec.lastAt as number) - (pub.t0 as number)) / 1000;
  const readers = Math.max(1, slowRep.readers as number);
  // Never backwards, whatever the policy; with `all`, no gaps either (a reader is cut, not skipped).
  const slowViolations =
    (slowRep.backwards as number) +
    (setup === 'all' || setup === 'baseline' ? (slowRep.gaps as number) : 0);
  const violations = violationsOf(rec) + latency.unstamped + slowViolations;
  const counts = delivery?.topics[TICK];
  return {
    metrics: {
      [`${setup}FastPerSec`]: rec.complete ? (rec.deliveries as number) / seconds : Number.NaN,
      [`${setup}FastP50Ms`]: latency.p50,
      [`${setup}FastP99Ms`]: latency.p99,
      [`${setup}HeapBytes`]: mem.heapUsed as number,
      [`${setup}RssBytes`]: mem.rss as number,
      [`${setup}SlowGotPerReader`]: (slowRep.got as number) / readers,
      // Counted by the server: a reader cut off learns it only once it reads up to the close frame.
      [`${setup}SlowClosed`]: run.fastCount + run.slowCount - (delivery?.connections ?? Number.NaN),
      [`${setup}SlowNewestSeq`]: slowRep.newestSeqMin as number,
    },
    violations,
    complete: rec.complete === true,
    detail: {
      ...run,
      deliveries: rec.deliveries,
      expected: run.fastCount * run.messages,
      seconds,
      publishMs: pub.publishMs,
      fastLatency: latency,
      memory: { heapUsed: mem.heapUsed, rss: mem.rss },
      slowReaders: slowRep,
      serverCounts: counts ?? null,
      lost: rec.missing,
      outOfOrderOrDuplicate: rec.violations,
      violationDetails: rec.details,
    },
  };
}

/** One slow-readers run to `n` subscribers: the baseline, then `all`, `latest` and `drop`. */
export async function runSlowReaders(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
): Promise<RunOutcome> {
  if (contender !== 'carom') throw new Error('the slow-readers scenario runs carom only');
  const metrics: Metrics = {};
  const detail: Record<string, unknown> = { subscribers: n };
  let violations = 0;
  let complete = true;
  let deliveries = 0;
  let expected = 0;
  let lost = 0;
  let misordered = 0;
  const violationDetails: string[] = [];
  for (const setup of SETUPS) {
    const r = await runSetup(ctx, n, setup).catch((err: unknown) => {
      throw new Error(`slow-readers ${setup}: ${(err as Error).message}`, { cause: err });
    });
    Object.assign(metrics, r.metrics);
    detail[setup] = r.detail;
    violations += r.violations;
    complete &&= r.complete;
    deliveries += r.detail.deliveries as number;
    expected += r.detail.expected as number;
    lost += r.detail.lost as number;
    misordered += r.detail.outOfOrderOrDuplicate as number;
    violationDetails.push(...(r.detail.violationDetails as string[]));
  }
  for (const setup of SETUPS.slice(1)) {
    metrics[`${setup}FastRatio`] = metrics[`${setup}FastPerSec`]! / metrics.baselineFastPerSec!;
    metrics[`${setup}P99Ratio`] = metrics[`${setup}FastP99Ms`]! / metrics.baselineFastP99Ms!;
  }
  return {
    ok: violations === 0 && complete,
    violations,
    metrics,
    // smoke.test.ts reads these for every fan-out scenario: the fast readers' figures.
    detail: {
      ...detail,
      deliveries,
      expected,
      lost,
      outOfOrderOrDuplicate: misordered,
      violationDetails,
    },
  };
}
