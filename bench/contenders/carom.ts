/**
 * carom, used the way its README teaches: a decorated handler class per
 * request event (one with a class-validator DTO), a `Sender` for the fan-out
 * event and a `TimedSender` for the timed one, all passed to `new Carom`. The
 * slow-readers scenario picks the fan-out event's delivery policy and limits
 * through `BENCH_*` variables (see `slowReadersOptions`).
 */
import { createServer as createHttpServer } from 'node:http';
import { rmSync } from 'node:fs';
import {
  Carom,
  Handler,
  On,
  Payload,
  Sender,
  TimedSender,
  Topic,
  type CaromObserver,
  type CaromOptions,
  type Context,
  type DeliveryMode,
} from '../../src/index.js';
import {
  BODY,
  ECHO,
  ECHO_DTO,
  TICK,
  TIMED_PERIOD_MS,
  TOCK,
  type EchoData,
  type EchoReply,
  type TickData,
} from '../common.js';
import type { RedisBroker } from '../../src/redis/index.js';
import { EchoDto } from './dto.js';
import type { BenchServer, ServerOptions } from './types.js';

/** Publishes the fan-out event. */
@Topic(TICK)
export class TickSender extends Sender<TickData> {}

/** The fan-out event, conflated for backlogged connections. */
@Topic(TICK, { delivery: 'latest' })
export class LatestTickSender extends Sender<TickData> {}

/** The fan-out event, skipped by backlogged connections. */
@Topic(TICK, { delivery: 'drop' })
export class DropTickSender extends Sender<TickData> {}

const TICK_SENDERS: Readonly<Record<DeliveryMode, typeof TickSender>> = {
  all: TickSender,
  latest: LatestTickSender,
  drop: DropTickSender,
};

/**
 * The slow-readers scenario's settings: the tick's policy (`BENCH_DELIVERY`),
 * `backlogBytes` and `maxBufferedBytes`, and each tick's body (`BENCH_BODY_BYTES`, read by `BODY`).
 */
function slowReadersOptions(env: NodeJS.ProcessEnv): {
  sender: typeof TickSender;
  limits: CaromOptions;
  body: string;
} {
  const mode = (env.BENCH_DELIVERY ?? 'all') as DeliveryMode;
  const sender = TICK_SENDERS[mode];
  if (sender === undefined) throw new Error(`BENCH_DELIVERY=${mode}: all, latest or drop`);
  const limits: CaromOptions = {};
  if (env.BENCH_BACKLOG_BYTES)
    Object.assign(limits, { backlogBytes: Number(env.BENCH_BACKLOG_BYTES) });
  if (env.BENCH_MAX_BUFFERED)
    Object.assign(limits, { maxBufferedBytes: Number(env.BENCH_MAX_BUFFERED) });
  return { sender, limits, body: BODY };
}

/**
 * Publishes the timed fan-out event every period. It waits (an async
 * `createMessageData`) until the bench starts a run, then publishes the run's
 * messages one per tick, and waits again after the last.
 */
@Topic(TOCK, { everyMs: TIMED_PERIOD_MS })
export class TockSender extends TimedSender<TickData> {
  private next = 0;
  private count = 0;
  private release: (() => void) | undefined;
  private finished: (() => void) | undefined;

  /** Starts a run of `count` messages; resolves once the last is published. */
  run(count: number): Promise<void> {
    this.next = 0;
    this.count = count;
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    this.release?.();
    this.release = undefined;
    return done;
  }

  override createMessageData(): TickData | Promise<TickData> {
    if (this.next < this.count) return this.take();
    return new Promise<void>((resolve) => (this.release = resolve)).then(() => this.take());
  }

  private take(): TickData {
    const seq = this.next++;
    if (this.next === this.count) {
      // The app publishes as soon as this returns; report after that.
      const finished = this.finished;
      setImmediate(() => finished?.());
    }
    return { seq, body: BODY };
  }
}

/** The trivial request handler: no DTO, returns a value (the ack's data). */
@On(ECHO, { dto: false })
export class EchoHandler extends Handler<EchoData, EchoReply> {
  handle(data: EchoData): EchoReply {
    return { n: data.n };
  }
}

/** The same handler behind a class-validator DTO. */
@On(ECHO_DTO)
export class EchoDtoHandler extends Handler<EchoDto, EchoReply> {
  handle(@Payload() data: EchoDto, _ctx: Context): EchoReply {
    return { n: data.n };
  }
}

/**
 * The cross-node scenario's broker: Redis at `BENCH_REDIS_URL` when it is set,
 * loaded only then, as an app without Redis would; the in-process one otherwise.
 */
async function brokerOf(env: NodeJS.ProcessEnv): Promise<{ broker?: RedisBroker }> {
  const url = env.BENCH_REDIS_URL;
  if (url === undefined || url === '') return {};
  const { redisBroker } = await import('../../src/redis/index.js');
  return { broker: redisBroker({ url, prefix: env.BENCH_REDIS_PREFIX ?? 'carom-bench' }) };
}

export function createServer(options: ServerOptions): Promise<BenchServer> {
  return caromServer(options, []);
}

/**
 * carom's server, with the observers given (none for `carom`, metrics and
 * tracing for `carom-observed`), and the fan-out event's sender when another
 * one declares it (`carom-history`).
 */
export async function caromServer(
  options: ServerOptions,
  observers: readonly CaromObserver[],
  tickSender?: typeof TickSender,
): Promise<BenchServer> {
  const slow = slowReadersOptions(process.env);
  if (tickSender !== undefined) slow.sender = tickSender;
  const app = new Carom({
    observers,
    ...(await brokerOf(process.env)),
    ...slow.limits,
    handlers: [EchoHandler, EchoDtoHandler],
    senders: options.timed ? [slow.sender, TockSender] : [slow.sender],
    logLevel: 'warn',
    // The load comes from one address in bursts no real client sends; the raw contenders
    // have no such limits either, so carom's are lifted for a like-for-like measurement.
    maxConnections: 100_000,
    maxConnectionsPerAddress: 100_000,
    rateLimit: false,
    // Nor a handshake timeout: thousands of handshakes queued on a loaded core (the scale
    // scenario) may wait past the default 10 s, which a real server would rightly refuse.
    handshakeTimeoutMs: 120_000,
  });
  const unixPath = process.env.BENCH_UNIX_PATH || undefined;
  let port = 0;
  let closeHttp = (): Promise<void> => Promise.resolve();
  if (unixPath === undefined) {
    port = (await app.listen({ port: 0, host: '127.0.0.1' })).port;
  } else {
    // A Unix socket holds ~100 KB for a reader that stops, where TCP on loopback holds
    // ~4 MB: a slow reader's backlog then reaches the server within seconds.
    rmSync(unixPath, { force: true });
    const http = createHttpServer();
    app.attach(http);
    await app.ready();
    await new Promise<void>((resolve) => http.listen(unixPath, resolve));
    closeHttp = () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      });
  }
  const ticks = app.get(slow.sender);
  const body = slow.body;

  return {
    port,
    path: '/ws',
    unixPath,
    publish: (seq, at) => ticks.send(at === undefined ? { seq, body } : { seq, at, body }),
    startTimed: (count) => app.get(TockSender).run(count),
    connections: () => app.stats().connections,
    deliveryStats: () => ({ ...app.deliveryStats(), connections: app.stats().connections }),
    close: async () => {
      await app.close();
      await closeHttp();
    },
  };
}
