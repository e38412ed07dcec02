/**
 * When to try again: the delay before each reconnect, from a policy function
 * (exponential with jitter unless the user gives one), reset only by a
 * connection that stayed up, and a separate random spread after a drain.
 */
import { CloseCode } from './codes.js';
import { messageOf } from './errors.js';
import type { CloseInfo } from './state.js';

/**
 * The delay in ms before retry number `attempt` (1 for the first retry since
 * the last stable connection), given why the last attempt ended. Return a
 * finite number of ms, 0 or more.
 *
 * ```ts
 * connect(url, { reconnect: { backoff: (attempt) => [100, 500, 2000][attempt - 1] ?? 5000 } });
 * ```
 */
export type BackoffPolicy = (attempt: number, close: CloseInfo) => number;

/** Reconnection: when to try again after an unexpected close. */
export interface ReconnectOptions {
  /**
   * The delay before each retry. Default: {@link exponentialBackoff} of the
   * four options below, which are ignored when this is given. A policy that
   * throws or returns anything but a finite number of at least 0 is reported
   * to `onError` as `BACKOFF_FAILED`, and that retry waits `maxDelayMs`.
   */
  readonly backoff?: BackoffPolicy;
  /** Delay before the first retry. Default 250 ms. */
  readonly initialDelayMs?: number;
  /** Longest delay; also the wait after a policy that failed. Default 10 000 ms. */
  readonly maxDelayMs?: number;
  /** Growth per failed attempt. Default 2. */
  readonly factor?: number;
  /** Fraction of each delay taken off at random (0 to 1). Default 0.5. */
  readonly jitter?: number;
  /**
   * How long a connection must stay open before the attempts count from 1
   * again. A server that accepts and closes at once so meets a growing delay,
   * not a reconnect loop. Default 5 000 ms.
   */
  readonly stableAfterMs?: number;
  /**
   * After a close with 1012 (server restarting) or 1001 (going away), the next
   * attempt waits a random delay in [0, `drainDelayMs`], so that the clients of
   * a draining server do not all land on the next one at once; it does not
   * count as an attempt, and the policy's delays follow if it fails. Default 5 000 ms.
   */
  readonly drainDelayMs?: number;
}

/** The four numbers of the default policy. */
export interface ExponentialBackoffOptions {
  /** The first delay, in milliseconds. */
  readonly initialDelayMs?: number;
  /** The longest delay, in milliseconds. */
  readonly maxDelayMs?: number;
  /** How much each delay grows over the one before. */
  readonly factor?: number;
  /** The share of each delay drawn at random (0 to 1), so that clients spread out. */
  readonly jitter?: number;
}

/**
 * The default policy: `initialDelayMs × factor^(attempt − 1)`, at most
 * `maxDelayMs`, less a random fraction of up to `jitter` of it (so a fleet of
 * clients spreads out). Defaults 250 ms, 10 000 ms, 2, 0.5.
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): BackoffPolicy {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.5;
  return (attempt) => {
    const base = Math.min(max, initial * factor ** (attempt - 1));
    return base * (1 - jitter * Math.random());
  };
}

/** One retry's delay, or the problem with the policy (the delay is then the fallback). */
export interface Retry {
  readonly delayMs: number;
  readonly problem?: string;
}

/** The backoff of one client: counts attempts, asks the policy, knows a stable connection. */
export class Backoff {
  private readonly policy: BackoffPolicy;
  private readonly fallbackMs: number;
  private readonly stableAfterMs: number;
  private readonly drainDelayMs: number;
  /** Retries since the last stable connection. */
  private attempts = 0;
  private openedAt: number | undefined;

  constructor(options: ReconnectOptions = {}) {
    this.policy = options.backoff ?? exponentialBackoff(options);
    this.fallbackMs = options.maxDelayMs ?? 10_000;
    this.stableAfterMs = options.stableAfterMs ?? 5_000;
    this.drainDelayMs = options.drainDelayMs ?? 5_000;
  }

  /** A connection opened now. */
  opened(now: number): void {
    this.openedAt = now;
  }

  /** The connection, or the attempt, ended: forgets when it opened. True if it had stayed up `stableAfterMs`. */
  ended(now: number): boolean {
    const stable = this.openedAt !== undefined && now - this.openedAt >= this.stableAfterMs;
    this.openedAt = undefined;
    return stable;
  }

  /** The delay before the next attempt, after an end that {@link ended} judged `stable` or not. */
  next(close: CloseInfo, stable: boolean): Retry {
    if (stable) this.attempts = 0;
    if (close.code === CloseCode.SERVICE_RESTART || close.code === CloseCode.GOING_AWAY) {
      return { delayMs: Math.random() * this.drainDelayMs };
    }
    this.attempts++;
    let delayMs: unknown;
    try {
      delayMs = this.policy(this.attempts, close);
    } catch (err) {
      return { delayMs: this.fallbackMs, problem: `threw: ${messageOf(err)}` };
    }
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      const got =
        typeof delayMs === 'number' || delayMs == null
          ? String(delayMs)
          : `a value of type ${typeof delayMs}`;
      return { delayMs: this.fallbackMs, problem: `returned ${got}` };
    }
    return { delayMs };
  }
}
