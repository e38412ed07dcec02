/**
 * Issue 11's recovery figure: `node build/bench/recover.js [--clients N]
 * [--missed M] [--reps R] [--redis] [--out FILE]`. A carom server (the
 * `carom-history` contender: the fan-out event kept in a history of 1000, in
 * memory, or in Redis with `--redis`) and N clients speaking the `carom`
 * subprotocol, subscribed with `recent: 0` so that each knows where the
 * history stands. Every client disconnects; the server publishes M messages
 * nobody hears; then all N reconnect at once and resume from their position.
 * Timed: from the first dial to the last client holding all M messages (each
 * exactly once, in order) and its ack saying `recovered`. The server's CPU over
 * that window is read too. Every loop is bounded in count and time; both
 * children are ended by their PIDs.
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { epochMs, median, quantile, TICK } from './common.js';
import { BenchRedis, cpuUsBetween } from './run/redis.js';
import { CommandChild } from './run/processes.js';

interface Args {
  clients: number;
  missed: number;
  reps: number;
  redis: boolean;
  out: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { clients: 1000, missed: 1000, reps: 3, redis: false, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--clients') args.clients = Number(next());
    else if (a === '--missed') args.missed = Number(next());
    else if (a === '--reps') args.reps = Number(next());
    else if (a === '--redis') args.redis = true;
    else if (a === '--out') args.out = next();
    else throw new Error(`unknown argument ${a}`);
  }
  for (const k of ['clients', 'missed', 'reps'] as const) {
    if (!Number.isInteger(args[k]) || args[k] < 1)
      throw new Error(`--${k} must be a positive integer`);
  }
  if (args.missed > 1000)
    throw new Error('--missed is at most 1000, the history the contender keeps');
  return args;
}

interface Position {
  epoch: string;
  offset: number;
}

/** One client's resume: what it got, checked as it arrives. */
interface Resume {
  from: Position;
  expected: number;
  got: number;
  violations: number;
  openAt: number;
  doneAt: number;
  recovered: boolean;
}

const TIMEOUT_MS = 120_000;

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['carom'], { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timed out'));
    }, TIMEOUT_MS);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Waits for the frame `test` picks, then resolves with it parsed; `each`, when
 * given, sees every frame before it (each parsed once).
 */
function next(
  ws: WebSocket,
  test: (m: Record<string, unknown>) => boolean,
  each?: (m: Record<string, unknown>) => void,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', on);
      reject(new Error('no reply in time'));
    }, TIMEOUT_MS);
    const on = (raw: WebSocket.RawData): void => {
      const m = JSON.parse(String(raw)) as Record<string, unknown>;
      each?.(m);
      if (!test(m)) return;
      clearTimeout(timer);
      ws.off('message', on);
      resolve(m);
    };
    ws.on('message', on);
  });
}

const isAck = (id: number) => (m: Record<string, unknown>) =>
  (m.event === 'ack' || m.event === 'error') && m.id === id;

function positionOf(ack: Record<string, unknown>): Position {
  const r = (ack.data as { recovery?: Record<string, Position> } | undefined)?.recovery?.[TICK];
  if (ack.event !== 'ack' || r === undefined)
    throw new Error(`no position in ${JSON.stringify(ack)}`);
  return { epoch: r.epoch, offset: r.offset };
}

/** Subscribes with `recent: 0` and returns where the history stands, then closes. */
async function firstVisit(url: string): Promise<Position> {
  const ws = await open(url);
  const acked = next(ws, isAck(1));
  ws.send(JSON.stringify({ event: 'subscribe', id: 1, data: { events: [TICK], recent: 0 } }));
  const from = positionOf(await acked);
  await new Promise<void>((resolve) => {
    ws.once('close', () => resolve());
    ws.close(1000);
  });
  return from;
}

/** Reconnects, resumes from `from`, counts what arrives; resolves once the ack is in. */
async function resume(url: string, from: Position, expected: number): Promise<Resume> {
  const r: Resume = {
    from,
    expected,
    got: 0,
    violations: 0,
    openAt: 0,
    doneAt: 0,
    recovered: false,
  };
  const ws = await open(url);
  r.openAt = epochMs();
  let want = from.offset + 1;
  const acked = next(ws, isAck(2), (m) => {
    if (m.event !== TICK) return;
    const position = m.position as Position | undefined;
    r.got++;
    if (position?.offset !== want || position.epoch !== from.epoch) r.violations++;
    want++;
  });
  ws.send(
    JSON.stringify({
      event: 'subscribe',
      id: 2,
      data: { events: [TICK], resume: { [TICK]: from } },
    }),
  );
  const ack = await acked;
  r.doneAt = epochMs();
  const rec = (ack.data as { recovery?: Record<string, { recovered?: boolean }> } | undefined)
    ?.recovery?.[TICK];
  r.recovered = ack.event === 'ack' && rec?.recovered === true;
  ws.terminate();
  return r;
}

interface RepResult {
  recoverMs: number;
  allOpenMs: number;
  perClient: { p50: number; p99: number };
  replayed: number;
  violations: number;
  notRecovered: number;
  serverCpuUs: number;
  redisCpuUs: number | undefined;
}

async function rep(args: Args, redis: BenchRedis | undefined, n: number): Promise<RepResult> {
  const env: Record<string, string> = {};
  if (redis !== undefined) {
    env.BENCH_REDIS_URL = redis.server.url;
    env.BENCH_REDIS_PREFIX = `recover-${n}`;
  }
  const server = new CommandChild('carom-history server', 'server.js', ['carom-history'], {
    env,
    nofile: Math.min(20_000, args.clients * 2 + 200),
  });
  try {
    const ready = await server.ready;
    const url = `ws://127.0.0.1:${ready.port as number}${ready.path as string}`;
    // First visits in batches, so that the listen backlog never overflows before the timing.
    const positions: Position[] = [];
    for (let i = 0; i < args.clients; i += 200) {
      const batch = Math.min(200, args.clients - i);
      positions.push(...(await Promise.all(Array.from({ length: batch }, () => firstVisit(url)))));
    }
    await server.call('fanout', { messages: args.missed, burst: 100 }, TIMEOUT_MS);
    await server.call('cpuStart', {}, 5000);
    const redisCpu0 = redis?.cpu();
    const t0 = epochMs();
    const results = await Promise.all(positions.map((p) => resume(url, p, args.missed)));
    const t1 = Math.max(...results.map((r) => r.doneAt));
    const cpu = await server.call('cpuStop', {}, 5000);
    const redisCpu = redis?.cpu();
    const perClient = results.map((r) => r.doneAt - r.openAt).sort((a, b) => a - b);
    return {
      recoverMs: t1 - t0,
      allOpenMs: Math.max(...results.map((r) => r.openAt)) - t0,
      perClient: { p50: quantile(perClient, 0.5), p99: quantile(perClient, 0.99) },
      replayed: results.reduce((s, r) => s + r.got, 0),
      violations: results.reduce((s, r) => s + r.violations + (r.got === r.expected ? 0 : 1), 0),
      notRecovered: results.filter((r) => !r.recovered).length,
      serverCpuUs: (cpu.userUs as number) + (cpu.systemUs as number),
      redisCpuUs:
        redisCpu === undefined || redisCpu0 === undefined
          ? undefined
          : cpuUsBetween(redisCpu0, redisCpu),
    };
  } finally {
    await server.end();
  }
}

const args = parseArgs(process.argv.slice(2));
const redis = args.redis ? await BenchRedis.start(undefined) : undefined;
const reps: RepResult[] = [];
try {
  for (let i = 1; i <= args.reps; i++) {
    const r = await rep(args, redis, i);
    reps.push(r);
    process.stdout.write(
      `[${i}/${args.reps}] ${args.clients} clients × ${args.missed} missed${args.redis ? ' (Redis)' : ''}: ` +
        `all recovered in ${r.recoverMs.toFixed(0)} ms (all open after ${r.allOpenMs.toFixed(0)} ms; ` +
        `per client p50 ${r.perClient.p50.toFixed(0)} ms, p99 ${r.perClient.p99.toFixed(0)} ms), ` +
        `${r.replayed} replayed, server CPU ${(r.serverCpuUs / r.replayed).toFixed(2)} µs/message, ` +
        `violations ${r.violations}, not recovered ${r.notRecovered}\n`,
    );
  }
} finally {
  await redis?.end();
}
const failed = reps.some((r) => r.violations > 0 || r.notRecovered > 0);
const summary = {
  clients: args.clients,
  missed: args.missed,
  store: args.redis ? 'redis' : 'memory',
  recoverMsMedian: median(reps.map((r) => r.recoverMs)),
  serverCpuUsPerMessageMedian: median(reps.map((r) => r.serverCpuUs / r.replayed)),
  ok: !failed,
  reps,
};
process.stdout.write(
  `median: all ${args.clients} recovered ${args.missed} messages each in ${summary.recoverMsMedian.toFixed(0)} ms; ` +
    `server CPU ${summary.serverCpuUsPerMessageMedian.toFixed(2)} µs per replayed message; ${failed ? 'FAILED' : 'every message once, in order'}\n`,
);
if (args.out !== undefined) writeFileSync(args.out, JSON.stringify(summary, null, 2));
process.exitCode = failed ? 1 : 0;
