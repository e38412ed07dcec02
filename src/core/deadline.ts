/**
 * The handler timeout: a run of application code (a guard, an async
 * validation, the interceptors and the handler) that has not settled in time
 * is answered `HANDLER_TIMEOUT`, so that it stops holding its connection's queue.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { Clock } from './clock.js';
import { CaromError } from './errors.js';
import { describe, whenSettled } from './guard.js';
import type { CaromLogger } from './logger.js';

/** Bounds promises by time on the app's clock, so that a fake clock drives them in tests. */
export class Deadlines {
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
    return new Promise((ok, fail) => {
      let over = false;
      const timer = this.clock.setTimeout(() => {
        over = true;
        this.logger.warn(
          `${who} did not settle within ${ms} ms while handling '${event}'; answered HANDLER_TIMEOUT`,
        );
        fail(
          new CaromError(
            ErrorCode.HANDLER_TIMEOUT,
            `the server did not finish handling '${event}' within ${ms} ms`,
          ),
        );
      }, ms);
      // A hung handler must not keep the process alive after app.close().
      unref(timer);
      const settled = (how: string, value: unknown, pass: (v: unknown) => void): void => {
        if (over) {
          this.logger.warn(`${who} ${how} after its ${ms} ms timeout; dropped: ${describe(value)}`);
          return;
        }
        this.clock.clearTimeout(timer);
        pass(value);
      };
      whenSettled(
        promise,
        (value) => settled('resolved', value, ok),
        (err) => settled('failed', err, fail),
      );
    });
  }
}

/** Unrefs a Node timer; the fake clock's handles have nothing to unref. */
function unref(timer: unknown): void {
  try {
    (timer as { unref?: () => void } | undefined)?.unref?.();
  } catch {
    // A clock of the application's whose handle is hostile: the timer stays referenced.
  }
}
