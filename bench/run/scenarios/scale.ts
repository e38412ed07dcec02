/**
 * The scale scenario: carom nodes over one redis-server (`redisBroker`), each
 * holding N/nodes idle connections subscribed to the fan-out event, opened by
 * load processes of at most `maxPerLoad` sockets each. Every load process
 * connects from an address of its own in 127.0.0.0/8 (127.0.0.2, 127.0.0.3...),
 * as one source address has only ~28k ephemeral ports, and every process gets
 * its soft limit of open files raised (`prlimit`) as far as the hard limit
 * allows. Then `rounds` times, one message published on the first node: the
 * time until the last connection of every node has it, each connection
 * checked to get it exactly once. Each node's RSS and heap per connection after
 * forced GC, and connects/s with every load connecting at once.
 */
import os from 'node:os';
import { median, sleep, type ContenderName, type ReadyMessage } from '../../common.js';
import { startServer, type CommandChild } from '../processes.js';
import type { RunContext, RunOutcome } from '../record.js';
import { BenchRedis } from '../redis.js';
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

/** The processes of one run. */
interface Setup {
  redis: BenchRedis | undefined;
  nodes: CommandChild[];
  loads: Load[];
}

/** Starts Redis, the nodes and the loads, and waits until every one is ready. */
async function start(ctx: RunContext, n: number): Promise<Setup> {
  const { nodes: nodeCount, maxPerLoad } = ctx.settings.scale;
  const perNode = n / nodeCount;
  if (!Number.isInteger(perNode) || perNode < 1)
    throw new Error(`N=${n} does not split into ${nodeCount} nodes`);
  const nodeFiles = nofileFor(perNode);
  const setup: Setup = { redis: undefined, nodes: [], loads: [] };
  try {
    setup.redis = await BenchRedis.start(ctx.pin ? 0 : undefined);
    const env = { BENCH_REDIS_URL: setup.redis.server.url };
    for (let i = 0; i < nodeCount; i++) {
      const spec = { label: `scale-${i + 1}-N${n}`, env, gc: true, nofile: nodeFiles };
      setup.nodes.push(startServer(ctx, 'carom', spec, `carom node ${i + 1}`));
      startLoads(ctx, 'carom', setup.loads, i, perNode, maxPerLoad);
    }
    await Promise.all([...setup.nodes, ...setup.loads.map((l) => l.child)].map((c) => c.ready));
    return setup;
  } catch (err) {
    await end(setup);
    throw err;
  }
}

/** Ends every process by its PID: the nodes first, then the loads, then Redis. */
async function end(setup: Setup): Promise<void> {
  await Promise.all(setup.nodes.map((s) => s.end()));
  await endLoads(setup.loads);
  await setup.redis?.end();
}

async function measure(ctx: RunContext, setup: Setup, n: number): Promise<RunOutcome> {
  const { nodes: nodeCount, rounds, settleMs } = ctx.settings.scale;
  const { nodes, loads } = setup;
  const perNode = n / nodeCount;
  const readies = (await Promise.all(nodes.map((s) => s.ready))) as unknown as ReadyMessage[];
  const before = await memories(nodes);

  const conns = await connectLoads(ctx, 'carom', loads, readies, ctx.settings.scale.concurrency);
  await sleep(settleMs);
  const after = await memories(nodes);

  const results: Round[] = [];
  for (let r = 0; r < rounds; r++) results.push(await publishRound(nodes[0]!, loads, nodeCount));
  // A copy arriving late would be stray now: give it time, then ask every load.
  await sleep(settleMs);
  const { lateStray, clientsOk } = await afterRounds(loads);

  const perNodeMemory = nodes.map((_, i) => ({
    connections: perNode,
    rssBefore: before[i]!.rss,
    rssAfter: after[i]!.rss,
    rssPerConn: (after[i]!.rss - before[i]!.rss) / perNode,
    heapPerConn: (after[i]!.heapUsed - before[i]!.heapUsed) / perNode,
  }));
  const violations = violationsOf(results, lateStray);
  const ok =
    violations === 0 &&
    clientsOk &&
    results.every((r) => r.complete && r.recipientsOnPublisher === perNode);
  const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
  return {
    ok,
    violations,
    metrics: {
      lastMs: median(results.map((r) => r.lastMs)),
      localLastMs: median(results.map((r) => r.nodeLastMs[0]!)),
      remoteLastMs: median(results.map((r) => Math.max(...r.nodeLastMs.slice(1)))),
      rssPerConn: mean(perNodeMemory.map((m) => m.rssPerConn)),
      maxRssPerConn: Math.max(...perNodeMemory.map((m) => m.rssPerConn)),
      heapPerConn: mean(perNodeMemory.map((m) => m.heapPerConn)),
      connectsPerSec: (n / conns.ms) * 1000,
    },
    detail: {
      nodes: nodeCount,
      connectionsPerNode: perNode,
      loads: loads.map((l, i) => ({
        node: l.node + 1,
        localAddress: l.localAddress,
        clients: l.count,
        connectMs: conns.loads[i]!.ms,
        connectsPerSec: conns.loads[i]!.perSec,
      })),
      connectMs: conns.ms,
      memory: perNodeMemory,
      rounds: results.map((r) => ({
        lastMs: r.lastMs,
        nodeLastMs: r.nodeLastMs,
        recipientsOnPublisher: r.recipientsOnPublisher,
      })),
      loadAverage: os.loadavg(),
      ...deliveryDetail(results, n, lateStray),
    },
  };
}

/** One scale run: N connections over the nodes, `rounds` publishes to all of them. */
export async function runScale(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
): Promise<RunOutcome> {
  if (contender !== 'carom') throw new Error('the scale scenario runs carom only');
  const setup = await start(ctx, n);
  try {
    return await measure(ctx, setup, n);
  } finally {
    await end(setup);
  }
}
