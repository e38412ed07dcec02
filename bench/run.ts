/**
 * The benchmark's orchestrator: `npm run bench [-- options]`.
 *
 * For each repetition, each scenario and size, each contender in turn: a fresh
 * server process (pinned to core 0) and a fresh load process (pinned to core 1)
 * are started, driven over IPC, and ended by their PIDs. The figures are
 * printed as one table per scenario (median [min–max] over repetitions, and
 * each contender's ratio to raw ws) and written, with every repetition, the
 * machine and the versions, as JSON under bench/results/.
 *
 *   --quick            smaller sizes, 3 repetitions (about two minutes)
 *   --smoke            tiny sizes, 1 repetition (CI: it must work, not be fast)
 *   --scenario NAME    fanout, fanout-timed, inbound, idle (repeatable or comma-separated)
 *   --contenders LIST  raw-ws,carom,socketio (default all)
 *   --reps N           repetitions
 *   --out FILE         write the JSON there instead of bench/results/
 *   --cpu-prof DIR     run each server with --cpu-prof: DIR/<contender>-<scenario>-<size>-<run>.cpuprofile
 *   --heap-snapshot DIR  idle scenario: heap snapshots of each server before and after connecting
 *
 * Summarize those with build/bench/profile-summary.js and build/bench/heap-diff.js.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  clientKind,
  CONTENDERS,
  ECHO,
  ECHO_DTO,
  errorText,
  median,
  sleep,
  TICK,
  timedPeriodFor,
  TOCK,
  type ContenderName,
  type ReadyMessage,
  type Reply,
} from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The package root: run.js lives in build/bench/. */
const root = path.resolve(here, '..', '..');

// ---------------------------------------------------------------- settings

type Mode = 'full' | 'quick' | 'smoke';
const SCENARIOS = ['fanout', 'fanout-timed', 'inbound', 'idle'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Settings {
  mode: Mode;
  reps: number;
  fanout: { sizes: number[]; burst: number; deliveries: number; maxMessages: number };
  timed: { sizes: number[]; deliveries: number; minMessages: number; maxMessages: number };
  inbound: {
    clients: number;
    window: number;
    warmupMs: number;
    throughputMs: number;
    rate: number;
    latencyMs: number;
  };
  idle: { sizes: number[]; concurrency: number; settleMs: number };
  connectConcurrency: number;
}

function settingsFor(mode: Mode): Settings {
  const base: Settings = {
    mode,
    reps: 5,
    fanout: { sizes: [100, 1000, 5000], burst: 10, deliveries: 1_000_000, maxMessages: 10_000 },
    timed: { sizes: [100, 1000, 5000], deliveries: 150_000, minMessages: 30, maxMessages: 500 },
    inbound: {
      clients: 100,
      window: 1,
      warmupMs: 500,
      throughputMs: 2000,
      rate: 5000,
      latencyMs: 3000,
    },
    idle: { sizes: [1000, 5000], concurrency: 100, settleMs: 300 },
    connectConcurrency: 100,
  };
  if (mode === 'quick') {
    return {
      ...base,
      reps: 3,
      fanout: { ...base.fanout, sizes: [100, 1000], deliveries: 300_000 },
      timed: { ...base.timed, sizes: [1000], deliveries: 100_000 },
      inbound: { ...base.inbound, warmupMs: 200, throughputMs: 800, latencyMs: 1200 },
      idle: { ...base.idle, sizes: [1000] },
    };
  }
  if (mode === 'smoke') {
    return {
      ...base,
      reps: 1,
      fanout: { ...base.fanout, sizes: [10], deliveries: 2000 },
      timed: { ...base.timed, sizes: [10], deliveries: 300, minMessages: 10, maxMessages: 30 },
      inbound: {
        clients: 10,
        window: 1,
        warmupMs: 50,
        throughputMs: 200,
        rate: 500,
        latencyMs: 300,
      },
      idle: { sizes: [20], concurrency: 10, settleMs: 50 },
      connectConcurrency: 10,
    };
  }
  return base;
}

interface Args {
  mode: Mode;
  scenarios: Scenario[];
  contenders: ContenderName[];
  reps: number | undefined;
  out: string | undefined;
  cpuProf: string | undefined;
  heapSnapshot: string | undefined;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: run.js [--quick|--smoke] [--scenario ${SCENARIOS.join('|')}]... ` +
      `[--contenders ${CONTENDERS.join(',')}] [--reps N] [--out FILE] [--cpu-prof DIR] [--heap-snapshot DIR]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    mode: 'full',
    scenarios: [],
    contenders: [...CONTENDERS],
    reps: undefined,
    out: undefined,
    cpuProf: undefined,
    heapSnapshot: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.mode = 'quick';
    else if (a === '--smoke') args.mode = 'smoke';
    else if (a === '--scenario') {
      for (const s of value().split(',')) {
        if (!(SCENARIOS as readonly string[]).includes(s)) usage(`unknown scenario ${s}`);
        args.scenarios.push(s as Scenario);
      }
    } else if (a === '--contenders') {
      const list = value().split(',');
      for (const c of list) {
        if (!(CONTENDERS as readonly string[]).includes(c)) usage(`unknown contender ${c}`);
      }
      args.contenders = CONTENDERS.filter((c) => list.includes(c));
    } else if (a === '--reps') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 100) usage('--reps takes 1..100');
      args.reps = n;
    } else if (a === '--out') args.out = path.resolve(value());
    else if (a === '--cpu-prof') args.cpuProf = path.resolve(value());
    else if (a === '--heap-snapshot') args.heapSnapshot = path.resolve(value());
    else usage(`unknown argument ${a}`);
  }
  if (args.scenarios.length === 0) args.scenarios = [...SCENARIOS];
  return args;
}

// ---------------------------------------------------------------- child processes

/** Decides whether server and load can be pinned to their own cores. */
function pinning(): { pin: boolean; why: string } {
  const cores = os.availableParallelism();
  if (cores < 2) return { pin: false, why: `only ${cores} core: running without pinning` };
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    return { pin: false, why: 'taskset not available: running without pinning' };
  }
  return { pin: true, why: `server pinned to core 0, load generator to core 1 (taskset)` };
}

const live = new Set<Child>();

/** A child process driven over IPC; always ended by its PID. */
class Child {
  private readonly proc: ChildProcess;
  private rid = 0;
  private readonly pending = new Map<
    number,
    { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private output = '';
  private exited = false;
  private readonly exit: Promise<void>;
  readonly ready: Promise<Record<string, unknown>>;

  constructor(
    readonly name: string,
    script: string,
    args: string[],
    options: { core: number | undefined; nodeArgs: string[]; env?: Record<string, string> },
  ) {
    const nodeArgv = [...options.nodeArgs, path.join(here, script), ...args];
    const [cmd, argv] =
      options.core === undefined
        ? [process.execPath, nodeArgv]
        : ['taskset', ['-c', String(options.core), process.execPath, ...nodeArgv]];
    this.proc = spawn(cmd, argv, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      cwd: root,
      env: { ...process.env, ...options.env },
    });
    live.add(this);
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exit = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exited = true;
        live.delete(this);
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error(`${this.name} exited (${signal ?? code})\n${this.output}`));
        }
        this.pending.clear();
        resolve();
      });
    });
    this.proc.on('error', () => undefined);
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} not ready in 20 s\n${this.output}`)),
        20_000,
      );
      this.proc.on('message', (raw: unknown) => {
        const m = raw as Reply & { type?: string };
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(m);
          return;
        }
        const p = this.pending.get(m.rid);
        if (!p) return;
        this.pending.delete(m.rid);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m);
        else p.reject(new Error(`${this.name}: ${m.error}`));
      });
      void this.exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before it was ready\n${this.output}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Sends a command and resolves with the reply (rejects after `timeoutMs`). */
  call(cmd: string, params: Record<string, unknown>, timeoutMs: number): Promise<Reply> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited\n${this.output}`));
    const rid = ++this.rid;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`${this.name}: '${cmd}' got no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, { resolve, reject, timer });
      this.proc.send({ rid, cmd, ...params });
    });
  }

  /** Asks the child to exit, then kills it by its PID if it has not within the grace period. */
  async end(graceMs = 4000): Promise<void> {
    if (this.exited) return;
    try {
      await this.call('exit', {}, graceMs);
    } catch {
      // killed below
    }
    await Promise.race([this.exit, sleep(graceMs)]);
    this.kill();
    await Promise.race([this.exit, sleep(2000)]);
  }

  /** SIGKILL by PID when still running. */
  kill(): void {
    if (this.exited || this.proc.pid === undefined) return;
    try {
      process.kill(this.proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of live) child.kill();
    process.exit(130);
  });
}
process.on('exit', () => {
  for (const child of live) child.kill();
});

// ---------------------------------------------------------------- one run

interface RunContext {
  settings: Settings;
  pin: boolean;
  cpuProf: string | undefined;
  heapSnapshot: string | undefined;
}

type Metrics = Record<string, number>;

interface RunRecord {
  scenario: Scenario;
  case: string;
  contender: ContenderName;
  rep: number;
  ok: boolean;
  /** Messages lost, duplicated, out of order or unexpected; any is a failure. */
  violations: number;
  metrics: Metrics;
  detail: Record<string, unknown>;
  error?: string;
  /** How long the run took, processes included. */
  wallMs?: number;
}

let profiles = 0;

async function withProcesses<T>(
  ctx: RunContext,
  contender: ContenderName,
  server: { label: string; gc?: boolean; timed?: boolean; env?: Record<string, string> },
  body: (server: Child, load: Child, ready: ReadyMessage) => Promise<T>,
): Promise<T> {
  const gc = server.gc === true;
  const serverNodeArgs = gc ? ['--expose-gc'] : [];
  if (ctx.cpuProf) {
    const name = `${contender}-${server.label}-${String(++profiles).padStart(3, '0')}.cpuprofile`;
    serverNodeArgs.push('--cpu-prof', '--cpu-prof-dir', ctx.cpuProf, '--cpu-prof-name', name);
  }
  const serverArgs = server.timed ? [contender, '--timed'] : [contender];
  const serverChild = new Child(`${contender} server`, 'server.js', serverArgs, {
    core: ctx.pin ? 0 : undefined,
    nodeArgs: serverNodeArgs,
    env: server.env ?? {},
  });
  const load = new Child(`${contender} load`, 'load.js', [], {
    core: ctx.pin ? 1 : undefined,
    nodeArgs: ['--max-old-space-size=4096'],
  });
  try {
    const [ready] = await Promise.all([serverChild.ready, load.ready]);
    return await body(serverChild, load, ready as unknown as ReadyMessage);
  } finally {
    // The server first, so the closing handshakes leave TIME_WAIT on its side.
    await serverChild.end();
    await load.end();
  }
}

function connectParams(
  ctx: RunContext,
  contender: ContenderName,
  ready: ReadyMessage,
  count: number,
  subscribe: string[] | undefined,
): Record<string, unknown> {
  return {
    kind: clientKind(contender),
    port: ready.port,
    path: ready.path,
    count,
    subscribe,
    concurrency: ctx.settings.connectConcurrency,
  };
}

/** Enough time to connect `n` clients, even slowly. */
function connectTimeout(n: number): number {
  return 20_000 + n * 20;
}

function fanoutMessages(ctx: RunContext, timed: boolean, n: number): number {
  if (timed) {
    const t = ctx.settings.timed;
    return Math.max(t.minMessages, Math.min(t.maxMessages, Math.round(t.deliveries / n)));
  }
  const f = ctx.settings.fanout;
  const bursts = Math.max(2, Math.round(f.deliveries / n / f.burst));
  return Math.min(f.maxMessages, bursts * f.burst);
}

async function runFanout(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
  timed: boolean,
): Promise<Omit<RunRecord, 'scenario' | 'case' | 'contender' | 'rep'>> {
  const event = timed ? TOCK : TICK;
  const messages = fanoutMessages(ctx, timed, n);
  const warmup = Math.max(timed ? 10 : 2 * ctx.settings.fanout.burst, Math.round(messages / 5));
  const burst = ctx.settings.fanout.burst;
  const periodMs = timedPeriodFor(n);
  const env = { BENCH_TIMED_PERIOD_MS: String(periodMs) };
  return withProcesses(
    ctx,
    contender,
    { label: `${timed ? 'fanout-timed' : 'fanout'}-N${n}`, env, timed },
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
      const pubP = publish(messages);
      const rec = await load.call('wait', { timeoutMs: waitMs(messages) }, waitMs(messages) + 5000);
      const pub = await pubP;
      const cpu = await server.call('cpuStop', {}, 5000);

      const deliveries = rec.deliveries as number;
      const seconds = ((rec.lastAt as number) - (pub.t0 as number)) / 1000;
      const cpuUs = (cpu.userUs as number) + (cpu.systemUs as number);
      const expected = n * messages;
      let violations =
        (warm.violations as number) +
        (warm.missing as number) +
        (warm.stray as number) +
        (rec.violations as number) +
        (rec.missing as number) +
        (rec.stray as number);
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

async function runInbound(
  ctx: RunContext,
  contender: ContenderName,
): Promise<Omit<RunRecord, 'scenario' | 'case' | 'contender' | 'rep'>> {
  const s = ctx.settings.inbound;
  return withProcesses(
    ctx,
    contender,
    { label: `inbound-K${s.clients}` },
    async (server, load, ready) => {
      await load.call(
        'connect',
        connectParams(ctx, contender, ready, s.clients, undefined),
        connectTimeout(s.clients),
      );
      const phaseTimeout = (ms: number): number => ms + 15_000;
      const metrics: Metrics = {};
      const detail: Record<string, unknown> = {
        clients: s.clients,
        window: s.window,
        rate: s.rate,
      };
      let errors = 0;
      const variants: Array<[string, string]> = [
        ['plain', ECHO],
        ['dto', ECHO_DTO],
      ];
      for (const [, event] of variants) {
        await load.call(
          'closedLoop',
          { event, window: s.window, durationMs: s.warmupMs },
          phaseTimeout(s.warmupMs),
        );
      }
      for (const [name, event] of variants) {
        await server.call('cpuStart', {}, 5000);
        const r = await load.call(
          'closedLoop',
          { event, window: s.window, durationMs: s.throughputMs },
          phaseTimeout(s.throughputMs),
        );
        const cpu = await server.call('cpuStop', {}, 5000);
        errors += (r.errors as number) + (r.unanswered as number);
        metrics[`${name}PerSec`] = r.perSec as number;
        metrics[`${name}CpuUsPerRequest`] =
          ((cpu.userUs as number) + (cpu.systemUs as number)) / Math.max(1, r.total as number);
        detail[`${name}Throughput`] = r;
      }
      for (const [name, event] of variants) {
        const r = await load.call(
          'openLoop',
          { event, rate: s.rate, durationMs: s.latencyMs },
          phaseTimeout(s.latencyMs),
        );
        errors += (r.errors as number) + (r.unanswered as number);
        metrics[`${name}P50Ms`] = r.p50 as number;
        metrics[`${name}P99Ms`] = r.p99 as number;
        metrics[`${name}P999Ms`] = r.p999 as number;
        detail[`${name}Latency`] = r;
      }
      const stats = await load.call('stats', {}, 5000);
      errors += stats.replyErrors as number;
      return { ok: errors === 0, violations: errors, metrics, detail };
    },
  );
}

async function runIdle(
  ctx: RunContext,
  contender: ContenderName,
  n: number,
): Promise<Omit<RunRecord, 'scenario' | 'case' | 'contender' | 'rep'>> {
  const snapshot = async (server: Child, when: string): Promise<void> => {
    if (!ctx.heapSnapshot) return;
    const file = path.join(ctx.heapSnapshot, `${contender}-N${n}-${when}.heapsnapshot`);
    await server.call('heapSnapshot', { file }, 120_000);
  };
  return withProcesses(
    ctx,
    contender,
    { label: `idle-N${n}`, gc: true },
    async (server, load, ready) => {
      const before = await server.call('mem', {}, 10_000);
      await snapshot(server, 'before');
      const conn = await load.call(
        'connect',
        {
          ...connectParams(ctx, contender, ready, n, [TICK]),
          concurrency: ctx.settings.idle.concurrency,
        },
        connectTimeout(n),
      );
      await sleep(ctx.settings.idle.settleMs);
      const after = await server.call('mem', {}, 10_000);
      await snapshot(server, 'after');
      const stats = await load.call('stats', {}, 5000);
      return {
        ok: (stats.clients as number) === n,
        violations: 0,
        metrics: {
          heapPerConn: ((after.heapUsed as number) - (before.heapUsed as number)) / n,
          rssPerConn: ((after.rss as number) - (before.rss as number)) / n,
          connectsPerSec: conn.perSec as number,
        },
        detail: { connections: n, before, after, connectMs: conn.ms },
      };
    },
  );
}

// ---------------------------------------------------------------- tables

interface MetricSpec {
  key: string;
  label: string;
  format: (v: number) => string;
}

function sig(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Number(v.toPrecision(digits)).toString();
}
const fmtRate = (v: number): string =>
  !Number.isFinite(v)
    ? 'n/a'
    : v >= 1e6
      ? `${sig(v / 1e6)}M`
      : v >= 1e3
        ? `${sig(v / 1e3)}k`
        : sig(v);
const fmtUs = (v: number): string => (Number.isFinite(v) ? `${sig(v)}µs` : 'n/a');
const fmtMs = (v: number): string => (Number.isFinite(v) ? `${sig(v)}ms` : 'n/a');
const fmtBytes = (v: number): string =>
  !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 1024 ? `${sig(v / 1024)}KiB` : `${Math.round(v)}B`;

const FANOUT_METRICS: MetricSpec[] = [
  { key: 'deliveriesPerSec', label: 'deliveries/s', format: fmtRate },
  { key: 'cpuUsPerDelivery', label: 'server CPU/delivery', format: fmtUs },
];

/** The inbound figures, once without and once with the DTO (`plain…` and `dto…` keys). */
const inboundMetrics = (prefix: 'plain' | 'dto', label: string): MetricSpec[] => [
  { key: `${prefix}PerSec`, label: `${label}handled/s`, format: fmtRate },
  { key: `${prefix}CpuUsPerRequest`, label: `${label}server CPU/request`, format: fmtUs },
  { key: `${prefix}P50Ms`, label: `${label}p50 latency`, format: fmtMs },
  { key: `${prefix}P99Ms`, label: `${label}p99 latency`, format: fmtMs },
  { key: `${prefix}P999Ms`, label: `${label}p99.9 latency`, format: fmtMs },
];

const METRICS: Record<Scenario, MetricSpec[]> = {
  fanout: FANOUT_METRICS,
  'fanout-timed': FANOUT_METRICS,
  inbound: [...inboundMetrics('plain', ''), ...inboundMetrics('dto', 'DTO ')],
  idle: [
    { key: 'heapPerConn', label: 'heap/connection', format: fmtBytes },
    { key: 'rssPerConn', label: 'RSS/connection', format: fmtBytes },
    { key: 'connectsPerSec', label: 'connects/s', format: fmtRate },
  ],
};

const TITLES: Record<Scenario, string> = {
  fanout: 'fan-out: one event to N subscribers, ~100-byte payloads in bursts',
  'fanout-timed':
    'fan-out by timer (TimedSender / setInterval): one message per period, max(2, N/100) ms',
  inbound: 'inbound: requests with an id to a trivial handler, acked',
  idle: 'idle memory: subscribed connections doing nothing, after forced GC',
};

interface Summary {
  median: number;
  min: number;
  max: number;
  values: number[];
}

function summarize(
  runs: RunRecord[],
  scenario: Scenario,
  kase: string,
  contender: ContenderName,
  key: string,
): Summary | undefined {
  const values = runs
    .filter((r) => r.scenario === scenario && r.case === kase && r.contender === contender && r.ok)
    .map((r) => r.metrics[key]!)
    .filter((v) => Number.isFinite(v));
  if (values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values };
}

function table(
  runs: RunRecord[],
  scenario: Scenario,
  cases: string[],
  contenders: ContenderName[],
  reps: number,
): string {
  const header = ['case', 'metric'];
  for (const c of contenders) {
    header.push(c);
    if (c !== 'raw-ws') header.push('×raw');
  }
  const rows: string[][] = [header];
  for (const kase of cases) {
    for (const m of METRICS[scenario]) {
      const row = [kase, m.label];
      const base = summarize(runs, scenario, kase, 'raw-ws', m.key);
      for (const c of contenders) {
        const s = summarize(runs, scenario, kase, c, m.key);
        row.push(
          !s
            ? 'failed'
            : reps > 1
              ? `${m.format(s.median)} [${m.format(s.min)}–${m.format(s.max)}]`
              : m.format(s.median),
        );
        if (c !== 'raw-ws') row.push(s && base ? (s.median / base.median).toFixed(2) : 'n/a');
      }
      rows.push(row);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

// ---------------------------------------------------------------- targets

interface TargetResult {
  target: string;
  ratio: number;
  limit: string;
  met: boolean | null;
}

function targets(runs: RunRecord[], cases: Record<Scenario, string[]>): TargetResult[] {
  const out: TargetResult[] = [];
  const ratio = (
    scenario: Scenario,
    kase: string,
    key: string,
    of: ContenderName,
    to: ContenderName,
  ): number => {
    const a = summarize(runs, scenario, kase, of, key);
    const b = summarize(runs, scenario, kase, to, key);
    return a && b ? a.median / b.median : NaN;
  };
  const add = (target: string, r: number, op: '>=' | '<=', limit: number): void => {
    out.push({
      target,
      ratio: r,
      limit: `${op} ${limit}`,
      met: Number.isFinite(r) ? (op === '>=' ? r >= limit : r <= limit) : null,
    });
  };
  for (const scenario of ['fanout', 'fanout-timed'] as const) {
    for (const kase of cases[scenario]) {
      add(
        `${scenario} ${kase} deliveries/s vs raw ws`,
        ratio(scenario, kase, 'deliveriesPerSec', 'carom', 'raw-ws'),
        '>=',
        0.9,
      );
      add(
        `${scenario} ${kase} CPU/delivery vs raw ws`,
        ratio(scenario, kase, 'cpuUsPerDelivery', 'carom', 'raw-ws'),
        '<=',
        1.15,
      );
    }
  }
  if (cases.fanout.includes('N=1000')) {
    add(
      'fanout N=1000 deliveries/s vs Socket.IO',
      ratio('fanout', 'N=1000', 'deliveriesPerSec', 'carom', 'socketio'),
      '>=',
      3,
    );
  }
  if (cases.inbound.length > 0) {
    const k = cases.inbound[0]!;
    add(
      'inbound handled/s vs raw ws (no DTO)',
      ratio('inbound', k, 'plainPerSec', 'carom', 'raw-ws'),
      '>=',
      0.85,
    );
    add(
      'inbound handled/s vs raw ws (DTO)',
      ratio('inbound', k, 'dtoPerSec', 'carom', 'raw-ws'),
      '>=',
      0.7,
    );
    add(
      'inbound p99 vs raw ws (no DTO)',
      ratio('inbound', k, 'plainP99Ms', 'carom', 'raw-ws'),
      '<=',
      1.2,
    );
    add(
      'inbound p99 vs raw ws (DTO)',
      ratio('inbound', k, 'dtoP99Ms', 'carom', 'raw-ws'),
      '<=',
      1.2,
    );
  }
  for (const kase of cases.idle) {
    add(
      `idle ${kase} heap/connection vs raw ws`,
      ratio('idle', kase, 'heapPerConn', 'carom', 'raw-ws'),
      '<=',
      1.5,
    );
  }
  return out;
}

// ---------------------------------------------------------------- main

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const dirty = spawnSync('git', ['status', '--porcelain', 'src'], { cwd: root, encoding: 'utf8' });
  return r.stdout.trim() + (dirty.stdout.trim() ? '+dirty src' : '');
}

function casesOf(settings: Settings, scenario: Scenario): Array<{ label: string; n: number }> {
  switch (scenario) {
    case 'fanout':
      return settings.fanout.sizes.map((n) => ({ label: `N=${n}`, n }));
    case 'fanout-timed':
      return settings.timed.sizes.map((n) => ({ label: `N=${n}`, n }));
    case 'inbound':
      return [{ label: `K=${settings.inbound.clients}`, n: settings.inbound.clients }];
    case 'idle':
      return settings.idle.sizes.map((n) => ({ label: `N=${n}`, n }));
  }
}

function oneLine(scenario: Scenario, m: Metrics): string {
  return METRICS[scenario]
    .slice(0, 3)
    .filter((s) => m[s.key] !== undefined)
    .map((s) => `${s.label} ${s.format(m[s.key]!)}`)
    .join(', ');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const settings = settingsFor(args.mode);
  if (args.reps) settings.reps = args.reps;
  const pin = pinning();
  const ctx: RunContext = {
    settings,
    pin: pin.pin,
    cpuProf: args.cpuProf,
    heapSnapshot: args.heapSnapshot,
  };
  if (args.cpuProf) mkdirSync(args.cpuProf, { recursive: true });
  if (args.heapSnapshot) mkdirSync(args.heapSnapshot, { recursive: true });
  const started = new Date();
  const cpus = os.cpus();
  const machine = {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg(),
    pinning: pin.why,
  };
  const versions = {
    carom: (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }
    ).version,
    caromCommit: gitCommit(),
    ws: packageVersion('ws'),
    'socket.io': packageVersion('socket.io'),
    'socket.io-client': packageVersion('socket.io-client'),
    'class-validator': packageVersion('class-validator'),
    'class-transformer': packageVersion('class-transformer'),
  };
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(
    `carom bench (${settings.mode}, ${settings.reps} repetition${settings.reps > 1 ? 's' : ''}) ` +
      `on ${machine.cpuCount}× ${machine.cpuModel}, node ${machine.node}; ${pin.why}`,
  );
  if (os.loadavg()[0]! > 0.5) {
    log(
      `note: load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}: other processes are using the CPU`,
    );
  }

  const runs: RunRecord[] = [];
  const deadlineMs = 3 * 60 * 60 * 1000;
  const t0 = Date.now();
  for (let rep = 1; rep <= settings.reps; rep++) {
    for (const scenario of args.scenarios) {
      for (const kase of casesOf(settings, scenario)) {
        // Contenders take turns; the starting one rotates with the repetition.
        const order = args.contenders.map(
          (_, i) => args.contenders[(i + rep - 1) % args.contenders.length]!,
        );
        for (const contender of order) {
          if (Date.now() - t0 > deadlineMs) throw new Error('the bench ran past its 3-hour bound');
          const base = { scenario, case: kase.label, contender, rep };
          let record: RunRecord;
          const runStart = Date.now();
          try {
            const r =
              scenario === 'fanout'
                ? await runFanout(ctx, contender, kase.n, false)
                : scenario === 'fanout-timed'
                  ? await runFanout(ctx, contender, kase.n, true)
                  : scenario === 'inbound'
                    ? await runInbound(ctx, contender)
                    : await runIdle(ctx, contender, kase.n);
            record = { ...base, ...r };
          } catch (err) {
            record = {
              ...base,
              ok: false,
              violations: 0,
              metrics: {},
              detail: {},
              error: errorText(err),
            };
          }
          record.wallMs = Date.now() - runStart;
          runs.push(record);
          log(
            `[${rep}/${settings.reps}] ${scenario} ${kase.label} ${contender}: ` +
              (record.ok
                ? oneLine(scenario, record.metrics)
                : `FAILED${record.violations ? ` (${record.violations} violations)` : ''} ${record.error ?? JSON.stringify(record.detail.violationDetails ?? '')}`),
          );
        }
      }
    }
  }

  const cases = Object.fromEntries(
    SCENARIOS.map((s) => [
      s,
      args.scenarios.includes(s) ? casesOf(settings, s).map((c) => c.label) : [],
    ]),
  ) as Record<Scenario, string[]>;
  log('');
  for (const scenario of args.scenarios) {
    log(`${TITLES[scenario]}`);
    log(table(runs, scenario, cases[scenario], args.contenders, settings.reps));
    log('');
  }
  const targetResults =
    args.contenders.includes('carom') && args.contenders.includes('raw-ws')
      ? targets(runs, cases)
      : [];
  if (targetResults.length > 0) {
    log('targets (carom, medians of this run)');
    for (const t of targetResults) {
      const verdict = t.met === null ? 'n/a ' : t.met ? 'met ' : 'MISS';
      log(
        `  ${verdict} ${t.target}: ${Number.isFinite(t.ratio) ? t.ratio.toFixed(2) : 'n/a'} (${t.limit})`,
      );
    }
  }
  const failed = runs.filter((r) => !r.ok);
  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `node build/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...machine, loadAverageAtEnd: os.loadavg() },
    versions,
    settings,
    scenarios: args.scenarios,
    contenders: args.contenders,
    summary: Object.fromEntries(
      args.scenarios.map((s) => [
        s,
        Object.fromEntries(
          cases[s].map((kase) => [
            kase,
            Object.fromEntries(
              METRICS[s].map((m) => [
                m.key,
                Object.fromEntries(
                  args.contenders.map((c) => [c, summarize(runs, s, kase, c, m.key) ?? null]),
                ),
              ]),
            ),
          ]),
        ),
      ]),
    ),
    targets: targetResults,
    failures: failed.length,
    runs,
  };
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (args.out) {
    mkdirSync(path.dirname(args.out), { recursive: true });
    writeFileSync(args.out, json);
    log(`results: ${args.out}`);
  } else {
    const dir = path.join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, json);
    writeFileSync(path.join(dir, 'latest.json'), json);
    log(`results: ${path.relative(process.cwd(), file)} (and bench/results/latest.json)`);
  }
  log(`time: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (failed.length > 0) {
    log(`${failed.length} run(s) failed or saw lost, duplicated or out-of-order messages`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${errorText(err)}\n`);
    for (const child of live) child.kill();
    process.exitCode = 1;
  },
);
