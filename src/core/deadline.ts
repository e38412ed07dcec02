/**
 * The handler timeout: a run of application code (a guard, an async
 * validation, the interceptors and the handler) that has not settled in time
 * is answered `HANDLER_TIMEOUT`, so that it stops holding its connection's queue.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { Clock, TimerHandle } from './clock.js';
import { CaromError } from './errors.js';
import { describe, whenSettled } from './guard.js';
import type { CaromLogger } from './logger.js';

/** Bounds promises by time on the app's clock, so that a fake clock drives them in tests. */
export class Deadlines {
  /** Timers armed now, so that `stop` can leave none behind. */
  private readonly timers = new Set<TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: CaromLogger,
  ) {}

  /**
   * A promise of what `promise` settles to, or that rejects with
   * `HANDLER_TIMEOUT` after `ms` (0: `promise` itself, unbounded). `event` is
   * the client's event, `who` what runs, for the log. Whatever `promise`
   * settles to after the timeout is dropped and logged at `warn`: the client
   * already has its answer, and the handler may have done its work by then.
   */
  within(
    promise: PromiseLike<unknown>,
    ms: number,
    event: string,
    who: string,
  ): PromiseLike<unknown> {
    if (ms === 0) return promise;
    return raceClock(promise, ms, this.clock, {
      timers: this.timers,
      timedOut: () => {
        this.logger.warn(
          `${who} did not settle within ${ms} ms while handling '${event}'; answered HANDLER_TIMEOUT`,
        );
        return new CaromError(
          ErrorCode.HANDLER_TIMEOUT,
          `the server did not finish handling '${event}' within ${ms} ms`,
        );
      },
      late: (how, value) =>
        this.logger.warn(`${who} ${how} after its ${ms} ms timeout; dropped: ${describe(value)}`),
    });
  }

  /**
   * Disarms every timer (the app closed): what is still running can no longer
   * be answered, and a closed app leaves no timer behind.
   */
  stop(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
  }
}

/** What `raceClock` does when time runs out, and with a result that comes after. */
export interface RaceEnd {
  /** The reason the returned promise rejects with. */
  readonly timedOut: () => Error;
  /** Told what `promise` settled to after the time ran out (`how`: resolved or failed). */
  readonly late: (how: 'resolved' | 'failed', value: unknown) => void;
  /** Where the armed timer is kept until it fires or is cleared. */
  readonly timers?: Set<TimerHandle>;
}

/**
 * A promise of what `promise` settles to, or one that rejects with
 * `end.timedOut()` once `ms` pass on `clock`, whichever comes first. Never
 * throws; the timer does not keep the process alive.
 */
export function raceClock(
  promise: PromiseLike<unknown>,
  ms: number,
  clock: Clock,
  end: RaceEnd,
): Promise<unknown> {
  return new Promise((ok, fail) => {
    let over = false;
    const timer = clock.setTimeout(() => {
      over = true;
      end.timers?.delete(timer);
      fail(end.timedOut());
    }, ms);
    end.timers?.add(timer);
    // Hung application code must not keep the process alive after app.close().
    unref(timer);
    const settled =
      (how: 'resolved' | 'failed', pass: (value: unknown) => void) =>
      (value: unknown): void => {
        if (over) return end.late(how, value);
        clock.clearTimeout(timer);
        end.timers?.delete(timer);
        pass(value);
      };
    whenSettled(promise, settled('resolved', ok), settled('failed', fail));
  });
}

/** Unrefs a Node timer; the fake clock's handles have nothing to unref. */
function unref(timer: unknown): void {
  try {
    (timer as { unref?: () => void } | undefined)?.unref?.();
  } catch {
    // A clock of the application's whose handle is hostile: the timer stays referenced.
  }
}
