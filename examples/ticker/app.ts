/**
 * The ticker example: a `TimedSender` that publishes the server process's CPU
 * and memory use every 500 ms on `stats`, for a page that draws them live.
 *
 * CPU is `process.cpuUsage()` (user + system) used since the previous sample,
 * as a percentage of one core over the time between the two samples (it can
 * exceed 100 when several threads, the garbage collector's say, are busy).
 * Ticks are skipped while nobody subscribes, so the first sample after a quiet
 * spell averages over that spell; `intervalMs` says how long the span was.
 *
 * `burn {ms}` keeps the CPU busy for that long (at most 500 ms), so the chart
 * has something to show.
 *
 * `stats` is delivered `latest`: a connection whose socket backs up (a frozen
 * tab) gets the newest sample when it reads again, marked with how many older
 * ones it skipped, instead of the whole backlog.
 */
import { IsInt, Max, Min } from 'class-validator';
import { Carom, Injectable, On, TimedSender, Topic, type CaromOptions } from '../../src/index.js';
import { exampleOrigins } from '../origins.js';

/** What `stats` carries. */
export interface ProcessStats {
  /** CPU time used since the previous sample, as a percentage of one core (one decimal). */
  cpuPercent: number;
  /** Resident set size, MiB (one decimal). */
  rssMiB: number;
  /** V8 heap in use, MiB (one decimal). */
  heapUsedMiB: number;
  /** V8 heap reserved, MiB (one decimal). */
  heapTotalMiB: number;
  /** The span the CPU figure covers, in milliseconds (whole). */
  intervalMs: number;
}

/** How often `stats` is published. */
export const TICK_MS = 500;
/** The longest `burn`. */
export const MAX_BURN_MS = 500;

const MiB = 1024 * 1024;
const oneDecimal = (n: number): number => Math.round(n * 10) / 10;

/**
 * Where the figures come from: the process itself. A test may pass a
 * subclass's instance to `tickerOptions`.
 */
@Injectable()
export class ProcessProbe {
  /** CPU time used by the process so far, in microseconds. */
  cpuUsage(): NodeJS.CpuUsage {
    return process.cpuUsage();
  }

  /** The process's memory use, in bytes. */
  memoryUsage(): Pick<NodeJS.MemoryUsage, 'rss' | 'heapUsed' | 'heapTotal'> {
    return process.memoryUsage();
  }

  /** A monotonic clock, in milliseconds. */
  now(): number {
    return performance.now();
  }
}

/**
 * Publishes `stats` every 500 ms while someone subscribes. Delivered `latest`:
 * a tab that stops reading is not sent the samples it missed, only the newest
 * one, at once, when it reads again.
 */
@Topic('stats', { everyMs: TICK_MS, delivery: 'latest' })
export class StatsSender extends TimedSender<ProcessStats> {
  private lastCpu: NodeJS.CpuUsage;
  private lastAt: number;

  constructor(private readonly probe: ProcessProbe) {
    super();
    this.lastCpu = probe.cpuUsage();
    this.lastAt = probe.now();
  }

  override createMessageData(): ProcessStats {
    const at = this.probe.now();
    const cpu = this.probe.cpuUsage();
    const usedMs = (cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system)) / 1000;
    const elapsedMs = at - this.lastAt;
    this.lastCpu = cpu;
    this.lastAt = at;
    const memory = this.probe.memoryUsage();
    return {
      cpuPercent: elapsedMs > 0 ? oneDecimal(Math.max(0, (usedMs / elapsedMs) * 100)) : 0,
      rssMiB: oneDecimal(memory.rss / MiB),
      heapUsedMiB: oneDecimal(memory.heapUsed / MiB),
      heapTotalMiB: oneDecimal(memory.heapTotal / MiB),
      intervalMs: Math.round(Math.max(0, elapsedMs)),
    };
  }
}

/** `burn`: how long to keep the CPU busy. */
export class Burn {
  @IsInt({ message: 'ms is a whole number of milliseconds' })
  @Min(1, { message: 'ms is at least 1' })
  @Max(MAX_BURN_MS, { message: `ms is at most ${MAX_BURN_MS}` })
  ms!: number;
}

/** Keeps the CPU busy on request, so the chart moves. */
export class Burner {
  @On('burn')
  burn(msg: Burn): { burnedMs: number } {
    const until = performance.now() + msg.ms;
    // Bounded by time, and by a spin count no machine reaches in 500 ms.
    for (let spins = 0; performance.now() < until && spins < 1e9; spins++);
    return { burnedMs: msg.ms };
  }
}

/**
 * The ticker's options. Pass a probe (an instance of `ProcessProbe` or of a
 * subclass) to read the figures from somewhere else than this process.
 */
export function tickerOptions(probe?: ProcessProbe): CaromOptions {
  return {
    senders: [StatsSender],
    handlers: [Burner],
    allowedOrigins: exampleOrigins(),
    providers: [probe ? { provide: ProcessProbe, useValue: probe } : ProcessProbe],
  };
}

/** The example's app. */
export function createTickerApp(options: CaromOptions = {}): Carom {
  return new Carom({ ...tickerOptions(), ...options });
}
