import type { Clock, TimerHandle } from '../core/clock.js';
import type { CaromLogger } from '../core/logger.js';

/** The levels a budgeted line may be written at. */
export type BudgetLevel = 'debug' | 'info' | 'warn' | 'error';

/** How many lines a {@link LogBudget} writes per period. */
export interface LogBudgetLimit {
  /** Lines written per period; past them lines are counted, not written. */
  readonly lines: number;
  /** The period, in milliseconds. */
  readonly perMs: number;
}

/**
 * Real time, with timers that never keep the process alive: a report of dropped
 * lines is no reason for a process to stay up.
 */
const backgroundClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Ten lines a second: enough to see what is refused, too few to fill a disk. */
export const DEFAULT_LOG_BUDGET: LogBudgetLimit = { lines: 10, perMs: 1000 };

/**
 * At most `lines` log lines per period, for lines a client can cause at will
 * (a refused handshake costs the client one request and would cost the server a
 * line). Past the budget lines are only counted; when the period ends, one line
 * says how many were dropped, so a flood shows in the log without flooding it.
 * The period starts with the first line after a quiet spell, not on a grid.
 */
export class LogBudget {
  private periodEnd = -Infinity;
  private used = 0;
  private dropped = 0;
  /** The report's timer, when one is armed (a handle may be any value, so a flag says). */
  private timer: TimerHandle;
  private armed = false;
  private readonly report = (): void => {
    this.armed = false;
    const dropped = this.dropped;
    this.dropped = 0;
    if (dropped === 0) return;
    this.logger.warn(
      `${dropped} more handshake ${dropped === 1 ? 'line was' : 'lines were'} not logged ` +
        `(at most ${this.limit.lines} per ${this.limit.perMs} ms)`,
    );
  };

  constructor(
    private readonly logger: CaromLogger,
    private readonly limit: LogBudgetLimit = DEFAULT_LOG_BUDGET,
    private readonly clock: Clock = backgroundClock,
  ) {}

  /** Writes `line` at `level`, or counts it when this period's budget is spent. */
  log(level: BudgetLevel, line: string): void {
    const now = this.clock.now();
    if (now >= this.periodEnd) {
      this.periodEnd = now + this.limit.perMs;
      this.used = 0;
    }
    if (this.used < this.limit.lines) {
      this.used++;
      this.logger[level](line);
      return;
    }
    this.dropped++;
    // One timer per period that drops anything, armed by its first dropped line.
    if (this.armed) return;
    this.armed = true;
    this.timer = this.clock.setTimeout(this.report, this.periodEnd - now);
  }

  /** Reports what was dropped now and disarms the timer (the transport is closing). */
  close(): void {
    if (this.armed) this.clock.clearTimeout(this.timer);
    this.report();
  }
}
