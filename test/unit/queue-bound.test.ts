import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Injectable, On } from '../../src/index.js';
import { createTestApp, settle, type TestApp } from '../../src/testing/index.js';
import { deferred } from '../support/deferred.js';

@Injectable()
class Slow {
  readonly gate = deferred();
  readonly seen: number[] = [];
  @On('work')
  async work(data: { n: number }): Promise<number> {
    this.seen.push(data.n);
    await this.gate.promise;
    return data.n;
  }
}

describe('maxQueued: envelopes waiting on one connection are bounded', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('answers RATE_LIMITED past the bound, handles the rest in order, and serves others', async () => {
    t = await createTestApp({ handlers: [Slow], maxQueued: 2 });
    const flooder = await t.connect();
    const other = await t.connect();
    // One in flight, two waiting, two refused.
    for (let n = 1; n <= 5; n++) flooder.send('work', { n }, { id: n });
    assert.deepEqual(
      flooder.errors.map((e) => e.code),
      ['RATE_LIMITED', 'RATE_LIMITED'],
    );
    assert.deepEqual(
      flooder.received.filter((e) => e.event === 'error').map((e) => e.id),
      [4, 5],
    );
    assert.match(flooder.errors[0]!.message, /2 envelopes are already waiting/);
    assert.equal(t.app.stats().pending, 3);

    // Another connection is not held up by the flooder's queue.
    const slow = t.app.get(Slow);
    const reply = other.request('work', { n: 10 });
    await settle();
    assert.deepEqual(slow.seen, [1, 10]);

    slow.gate.resolve();
    assert.equal((await reply).data, 10);
    await t.idle();
    assert.deepEqual(slow.seen, [1, 10, 2, 3]);
    assert.deepEqual(
      flooder.received.filter((e) => e.event === 'ack').map((e) => e.data),
      [1, 2, 3],
    );
  });

  it('refuses a maxQueued that is not a positive integer', async () => {
    await assert.rejects(() => createTestApp({ maxQueued: 0 }), /maxQueued/);
  });
});
