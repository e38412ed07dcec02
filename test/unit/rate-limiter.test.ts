import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/core/clock.js';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import { ErrorCode } from '../../src/protocol/errors.js';

/** A clock that only tells the time; the limiter arms no timers. */
class StillClock implements Clock {
  constructor(public current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  setTimeout(): never {
    throw new Error('the rate limiter arms no timers');
  }
  clearTimeout(): never {
    throw new Error('the rate limiter arms no timers');
  }
}

/** How many takes succeed in a row now. */
function burst(limiter: RateLimiter, bucket: ReturnType<RateLimiter['bucket']>): number {
  let n = 0;
  while (limiter.take(bucket)) n++;
  return n;
}

describe('RateLimiter', () => {
  it('a new bucket holds `messages` tokens: that many pass at once, the next is refused', () => {
    const limiter = new RateLimiter({ messages: 5, perMs: 1000 }, new StillClock());
    const bucket = limiter.bucket();
    assert.equal(burst(limiter, bucket), 5);
    assert.equal(limiter.take(bucket), false);
  });

  it('refills at messages / perMs per millisecond, whole tokens only', () => {
    const clock = new StillClock();
    const limiter = new RateLimiter({ messages: 2, perMs: 1000 }, clock);
    const bucket = limiter.bucket();
    assert.equal(burst(limiter, bucket), 2);
    clock.current += 400; // 0.8 of a token
    assert.equal(limiter.take(bucket), false);
    clock.current += 200; // 1.2 tokens in all
    assert.equal(limiter.take(bucket), true);
    assert.equal(limiter.take(bucket), false);
    clock.current += 450; // 0.2 left + 0.9
    assert.equal(limiter.take(bucket), true);
  });

  it('never holds more than `messages` tokens, however long the connection was idle', () => {
    const clock = new StillClock();
    const limiter = new RateLimiter({ messages: 3, perMs: 100 }, clock);
    const bucket = limiter.bucket();
    clock.current += 1_000_000;
    assert.equal(burst(limiter, bucket), 3);
  });

  it("each connection's bucket is its own", () => {
    const limiter = new RateLimiter({ messages: 1, perMs: 1000 }, new StillClock());
    const a = limiter.bucket();
    const b = limiter.bucket();
    assert.equal(limiter.take(a), true);
    assert.equal(limiter.take(a), false);
    assert.equal(limiter.take(b), true);
  });

  it('refuses with RATE_LIMITED, naming the limit', () => {
    const limiter = new RateLimiter({ messages: 7, perMs: 250 }, new StillClock());
    assert.equal(limiter.refusal.code, ErrorCode.RATE_LIMITED);
    assert.match(limiter.refusal.message, /7 envelopes in 250 ms/);
  });

  it('decodes a refused frame for its id only up to 1024 characters', () => {
    const limiter = new RateLimiter({ messages: 1, perMs: 1000 }, new StillClock());
    assert.equal(limiter.worthDecoding('x'.repeat(1024)), true);
    assert.equal(limiter.worthDecoding('x'.repeat(1025)), false);
  });
});
