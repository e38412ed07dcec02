/**
 * The ticker publishes `stats` with delivery `latest`: a page that stops
 * reading is not sent every sample it missed, only the newest, at once, when
 * it reads again; a page that keeps reading gets every sample.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestApp, settle } from '../../src/testing/index.js';
import {
  ProcessProbe,
  TICK_MS,
  tickerOptions,
  type ProcessStats,
} from '../../examples/ticker/app.js';

/** A probe whose memory figure counts the samples, so the test can tell them apart. */
class CountingProbe extends ProcessProbe {
  samples = 0;
  override memoryUsage() {
    this.samples++;
    return { rss: this.samples * 1024 * 1024, heapUsed: 1, heapTotal: 2 };
  }
}

describe('ticker example, delivery latest', () => {
  it('a paused page catches up with the newest sample at once', async () => {
    // One waiting frame is a backlog here, so a handful of ticks shows it.
    const t = await createTestApp({ ...tickerOptions(new CountingProbe()), backlogBytes: 1 });
    try {
      const live = await t.connect();
      const paused = await t.connect();
      await live.subscribe('stats');
      await paused.subscribe('stats');
      paused.socket.pause();
      await t.clock.advance(TICK_MS * 10);
      assert.deepEqual(
        live.dataOf<ProcessStats>('stats').map((s) => s.rssMiB),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      paused.socket.resume();
      await settle(2);
      // The one sample the socket held before the backlog, then the newest: 8 were skipped.
      assert.deepEqual(
        paused.dataOf<ProcessStats>('stats').map((s) => s.rssMiB),
        [1, 10],
      );
      assert.equal(t.app.deliveryStats().topics.stats!.conflated, 8);
      await t.clock.advance(TICK_MS);
      assert.equal(paused.dataOf<ProcessStats>('stats').at(-1)!.rssMiB, 11);
    } finally {
      await t.close();
    }
  });
});
