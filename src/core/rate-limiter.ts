import { ErrorCode } from '../protocol/errors.js';
import { CaromError } from './errors.js';
import type { Clock } from './clock.js';
import type { RateLimit } from './options.js';

/** Frames past the limit up to this many characters are still decoded, for their id. */
const SMALL_FRAME = 1024;

/** One connection's bucket: the tokens it has left and when they were last refilled. */
export interface TokenBucket {
  tokens: number;
  refilledAt: number;
}

/**
 * The per-connection rate limit, a token bucket: each connection starts with
 * `messages` tokens, every frame spends one, and they refill at
 * `messages / perMs` per millisecond up to `messages`. The limiter is shared;
 * each connection's bucket is its own object, which only the limiter writes.
 */
export class RateLimiter {
  /** The answer to every frame past the limit; built once, as it never varies. */
  readonly refusal: CaromError;
  private readonly rate: number;

  /** `limit` was checked by `resolveOptions`. */
  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {
    this.rate = limit.messages / limit.perMs;
    this.refusal = new CaromError(
      ErrorCode.RATE_LIMITED,
      `more than ${limit.messages} envelopes in ${limit.perMs} ms; slow down`,
    );
  }

  /** A full bucket for a new connection. */
  bucket(): TokenBucket {
    return { tokens: this.limit.messages, refilledAt: this.clock.now() };
  }

  /** Spends a token from `bucket`; false when none is left (the frame is refused). */
  take(bucket: TokenBucket): boolean {
    const now = this.clock.now();
    bucket.tokens = Math.min(
      this.limit.messages,
      bucket.tokens + (now - bucket.refilledAt) * this.rate,
    );
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /**
   * Whether a refused frame is small enough to decode, to echo its id so the
   * client's request fails at once: a flood of large frames past the limit must
   * not cost a `JSON.parse` each.
   */
  worthDecoding(text: string): boolean {
    return text.length <= SMALL_FRAME;
  }
}
