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
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { median, sleep, TICK, type ContenderName, type ReadyMessage } from '../../common.js';
import { startLoad, startServer, type CommandChild } from '../processes.js';
import type { RunContext, RunOutcome } from '../record.js';
import { BenchRedis } from '../redis.js';
import { connectParams } from './connect.js';

/** Open files a process needs beside its sockets: node itself, IPC, Redis, logs. */
const SPARE_FILES = 200;
/** The per-process cap this bench asks for (the machine it was written on allows 20,000). */
const WANTED_FILES = 20_000;

/**
 * How long one client may take to open, and then to have its subscribe ack: on
 * a machine loaded by other work, a node holding thousands of sockets was seen
 * to leave a handshake unanswered past the usual 15 s.
 */
const CLIENT_MS = 120_000;

/**
 * How long one load process may take to open its clients: a minute, plus 100 ms
 * a client (25 minutes for 15,000), as connecting slows to a crawl on a
 * machine other work is loading; still a bound.
 */
function connectBound(count: number): number {
  return 60_000 + count * 100;
}

/** One load process: the node it connects to, from which address, how many clients. */
interface Load {
  child: CommandChild;
  node: number;
  localAddress: string;
  count: number;
}

/** The processes of one run. */
interface Setup {
  redis: BenchRedis | undefined;
  nodes: CommandChild[];
  loads: Load[];
}

/** This process's limits of open files (children inherit them); Infinity where /proc cannot say. */
function openFileLimits(): { soft: number; hard: number } {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
  } catch {
    // not Linux
  }
  const [soft, hard] = (line ?? '').split(/\s+/).slice(3, 5);
  const read = (v: string | undefined): number => {
    const n = Number(v);
    return v === undefined || v === 'unlimited' || !Number.isFinite(n) ? Infinity : n;
  };
  return { soft: read(soft), hard: read(hard) };
}

/**
 * The soft limit of open files to give each process so that it can hold
 * `sockets`; undefined when the inherited one already does. Throws, before
 * anything starts, when the hard limit is too low.
 */
function nofileFor(sockets: number): number | undefined {
  const { soft, hard } = openFileLimits();
  const needed = sockets + SPARE_FILES;
  if (soft >= needed) return undefined;
  if (hard < needed) {
    throw new Error(
      `the scale scenario needs ${needed} open files per process; the hard limit is ${hard} ` +
        '(raise it with ulimit -Hn, or lower the sizes in settings.ts)',
    );
  }
  return Math.min(hard, Math.max(needed, WANTED_FILES));
}

/** Starts Redis, the nodes and the loads, and waits until every one is ready. */
async function start(ctx: RunContext, n: number): Promise<Setup> {
  const { nodes: nodeCount, maxPerLoad } = ctx.settings.scale;
  const perNode = n / nodeCount;
  if (!Number.isInteger(perNode) || perNode < 1)
    throw new Error(`N=${n} does not split into ${nodeCount} nodes`);
  const loadsPerNode = Math.ceil(perNode / maxPerLoad);
  // 127.0.0.2 upwards: one address per load process, at most 250 of them.
  if (nodeCount * loadsPerNode > 250) throw new Error('more load processes than source addresses');
  const nodeFiles = nofileFor(perNode);
  const loadFiles = nofileFor(Math.min(perNode, maxPerLoad));
  const setup: Setup = { redis: undefined, nodes: [], loads: [] };
  try {
    setup.redis = await BenchRedis.start(ctx.pin ? 0 : undefined);
    const env = { BENCH_REDIS_URL: setup.redis.server.url };
    for (let i = 0; i < nodeCount; i++) {
      const spec = { label: `scale-${i + 1}-N${n}`, env, gc: true, nofile: nodeFiles };
      setup.nodes.push(startServer(ctx, 'carom', spec, `carom node ${i + 1}`));
      for (let j = 0; j < loadsPerNode; j++) {
        const index = setup.loads.length;
        setup.loads.push({
          child: startLoad(ctx, 'carom', loadFiles, `carom load ${index + 1}`),
          node: i,
          localAddress: `127.0.0.${2 + index}`,
          count: Math.min(maxPerLoad, perNode - j * maxPerLoad),
        });
      }
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
  await Promise.all(setup.loads.map((l) => l.child.end()));
  await setup.redis?.end();
}

/** One node's memory after forced GC. */
interface Memory {
  rss: number;
  heapUsed: number;
}

async function memories(nodes: CommandChild[]): Promise<Memory[]> {
  const replies = await Promise.all(nodes.map((s) => s.call('mem', {}, 60_000)));
  return replies.map((m) => ({ rss: m.rss as number, heapUsed: m.heapUsed as number }));
}

/** One round's figures: one publish on the first node, every connection checked. */
interface Round {
  lastMs: number;
  /** Per node, publish to its last connection's receipt. */
  nodeLastMs: number[];
  recipientsOnPublisher: number;
  deliveries: number;
  missing: number;
  violations: number;
  stray: number;
  complete: boolean;
  details: string[];
}

async function round(setup: Setup, nodeCount: number): Promise<Round> {
  const { nodes, loads } = setup;
  await Promise.all(loads.map((l) => l.child.call('expect', { event: TICK, count: 1 }, 5000)));
  const waits = loads.map((l) => l.child.call('wait', { timeoutMs: 60_000 }, 65_000));
  const pub = await nodes[0]!.call('fanout', { messages: 1, burst: 1 }, 30_000);
  const recs = await Promise.all(waits);
  const t0 = pub.t0 as number;
  const nodeLastMs = new Array<number>(nodeCount).fill(0);
  recs.forEach((rec, i) => {
    const node = loads[i]!.node;
    nodeLastMs[node] = Math.max(nodeLastMs[node]!, (rec.lastAt as number) - t0);
  });
  const sum = (key: string): number => recs.reduce((s, r) => s + (r[key] as number), 0);
  return {
    lastMs: Math.max(...nodeLastMs),
    nodeLastMs,
    recipientsOnPublisher: pub.recipients as number,
    deliveries: sum('deliveries'),
    missing: sum('missing'),
    violations: sum('violations'),
    stray: sum('stray'),
    complete: recs.every((r) => r.complete === true),
    details: recs.flatMap((r) => r.details as string[]),
  };
}

async function measure(ctx: RunContext, setup: Setup, n: number): Promise<RunOutcome> {
  const { nodes: nodeCount, rounds, settleMs } = ctx.settings.scale;
  const { nodes, loads } = setup;
  const perNode = n / nodeCount;
  const readies = (await Promise.all(nodes.map((s) => s.ready))) as unknown as ReadyMessage[];
  const before = await memories(nodes);

  const connectStart = performance.now();
  const conns = await Promise.all(
    loads.map((l) =>
      l.child.call(
        'connect',
        {
          ...connectParams(ctx, 'carom', readies[l.node]!, l.count, [TICK]),
          concurrency: ctx.settings.scale.concurrency,
          clientTimeoutMs: CLIENT_MS,
          localAddress: l.localAddress,
        },
        connectBound(l.count),
      ),
    ),
  );
  const connectMs = performance.now() - connectStart;
  await sleep(settleMs);
  const after = await memories(nodes);

  const results: Round[] = [];
  for (let r = 0; r < rounds; r++) results.push(await round(setup, nodeCount));
  // A copy arriving late would be stray now: give it time, then ask every load.
  await sleep(settleMs);
  const stats = await Promise.all(loads.map((l) => l.child.call('stats', {}, 5000)));
  const lateStray = stats.reduce((s, st) => s + (st.stray as number), 0);
  const clientsOk = stats.every((st, i) => st.clients === loads[i]!.count);

  const perNodeMemory = nodes.map((_, i) => ({
    connections: perNode,
    rssBefore: before[i]!.rss,
    rssAfter: after[i]!.rss,
    rssPerConn: (after[i]!.rss - before[i]!.rss) / perNode,
    heapPerConn: (after[i]!.heapUsed - before[i]!.heapUsed) / perNode,
  }));
  const violations =
    results.reduce((s, r) => s + r.missing + r.violations + r.stray, 0) + lateStray;
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
      connectsPerSec: (n / connectMs) * 1000,
    },
    detail: {
      nodes: nodeCount,
      connectionsPerNode: perNode,
      loads: loads.map((l, i) => ({
        node: l.node + 1,
        localAddress: l.localAddress,
        clients: l.count,
        connectMs: conns[i]!.ms,
        connectsPerSec: conns[i]!.perSec,
      })),
      connectMs,
      memory: perNodeMemory,
      rounds: results.map((r) => ({
        lastMs: r.lastMs,
        nodeLastMs: r.nodeLastMs,
        recipientsOnPublisher: r.recipientsOnPublisher,
      })),
      loadAverage: os.loadavg(),
      // smoke.test.ts reads these for every fan-out scenario.
      deliveries: results.reduce((s, r) => s + r.deliveries, 0),
      expected: n * rounds,
      lost: results.reduce((s, r) => s + r.missing, 0),
      outOfOrderOrDuplicate: results.reduce((s, r) => s + r.violations, 0),
      stray: results.reduce((s, r) => s + r.stray, 0) + lateStray,
      violationDetails: results.flatMap((r) => r.details).slice(0, 10),
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
