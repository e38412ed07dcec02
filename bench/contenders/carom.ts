/**
 * carom, used the way its README teaches: a decorated handler class per
 * request event (one with a class-validator DTO), a `Sender` for the fan-out
 * event and a `TimedSender` for the timed one, all passed to `new Carom`.
 */
import {
  Carom,
  Handler,
  On,
  Payload,
  Sender,
  TimedSender,
  Topic,
  type CaromObserver,
  type Context,
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

/** carom's server, with the observers given (none for `carom`, metrics and tracing for `carom-observed`). */
export async function caromServer(
  options: ServerOptions,
  observers: readonly CaromObserver[],
): Promise<BenchServer> {
  const app = new Carom({
    observers,
    ...(await brokerOf(process.env)),
    handlers: [EchoHandler, EchoDtoHandler],
    senders: options.timed ? [TickSender, TockSender] : [TickSender],
    logLevel: 'warn',
    // The load comes from one address in bursts no real client sends; the raw contenders
    // have no such limits either, so carom's are lifted for a like-for-like measurement.
    maxConnections: 100_000,
    maxConnectionsPerAddress: 100_000,
    rateLimit: false,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const ticks = app.get(TickSender);

  return {
    port: address.port,
    path: '/ws',
    publish: (seq, at) =>
      ticks.send(at === undefined ? { seq, body: BODY } : { seq, at, body: BODY }),
    startTimed: (count) => app.get(TockSender).run(count),
    close: () => app.close(),
  };
}
