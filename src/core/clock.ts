/** A timer handle returned by a {@link Clock}. */
export type TimerHandle = unknown;

/**
 * Time as the core sees it. The app reads the time and arms timers only through
 * its clock, so the testing kit's fake clock can drive timed senders and
 * staleness without waiting.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer armed by `setTimeout`. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
