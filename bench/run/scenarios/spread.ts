/**
 * Many connections to a server process, more than one process or one source
 * address should hold: load processes of at most `maxPerLoad` clients each,
 * every one connecting from an address of its own in 127.0.0.0/8 (127.0.0.2,
 * 127.0.0.3...), as one source address has only ~28k ephemeral ports, and
 * every process given a soft limit of open files (`prlimit`) high enough for
 * its sockets, as far as the hard limit allows. Shared by the scale, crowd and
 * storm scenarios, with the check of one publish reaching every client once.
 */
import { readFileSync } from 'node:fs';
import { TICK, type ContenderName, type ReadyMessage } from '../../common.js';
import { startLoad, startServer, type CommandChild } from '../processes.js';
import type { RunContext } from '../record.js';
import { connectParams } from './connect.js';

/** Open files a process needs beside its sockets: node itself, IPC, Redis, logs. */
const SPARE_FILES = 200;
/** The per-process cap this bench asks for (the machine it was written on allows 20,000). */
const WANTED_FILES = 20_000;

/**
 * How long one client may take to open, and then to have its subscribe ack: on
 * a machine loaded by other work, a server holding thousands of sockets was seen
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

/** One load process: the server (node) it connects to, from which address, how many clients. */
export interface Load {
  child: CommandChild;
  node: number;
  localAddress: string;
  count: number;
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
 * The soft limit of open files to give a process that holds `sockets`;
 * undefined when the inherited one already does. Throws, before anything
 * starts, when the hard limit is too low.
 */
export function nofileFor(sockets: number): number | undefined {
  const { soft, hard } = openFileLimits();
  const needed = sockets + SPARE_FILES;
  if (soft >= needed) return undefined;
  if (hard < needed) {
    throw new Error(
      `${sockets} sockets in one process need ${needed} open files; the hard limit is ${hard} ` +
        '(raise it with ulimit -Hn, or lower the sizes in settings.ts)',
    );
  }
  return Math.min(hard, Math.max(needed, WANTED_FILES));
}

/**
 * Starts (not yet ready) the load processes for `total` clients of server
 * `node`, at most `maxPerLoad` each; `loads` is every load of the run so far,
 * whose count picks the next source address. Appends them to `loads`.
 */
export function startLoads(
  ctx: RunContext,
  contender: ContenderName,
  loads: Load[],
  node: number,
  total: number,
  maxPerLoad: number,
): void {
  const count = Math.ceil(total / maxPerLoad);
  // 127.0.0.2 upwards: one address per load process, at most 250 of them.
  if (loads.length + count > 250) throw new Error('more load processes than source addresses');
  const nofile = nofileFor(Math.min(total, maxPerLoad));
  for (let j = 0; j < count; j++) {
    const index = loads.length;
    loads.push({
      child: startLoad(ctx, contender, nofile, `${contender} load ${index + 1}`),
      node,
      localAddress: `127.0.0.${2 + index}`,
      count: Math.min(maxPerLoad, total - j * maxPerLoad),
    });
  }
}

/**
 * Opens every load's clients, all loads at once, `concurrency` handshakes at a
 * time each, subscribed to the fan-out event; `readies` are the servers'
 * `ready` messages by node. Resolves with the time it took and each load's reply.
 */
export async function connectLoads(
  ctx: RunContext,
  contender: ContenderName,
  loads: readonly Load[],
  readies: readonly ReadyMessage[],
  concurrency: number,
): Promise<{ ms: number; loads: Array<{ ms: number; perSec: number }> }> {
  const start = performance.now();
  const replies = await Promise.all(
    loads.map((l) =>
      l.child.call(
        'connect',
        {
          ...connectParams(ctx, contender, readies[l.node]!, l.count, [TICK]),
          concurrency,
          clientTimeoutMs: CLIENT_MS,
          localAddress: l.localAddress,
        },
        connectBound(l.count),
      ),
    ),
  );
  return {
    ms: performance.now() - start,
    loads: replies.map((r) => ({ ms: r.ms as number, perSec: r.perSec as number })),
  };
}

/**
 * Starts one server of `contender` (with `--expose-gc`, its open-file limit
 * raised for `n` sockets and one more), the load processes for `n` clients (at
 * most `maxPerLoad` each) and, with `observer`, one more load process for one
 * client; waits until every one is ready, runs `body` with the loads (the
 * observer apart), and ends every process by its PID whatever happened, the
 * server first so that the closing handshakes leave TIME_WAIT on its side.
 */
export async function withSpread<T>(
  ctx: RunContext,
  contender: ContenderName,
  spec: { label: string; n: number; maxPerLoad: number; observer: boolean },
  body: (
    server: CommandChild,
    ready: ReadyMessage,
    loads: Load[],
    observer: Load | undefined,
  ) => Promise<T>,
): Promise<T> {
  const nofile = nofileFor(spec.n + 1);
  const loads: Load[] = [];
  let server: CommandChild | undefined;
  try {
    server = startServer(ctx, contender, { label: spec.label, gc: true, nofile });
    startLoads(ctx, contender, loads, 0, spec.n, spec.maxPerLoad);
    const crowd = loads.length;
    if (spec.observer) startLoads(ctx, contender, loads, 0, 1, 1);
    const [ready] = await Promise.all([server.ready, ...loads.map((l) => l.child.ready)]);
    return await body(
      server,
      ready as unknown as ReadyMessage,
      loads.slice(0, crowd),
      loads[crowd],
    );
  } finally {
    await server?.end();
    await endLoads(loads);
  }
}

/** Ends every load process by its PID. */
export async function endLoads(loads: readonly Load[]): Promise<void> {
  await Promise.all(loads.map((l) => l.child.end()));
}

/** A server's memory after forced GC. */
export interface Memory {
  rss: number;
  heapUsed: number;
}

/** Each server's memory, after forced GC (it runs with `--expose-gc`). */
export async function memories(servers: readonly CommandChild[]): Promise<Memory[]> {
  const replies = await Promise.all(servers.map((s) => s.call('mem', {}, 60_000)));
  return replies.map((m) => ({ rss: m.rss as number, heapUsed: m.heapUsed as number }));
}

/** One round's figures: one publish, every client checked. */
export interface Round {
  lastMs: number;
  /** Per node, publish to its last client's receipt. */
  nodeLastMs: number[];
  recipientsOnPublisher: number;
  deliveries: number;
  missing: number;
  violations: number;
  stray: number;
  complete: boolean;
  details: string[];
}

/**
 * One message published by `publisher`: the time until the last client of
 * every node has it, each client checked to get it exactly once.
 */
export async function publishRound(
  publisher: CommandChild,
  loads: readonly Load[],
  nodeCount: number,
): Promise<Round> {
  await Promise.all(loads.map((l) => l.child.call('expect', { event: TICK, count: 1 }, 5000)));
  const waits = loads.map((l) => l.child.call('wait', { timeoutMs: 60_000 }, 65_000));
  const pub = await publisher.call('fanout', { messages: 1, burst: 1 }, 30_000);
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

/**
 * Every load's stray copies since its last round (one arriving late is stray
 * by then), and whether each load still has all its clients.
 */
export async function afterRounds(
  loads: readonly Load[],
): Promise<{ lateStray: number; clientsOk: boolean }> {
  const stats = await Promise.all(loads.map((l) => l.child.call('stats', {}, 5000)));
  return {
    lateStray: stats.reduce((s, st) => s + (st.stray as number), 0),
    clientsOk: stats.every((st, i) => st.clients === loads[i]!.count),
  };
}

/** The delivery check over the rounds, as every fan-out scenario's JSON has it (smoke.test.ts reads it). */
export function deliveryDetail(
  rounds: readonly Round[],
  n: number,
  lateStray: number,
): Record<string, unknown> {
  return {
    deliveries: rounds.reduce((s, r) => s + r.deliveries, 0),
    expected: n * rounds.length,
    lost: rounds.reduce((s, r) => s + r.missing, 0),
    outOfOrderOrDuplicate: rounds.reduce((s, r) => s + r.violations, 0),
    stray: rounds.reduce((s, r) => s + r.stray, 0) + lateStray,
    violationDetails: rounds.flatMap((r) => r.details).slice(0, 10),
  };
}

/** Lost, doubled, misordered and stray copies over the rounds, the late ones included. */
export function violationsOf(rounds: readonly Round[], lateStray: number): number {
  return rounds.reduce((s, r) => s + r.missing + r.violations + r.stray, 0) + lateStray;
}
