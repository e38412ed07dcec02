/**
 * The client's backoff on its own: the default exponential policy, a policy
 * of the user's, the reset after a stable connection, the drain delay that
 * does not count as an attempt, and a policy that fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, exponentialBackoff } from '../../src/client/backoff.js';
import type { CloseInfo } from '../../src/client/index.js';

const LOST: CloseInfo = { code: 1006, reason: '', willReconnect: true };
const RESTART: CloseInfo = { code: 1012, reason: 'restarting', willReconnect: true };

describe('exponentialBackoff', () => {
  it('grows by factor from initialDelayMs up to maxDelayMs', () => {
    const policy = exponentialBackoff({
      initialDelayMs: 100,
      factor: 3,
      maxDelayMs: 2000,
      jitter: 0,
    });
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => policy(n, LOST)),
      [100, 300, 900, 2000, 2000],
    );
  });

  it('takes up to jitter of each delay off at random', (t) => {
    const policy = exponentialBackoff({ initialDelayMs: 1000, jitter: 0.5 });
    t.mock.method(Math, 'random', () => 1);
    assert.equal(policy(1, LOST), 500);
    t.mock.method(Math, 'random', () => 0);
    assert.equal(policy(1, LOST), 1000);
  });

  it('defaults to 250 ms, factor 2, at most 10 s', (t) => {
    t.mock.method(Math, 'random', () => 0);
    const policy = exponentialBackoff();
    assert.deepEqual(
      [1, 2, 7, 8].map((n) => policy(n, LOST)),
      [250, 500, 10_000, 10_000],
    );
  });
});

describe('Backoff', () => {
  it('counts attempts from 1 and starts again only after a stable connection', () => {
    const seen: number[] = [];
    const backoff = new Backoff({ backoff: (n) => (seen.push(n), n), stableAfterMs: 1000 });
    backoff.next(LOST, backoff.ended(0));
    backoff.opened(10);
    backoff.next(LOST, backoff.ended(500)); // open 490 ms: not stable
    backoff.opened(600);
    assert.equal(backoff.ended(1600), true, 'open 1000 ms is stable');
    backoff.next(LOST, true);
    assert.deepEqual(seen, [1, 2, 1]);
    assert.equal(backoff.ended(5000), false, 'an attempt that never opened is not stable');
  });

  it('after 1012 or 1001 waits a random part of drainDelayMs, not counted as an attempt', (t) => {
    t.mock.method(Math, 'random', () => 0.25);
    const seen: number[] = [];
    const backoff = new Backoff({ backoff: (n) => (seen.push(n), 7), drainDelayMs: 4000 });
    assert.deepEqual(backoff.next(LOST, false), { delayMs: 7 });
    assert.deepEqual(backoff.next(RESTART, false), { delayMs: 1000 });
    assert.deepEqual(backoff.next({ ...RESTART, code: 1001 }, false), { delayMs: 1000 });
    assert.deepEqual(backoff.next(LOST, false), { delayMs: 7 });
    assert.deepEqual(seen, [1, 2]);
  });

  it('falls back to maxDelayMs, naming the problem, when the policy fails', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    const cases: Array<[() => unknown, RegExp]> = [
      [
        () => {
          throw new Error('boom');
        },
        /^threw: boom$/,
      ],
      [
        () => {
          throw hostile;
        },
        /^threw: /,
      ],
      [() => Infinity, /^returned Infinity$/],
      [() => -1, /^returned -1$/],
      [() => '100', /^returned a value of type string$/],
      [() => undefined, /^returned undefined$/],
    ];
    for (const [policy, problem] of cases) {
      const backoff = new Backoff({ backoff: policy as () => number, maxDelayMs: 321 });
      const retry = backoff.next(LOST, false);
      assert.equal(retry.delayMs, 321);
      assert.match(retry.problem ?? '', problem);
    }
  });
});
