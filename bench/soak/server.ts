/**
 * The soak's server process: `node --expose-gc build/bench/soak/server.js <json settings>`.
 *
 * A small carom app on 127.0.0.1 (a free port): a `Sender` whose timer in this
 * process publishes a sequence number at a steady rate; `join`, which
 * subscribes the calling connection server-side and answers the last sequence
 * number published; `leave`, its inverse; `echo`; and a DTO-validated
 * `echo_dto`. It reports its memory to the orchestrator over IPC every few
 * seconds, after a forced GC when it can.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { IsInt, IsString, Length, Min } from 'class-validator';
import {
  Carom,
  DEFAULTS,
  Handler,
  On,
  Payload,
  Sender,
  Topic,
  type Context,
  type LogLevel,
} from '../../src/index.js';
import {
  ECHO,
  ECHO_DTO,
  JOIN,
  LEAVE,
  TICK,
  type MemorySample,
  type ServerReady,
  type TickData,
} from './protocol.js';

interface ServerSettings {
  /** Ticks published per second. */
  readonly rate: number;
  readonly sampleMs: number;
  readonly logLevel: LogLevel;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as ServerSettings;
if (!process.send) {
  process.stderr.write('soak/server.js runs as a child of soak.js (it needs an IPC channel)\n');
  process.exit(2);
}

/** Publishes {@link TICK}; `seq` is the last sequence number published (0: none yet). */
@Topic(TICK)
export class TickSender extends Sender<TickData> {
  seq = 0;

  /** Publishes the next sequence number. The publish itself is synchronous. */
  tick(): void {
    this.seq++;
    this.send({ seq: this.seq }).catch((err: unknown) => app.logger.error('tick failed', err));
  }
}

/**
 * Subscribes the caller to the ticks. Both steps are synchronous, so every
 * tick after the `seq` it answers is owed to this connection, and none before.
 */
@On(JOIN, { dto: false })
export class JoinHandler extends Handler<unknown, TickData> {
  constructor(private readonly ticks: TickSender) {
    super();
  }

  handle(_data: unknown, ctx: Context): TickData {
    ctx.connection.subscribe(TICK);
    return { seq: this.ticks.seq };
  }
}

/**
 * Unsubscribes the caller. Ticks up to the `seq` it answers were written to the
 * socket before this ack, so once the ack arrives they all have.
 */
@On(LEAVE, { dto: false })
export class LeaveHandler extends Handler<unknown, TickData> {
  constructor(private readonly ticks: TickSender) {
    super();
  }

  handle(_data: unknown, ctx: Context): TickData {
    ctx.connection.unsubscribe(TICK);
    return { seq: this.ticks.seq };
  }
}

/** Answers with its payload. */
@On(ECHO, { dto: false })
export class EchoHandler extends Handler<unknown, unknown> {
  handle(data: unknown): unknown {
    return data;
  }
}

/** The payload of `echo_dto`. */
export class EchoDto {
  @IsInt()
  @Min(0)
  n!: number;

  @IsString()
  @Length(1, 100)
  text!: string;
}

/** Validated against {@link EchoDto}; answers `{ n }`. */
@On(ECHO_DTO)
export class EchoDtoHandler extends Handler<EchoDto, { n: number }> {
  handle(@Payload() data: EchoDto): { n: number } {
    return { n: data.n };
  }
}

const app = new Carom({
  handlers: [JoinHandler, LeaveHandler, EchoHandler, EchoDtoHandler],
  senders: [TickSender],
  logLevel: settings.logLevel,
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
const ticks = app.get(TickSender);
// Ticks keep to the rate on average: a late timer publishes every tick that fell
// due meanwhile (a few at most), as a busy or shared core delays timers.
const startedAt = performance.now();
const MAX_CATCH_UP = 20;
const ticker = setInterval(
  () => {
    const due = Math.floor(((performance.now() - startedAt) * settings.rate) / 1000);
    for (let i = 0; i < MAX_CATCH_UP && ticks.seq < due; i++) ticks.tick();
  },
  Math.max(1, Math.floor(1000 / settings.rate)),
);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const gc = (globalThis as { gc?: () => void }).gc;

/** A sample now; the loop delay figures cover the time since the last one. */
function sample(): MemorySample {
  const delay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  gc?.();
  const m = process.memoryUsage();
  const stats = app.stats();
  const result: MemorySample = {
    type: 'sample',
    at: Date.now(),
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    collected: gc !== undefined,
    connections: stats.connections,
    subscriptions:
      stats.subscriptions.exact + stats.subscriptions.patterns + stats.subscriptions.exclusions,
    published: ticks.seq,
    loopDelayP99Ms: delay.p99,
    loopDelayMaxMs: delay.max,
  };
  // After the forced GC, so that its pause is not counted as the app's.
  loopDelay.reset();
  return result;
}

function report(): void {
  if (process.connected) process.send!(sample());
}

const sampler = setInterval(report, settings.sampleMs);

process.on('message', (raw: unknown) => {
  const msg = raw as { type?: string };
  if (msg.type === 'sample') report();
  else if (msg.type === 'exit') void exit();
});
// The orchestrator is gone: nothing else would end this process.
process.on('disconnect', () => void exit());

let exiting = false;
async function exit(): Promise<void> {
  if (exiting) return;
  exiting = true;
  clearInterval(ticker);
  clearInterval(sampler);
  const force = setTimeout(() => process.exit(0), 3000);
  try {
    await app.close();
  } catch {
    // exiting anyway
  }
  clearTimeout(force);
  process.exit(0);
}

const ready: ServerReady = {
  type: 'ready',
  port: address.port,
  path: '/ws',
  maxPayload: app.maxPayload,
  maxEventLength: DEFAULTS.maxEventLength,
  pid: process.pid,
};
process.send(ready);
report();
