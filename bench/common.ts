/**
 * What the bench's processes share: event names, the payloads, the messages the
 * orchestrator exchanges with the server and load processes, and small helpers.
 */

/** The event the fan-out scenario publishes (a `Sender` in carom). */
export const TICK = 'tick';
/** The event the timed fan-out scenario publishes (a `TimedSender` in carom). */
export const TOCK = 'tock';
/** The inbound request without validation. */
export const ECHO = 'echo';
/** The inbound request whose payload is checked against a class-validator DTO. */
export const ECHO_DTO = 'echo_dto';

/**
 * Period of the timed publisher (one message per tick), set by the orchestrator
 * for each run through the environment: carom's `@Topic` reads it when the
 * contender module loads.
 */
export const TIMED_PERIOD_MS = Math.max(1, Number(process.env.BENCH_TIMED_PERIOD_MS) || 2);

/**
 * The timer period for N subscribers: long enough that every contender
 * publishes one message within it, so none skips or bunches ticks and the
 * scenario compares the cost of the same work.
 */
export function timedPeriodFor(subscribers: number): number {
  return Math.max(2, Math.ceil(subscribers / 100));
}

/** The largest payload size `--sizes` takes, in bytes: well inside every contender's 1 MiB frame cap. */
export const MAX_SIZE_BYTES = 256 * 1024;

/**
 * The `body` of every fan-out message: `BENCH_BODY_BYTES` characters when the
 * orchestrator sets it (`--sizes`, the slow-readers scenario), otherwise about
 * 80 characters, so that a tick's data is about 100 bytes of JSON.
 */
export const BODY = bodyOf(Number(process.env.BENCH_BODY_BYTES) || 0);

function bodyOf(bytes: number): string {
  if (bytes > 0) return 'b'.repeat(Math.min(bytes, MAX_SIZE_BYTES));
  return 'The quick brown fox jumps over the lazy dog while carom counts every frame it sends.'.slice(
    0,
    80,
  );
}

/** The `text` of an inbound request: `bytes` characters, or `hello` when 0 (the default payload). */
export function requestText(bytes: number): string {
  return bytes > 0 ? 't'.repeat(Math.min(bytes, MAX_SIZE_BYTES)) : 'hello';
}

/**
 * The data of one fan-out message: `{"seq":123,"body":"..."}`, about 100 bytes.
 * The cross-node scenario's latency round adds `at`, the publisher's
 * {@link epochMs} when it published: `{"seq":123,"at":1712345678901.234,"body":"..."}`.
 */
export interface TickData {
  seq: number;
  at?: number;
  body: string;
}

/** The payload of an inbound request. */
export interface EchoData {
  n: number;
  text: string;
}

/** What the trivial handler returns. */
export interface EchoReply {
  n: number;
}

/**
 * The contenders, in table order; raw ws (each publish framed once) is the
 * baseline of every ratio, `raw-ws-send` is raw ws calling `ws.send` per socket.
 */
export const CONTENDERS = [
  'raw-ws',
  'raw-ws-send',
  'carom',
  'socketio',
  'carom-metrics',
  'carom-observed',
  'carom-history',
  'carom-redis',
  'carom-redis-history',
] as const;

/**
 * The contenders that run over a Redis broker: the fan-out scenario starts a
 * redis-server for them (pinned with the server) and counts its CPU with the
 * server's.
 */
export const REDIS_CONTENDERS: ReadonlySet<ContenderName> = new Set([
  'carom-redis',
  'carom-redis-history',
]);
/**
 * The contenders a run has when `--contenders` is not given: `carom-observed`
 * (carom with metrics and tracing on) only when asked for.
 */
export const DEFAULT_CONTENDERS: readonly ContenderName[] = [
  'raw-ws',
  'raw-ws-send',
  'carom',
  'socketio',
];
export type ContenderName = (typeof CONTENDERS)[number];

/** The protocol a contender's clients speak. */
export function clientKind(contender: ContenderName): 'envelope' | 'socketio' {
  return contender === 'socketio' ? 'socketio' : 'envelope';
}

/** A message from the orchestrator to a child: a command with a request id. */
export interface Command {
  rid: number;
  cmd: string;
  [key: string]: unknown;
}

/** A child's answer to one command. */
export interface Reply {
  rid: number;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** What a server process announces once it listens. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
  path: string;
  /** The Unix socket the server listens on instead of TCP (the slow-readers scenario). */
  unixPath?: string;
}

/** Wall-clock time in milliseconds with sub-millisecond resolution, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The value at quantile `q` (0..1) of an ascending array. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** A distribution of latencies (ms); NaN where there are none. */
export interface LatencySummary {
  count: number;
  /** Values that were NaN (a message without a stamp). */
  unstamped: number;
  p50: number;
  p99: number;
  max: number;
}

/** The distribution of some latencies (ms): count, p50, p99, max, and how many were NaN. It sorts `values`. */
export function latencyOf(values: Float64Array): LatencySummary {
  const sorted = values.sort();
  // A message without a stamp reads NaN, which sorts last.
  let stamped = sorted.length;
  while (stamped > 0 && Number.isNaN(sorted[stamped - 1])) stamped--;
  const s = sorted.subarray(0, stamped);
  return {
    count: s.length,
    unstamped: sorted.length - stamped,
    p50: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    max: s.length ? s[s.length - 1]! : NaN,
  };
}

/** Rejects when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Median of unsorted numbers (NaN for none). */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves on the next turn of the event loop, after I/O. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The message text of anything thrown. */
export function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/**
 * Serves one child process's commands over its IPC channel: each handler's
 * result is sent back with the command's `rid`; a throw is sent as an error.
 * The process exits when the parent goes away.
 */
export function serveCommands(
  handlers: Record<string, (cmd: Command) => unknown>,
  onExit: () => Promise<void>,
): void {
  const send = (reply: Reply): void => {
    if (process.connected) process.send!(reply);
  };
  process.on('message', (raw: unknown) => {
    const cmd = raw as Command;
    if (cmd.cmd === 'exit') {
      void exitSoon(onExit, () => send({ rid: cmd.rid, ok: true }));
      return;
    }
    const handler = handlers[cmd.cmd];
    if (!handler) {
      send({ rid: cmd.rid, ok: false, error: `unknown command ${cmd.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(cmd))
      .then(
        (result) => send({ rid: cmd.rid, ok: true, ...(result as object) }),
        (err: unknown) => send({ rid: cmd.rid, ok: false, error: errorText(err) }),
      );
  });
  // The orchestrator is gone: nothing will ever end this process otherwise.
  process.on('disconnect', () => process.exit(0));
}

async function exitSoon(onExit: () => Promise<void>, acknowledge: () => void): Promise<void> {
  const force = setTimeout(() => process.exit(0), 3000);
  try {
    await onExit();
  } catch {
    // exiting anyway
  }
  clearTimeout(force);
  acknowledge();
  // Let the acknowledgement leave before the channel closes; exit() writes a --cpu-prof profile.
  setTimeout(() => process.exit(0), 20);
}
