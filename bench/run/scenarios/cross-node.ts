/**
 * The cross-node scenario: carom's fan-out on one node against the same app on
 * two nodes joined by `redisBroker` (node A and node B, one redis-server),
 * subscribers split between them and the publisher on A. Each run measures
 * both, in fresh processes, the one that goes first alternating from one run
 * to the next. Three rounds each: a warm-up and a measured round in bursts (as
 * `fanout`), then a paced round whose messages carry their publish time, for
 * latency. Every client checks each message arrives once and in order.
 */
import { TICK, type ContenderName, type ReadyMessage, type Reply } from '../../common.js';
import { startLoad, startServer, type CommandChild } from '../processes.js';
import type { Metrics, RunContext, RunOutcome } from '../record.js';
import { BenchRedis, cpuUsBetween } from '../redis.js';
import { connectParams, connectTimeout } from './connect.js';
import { violationsOf } from './fanout.js';

/** One setup's figures. */
interface SetupResult {
  deliveriesPerSec: number;
  /** The carom nodes' CPU (both, for two), per delivery of the measured round. */
  cpuUsPerDelivery: number;
  /** Redis's CPU per delivery of the measured round; NaN on one node. */
  redisCpuUsPerDelivery: number;
  /** Publish-to-receipt latency of the paced round, by group (0: node A or the one node, 1: node B). */
  latency: { count: number; unstamped: number; p50: number; p99: number; max: number }[];
  violations: number;
  complete: boolean;
  detail: Record<string, unknown>;
}

/** The processes of one setup: the nodes (the publisher first), the load, Redis for two. */
interface Setup {
  nodes: CommandChild[];
  load: CommandChild;
  redis: BenchRedis | undefined;
}

let runsSoFar = 0;

/** Messages of the measured round: about the fan-out's deliveries over N, in whole bursts. */
function burstMessages(ctx: RunContext, n: number): number {
  const f = ctx.settings.fanout;
  const bursts = Math.max(2, Math.round(ctx.settings.crossNode.deliveries / n / f.burst));
  return Math.min(f.maxMessages, bursts * f.burst);
}

/** Starts the setup's processes and waits until every one is ready. */
async function start(ctx: RunContext, n: number, twoNodes: boolean): Promise<Setup> {
  const setup: Setup = { nodes: [], load: startLoad(ctx, 'carom'), redis: undefined };
  try {
    if (!twoNodes) {
      setup.nodes.push(startServer(ctx, 'carom', { label: `cross-node-one-N${n}` }));
    } else {
      setup.redis = await BenchRedis.start(ctx.pin ? 0 : undefined);
      const env = { BENCH_REDIS_URL: setup.redis.server.url };
      for (const node of ['A', 'B']) {
        const label = `cross-node-${node}-N${n}`;
        setup.nodes.push(startServer(ctx, 'carom', { label, env }, `carom node ${node}`));
      }
    }
    await Promise.all([setup.load.ready, ...setup.nodes.map((s) => s.ready)]);
    return setup;
  } catch (err) {
    await end(setup);
    throw err;
  }
}

/** Ends every process of the setup by its PID, the servers first. */
async function end(setup: Setup): Promise<void> {
  for (const node of setup.nodes) await node.end();
  await setup.load.end();
  await setup.redis?.end();
}

/** Runs one setup: one carom node, or nodes A and B over Redis. */
async function runSetup(ctx: RunContext, n: number, twoNodes: boolean): Promise<SetupResult> {
  const setup = await start(ctx, n, twoNodes);
  try {
    return await measure(ctx, setup, n);
  } finally {
    await end(setup);
  }
}

async function measure(ctx: RunContext, setup: Setup, n: number): Promise<SetupResult> {
  const { nodes, load, redis } = setup;
  const publisher = nodes[0]!;
  const readies = await Promise.all(nodes.map((s) => s.ready));
  // Subscribers split evenly, the odd one out on A; group g connects to node g.
  let connectMs = 0;
  for (let g = 0; g < nodes.length; g++) {
    const count = g === 0 ? Math.ceil(n / nodes.length) : Math.floor(n / nodes.length);
    const ready = readies[g] as unknown as ReadyMessage;
    const params = { ...connectParams(ctx, 'carom', ready, count, [TICK]), group: g };
    const conn = await load.call('connect', params, connectTimeout(count));
    connectMs += conn.ms as number;
  }
  const burst = ctx.settings.fanout.burst;
  const messages = burstMessages(ctx, n);
  const warmup = Math.max(2 * burst, Math.round(messages / 5));
  const waitMs = (count: number): number => 30_000 + (count * n) / 10;
  const round = async (count: number, params: Record<string, unknown>): Promise<Reply[]> => {
    await load.call('expect', { event: TICK, count, latency: params.stamp === true }, 5000);
    const pubP = publisher.call('fanout', { messages: count, ...params }, 120_000);
    const rec = await load.call('wait', { timeoutMs: waitMs(count) }, waitMs(count) + 5000);
    return [rec, await pubP];
  };

  const [warm] = await round(warmup, { burst });

  // The publisher opens its CPU window as it starts publishing; the others just before.
  for (const node of nodes.slice(1)) await node.call('cpuStart', {}, 5000);
  const redis0 = redis?.cpu();
  const [rec, pub] = await round(messages, { burst });
  const redis1 = redis?.cpu();
  const cpus = await Promise.all(nodes.map((s) => s.call('cpuStop', {}, 5000)));

  const paced = ctx.settings.crossNode.latencyMessages;
  const gapMs = Math.max(1, Math.ceil((n * 1000) / ctx.settings.crossNode.pacedDeliveriesPerSec));
  const [lat, latPub] = await round(paced, { burst: 1, gapMs, stamp: true });

  const deliveries = rec!.deliveries as number;
  const seconds = ((rec!.lastAt as number) - (pub!.t0 as number)) / 1000;
  const cpuUs = cpus.reduce((sum, c) => sum + (c.userUs as number) + (c.systemUs as number), 0);
  const redisUs = redis0 && redis1 ? cpuUsBetween(redis0, redis1) : Number.NaN;
  const latency = lat!.latency as SetupResult['latency'];
  const unstamped = latency.reduce((sum, l) => sum + l.unstamped, 0);
  const violations = violationsOf(warm!) + violationsOf(rec!) + violationsOf(lat!) + unstamped;
  const complete = warm!.complete === true && rec!.complete === true && lat!.complete === true;
  return {
    deliveriesPerSec: rec!.complete ? deliveries / seconds : Number.NaN,
    cpuUsPerDelivery: cpuUs / Math.max(1, deliveries),
    redisCpuUsPerDelivery: redisUs / Math.max(1, deliveries),
    latency,
    violations,
    complete,
    detail: {
      nodes: nodes.length,
      messages,
      warmupMessages: warmup,
      burst,
      deliveries,
      expected: n * messages,
      recipientsOnPublisher: pub!.recipients,
      seconds,
      publishMs: pub!.publishMs,
      cpuUserUs: cpus.map((c) => c.userUs),
      cpuSystemUs: cpus.map((c) => c.systemUs),
      redisCpuUs: redisUs,
      connectMs,
      paced: { messages: paced, gapMs, publishMs: latPub!.publishMs, latency },
      lost: (warm!.missing as number) + (rec!.missing as number) + (lat!.missing as number),
      outOfOrderOrDuplicate:
        (warm!.violations as number) + (rec!.violations as number) + (lat!.violations as number),
      stray: (warm!.stray as number) + (rec!.stray as number) + (lat!.stray as number),
      violationDetails: [
        ...(warm!.details as string[]),
        ...(rec!.details as string[]),
        ...(lat!.details as string[]),
      ],
    },
  };
}

/** One cross-node run to `n` subscribers: one node, then two (or the other way round). */
export async function runCrossNode(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
): Promise<RunOutcome> {
  if (contender !== 'carom') throw new Error('the cross-node scenario runs carom only');
  const twoFirst = runsSoFar++ % 2 === 1;
  let one: SetupResult;
  let two: SetupResult;
  if (twoFirst) {
    two = await runSetup(ctx, n, true);
    one = await runSetup(ctx, n, false);
  } else {
    one = await runSetup(ctx, n, false);
    two = await runSetup(ctx, n, true);
  }
  const oneLat = one.latency[0]!;
  const bLat = two.latency[1]!;
  const metrics: Metrics = {
    oneDeliveriesPerSec: one.deliveriesPerSec,
    crossDeliveriesPerSec: two.deliveriesPerSec,
    deliveriesRatio: two.deliveriesPerSec / one.deliveriesPerSec,
    oneCpuUsPerDelivery: one.cpuUsPerDelivery,
    crossCpuUsPerDelivery: two.cpuUsPerDelivery,
    cpuRatio: two.cpuUsPerDelivery / one.cpuUsPerDelivery,
    redisCpuUsPerDelivery: two.redisCpuUsPerDelivery,
    oneP50Ms: oneLat.p50,
    oneP99Ms: oneLat.p99,
    crossP50Ms: bLat.p50,
    crossP99Ms: bLat.p99,
    p99Ratio: bLat.p99 / oneLat.p99,
  };
  const violations = one.violations + two.violations;
  return {
    ok: violations === 0 && one.complete && two.complete,
    violations,
    metrics,
    detail: {
      subscribers: n,
      order: twoFirst ? 'two nodes first' : 'one node first',
      // smoke.test.ts reads these for every fan-out scenario.
      deliveries: (one.detail.deliveries as number) + (two.detail.deliveries as number),
      expected: (one.detail.expected as number) + (two.detail.expected as number),
      lost: (one.detail.lost as number) + (two.detail.lost as number),
      outOfOrderOrDuplicate:
        (one.detail.outOfOrderOrDuplicate as number) + (two.detail.outOfOrderOrDuplicate as number),
      violationDetails: [
        ...(one.detail.violationDetails as string[]),
        ...(two.detail.violationDetails as string[]),
      ],
      oneNode: one.detail,
      twoNodes: two.detail,
    },
  };
}
