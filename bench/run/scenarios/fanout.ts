/**
 * The fan-out scenarios: one event to N subscribers, published in bursts
 * (`fanout`) or one message per timer period (`fanout-timed`). A warm-up round
 * is checked but not measured; every client checks each message arrives once
 * and in order.
 */
import {
  REDIS_CONTENDERS,
  TICK,
  timedPeriodFor,
  TOCK,
  type ContenderName,
  type Reply,
} from '../../common.js';
import { withProcesses } from '../processes.js';
import { BenchRedis, cpuUsBetween } from '../redis.js';
import type { RunContext, RunOutcome } from '../record.js';
import { connectParams, connectTimeout } from './connect.js';

/** Messages of the measured round: about the settings' deliveries over N, within their bounds. */
function fanoutMessages(ctx: RunContext, timed: boolean, n: number): number {
  if (timed) {
    const t = ctx.settings.timed;
    return Math.max(t.minMessages, Math.min(t.maxMessages, Math.round(t.deliveries / n)));
  }
  const f = ctx.settings.fanout;
  const bursts = Math.max(2, Math.round(f.deliveries / n / f.burst));
  return Math.min(f.maxMessages, bursts * f.burst);
}

/** Losses, duplicates, misorders and strays the load generator counted in one round. */
export function violationsOf(round: Reply): number {
  return (round.violations as number) + (round.missing as number) + (round.stray as number);
}

/**
 * One fan-out run to `n` subscribers, by bursts or (`timed`) by the
 * contender's timer; each message's body `bytes` long when given (`--sizes`).
 * A Redis contender gets a redis-server of its own, whose CPU counts with the
 * server's.
 */
export async function runFanout(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
  timed: boolean,
  bytes?: number,
): Promise<RunOutcome> {
  if (!REDIS_CONTENDERS.has(contender)) {
    return fanoutRound(ctx, contender, n, timed, bytes, undefined);
  }
  const redis = await BenchRedis.start(ctx.pin ? 0 : undefined);
  try {
    return await fanoutRound(ctx, contender, n, timed, bytes, redis);
  } finally {
    await redis.end();
  }
}

function fanoutRound(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
  timed: boolean,
  bytes: number | undefined,
  redis: BenchRedis | undefined,
): Promise<RunOutcome> {
  const event = timed ? TOCK : TICK;
  const messages = fanoutMessages(ctx, timed, n);
  const warmup = Math.max(timed ? 10 : 2 * ctx.settings.fanout.burst, Math.round(messages / 5));
  const burst = ctx.settings.fanout.burst;
  const periodMs = timedPeriodFor(n);
  const env: Record<string, string> = { BENCH_TIMED_PERIOD_MS: String(periodMs) };
  if (bytes !== undefined) env.BENCH_BODY_BYTES = String(bytes);
  if (redis !== undefined) env.BENCH_REDIS_URL = redis.server.url;
  const sized = bytes === undefined ? '' : `-B${bytes}`;
  return withProcesses(
    ctx,
    contender,
    { label: `${timed ? 'fanout-timed' : 'fanout'}-N${n}${sized}`, env, timed },
    async (server, load, ready) => {
      const conn = await load.call(
        'connect',
        connectParams(ctx, contender, ready, n, [event]),
        connectTimeout(n),
      );
      const publish = (count: number): Promise<Reply> =>
        timed
          ? server.call('timed', { messages: count }, 60_000 + count * periodMs * 5)
          : server.call('fanout', { messages: count, burst }, 120_000);
      const waitMs = (count: number): number =>
        timed ? 30_000 + count * periodMs * 5 : 30_000 + (count * n) / 10;

      // Warm-up round, checked but not measured.
      await load.call('expect', { event, count: warmup }, 5000);
      const warmPub = publish(warmup);
      const warm = await load.call('wait', { timeoutMs: waitMs(warmup) }, waitMs(warmup) + 5000);
      await warmPub;

      await load.call('expect', { event, count: messages }, 5000);
      const redis0 = redis?.cpu();
      const pubP = publish(messages);
      const rec = await load.call('wait', { timeoutMs: waitMs(messages) }, waitMs(messages) + 5000);
      const pub = await pubP;
      const cpu = await server.call('cpuStop', {}, 5000);
      const redis1 = redis?.cpu();
      const redisUs = redis0 && redis1 ? cpuUsBetween(redis0, redis1) : 0;

      const deliveries = rec.deliveries as number;
      const seconds = ((rec.lastAt as number) - (pub.t0 as number)) / 1000;
      const cpuUs = (cpu.userUs as number) + (cpu.systemUs as number) + redisUs;
      const expected = n * messages;
      let violations = violationsOf(warm) + violationsOf(rec);
      if (!timed && pub.recipients !== expected) violations++;
      return {
        ok: violations === 0 && rec.complete === true,
        violations,
        metrics: {
          deliveriesPerSec: rec.complete ? deliveries / seconds : NaN,
          cpuUsPerDelivery: cpuUs / Math.max(1, deliveries),
        },
        detail: {
          subscribers: n,
          bodyBytes: bytes,
          messages,
          warmupMessages: warmup,
          burst: timed ? 1 : burst,
          periodMs: timed ? periodMs : undefined,
          deliveries,
          expected,
          recipients: pub.recipients,
          seconds,
          publishMs: pub.publishMs,
          cpuUserUs: cpu.userUs,
          cpuSystemUs: cpu.systemUs,
          redisCpuUs: redis === undefined ? undefined : redisUs,
          connectMs: conn.ms,
          complete: rec.complete,
          lost: rec.missing,
          outOfOrderOrDuplicate: rec.violations,
          stray: rec.stray,
          violationDetails: [...(warm.details as string[]), ...(rec.details as string[])],
        },
      };
    },
  );
}
