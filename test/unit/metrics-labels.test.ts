/**
 * The labels of carom/metrics stay bounded whatever clients send: event names
 * (property-based, over any string), close codes and error codes; and the
 * delivery policies' counters, read when the registry is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import {
  Carom,
  Handler,
  On,
  OTHER_EVENT,
  Sender,
  Topic,
  type ObservedApp,
} from '../../src/index.js';
import { createTestApp, settle } from '../../src/testing/index.js';
import { caromMetrics } from '../../src/metrics/index.js';
import { BoundedLabels, closeCodeLabel, OTHER_LABEL } from '../../src/metrics/labels.js';

@On('chat.send', { dto: false })
class ChatHandler extends Handler {
  handle(): void {}
}

@Topic('price', { delivery: 'latest', key: (d: { sym: string }) => d.sym })
class PriceSender extends Sender<{ sym: string; seq: number; pad: string }> {}

/** The app a metrics instance was bound to, caught on its way in. */
async function boundApp(): Promise<ObservedApp> {
  let seen: ObservedApp | undefined;
  const metrics = await caromMetrics({ registry: new Registry() });
  const bind = metrics.bind.bind(metrics);
  metrics.bind = (app) => {
    seen = app;
    bind(app);
  };
  new Carom({
    handlers: [ChatHandler],
    topics: ['news', 'room.*'],
    observers: [metrics],
    logLevel: 'silent',
  });
  return seen!;
}

describe('metrics labels', () => {
  it('an event label is a name the app gives, or (other), for any string a client sends', async () => {
    const app = await boundApp();
    const allowed = new Set([
      'chat.send',
      'news',
      'room.*',
      'subscribe',
      'unsubscribe',
      'ack',
      'error',
      'carom.ping',
      'carom.welcome',
      'carom.presence',
      'carom.channel.created',
      'carom.channel.deleted',
      OTHER_EVENT,
    ]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `room.${s}`),
          fc.string().map((s) => `carom.${s}`),
          fc.constantFrom(...allowed),
        ),
        (event) => {
          const label = app.eventLabel(event);
          assert.ok(allowed.has(label), `${JSON.stringify(event)} -> ${label}`);
          if (label !== OTHER_EVENT && label !== 'room.*') assert.equal(label, event);
        },
      ),
      { numRuns: 2000 },
    );
    assert.equal(app.eventLabel('room.lobby'), 'room.*');
    assert.equal(app.eventLabel('chat.sendx'), OTHER_EVENT);
  });

  it('close codes: the standard ones as themselves, the rest by range', () => {
    assert.equal(closeCodeLabel(1000), '1000');
    assert.equal(closeCodeLabel(1013), '1013');
    assert.equal(closeCodeLabel(3999), '3xxx');
    assert.equal(closeCodeLabel(4001), '4xxx');
    for (const odd of [0, 999, 1016, 2999, 5000, 1000.5, Number.NaN]) {
      assert.equal(closeCodeLabel(odd), OTHER_LABEL, String(odd));
    }
  });

  it('keeps at most `limit` distinct values, then one more for the rest', () => {
    const labels = new BoundedLabels(3);
    assert.deepEqual(
      ['A', 'B', 'A', 'C', 'D', 'E', 'B'].map((v) => labels.of(v)),
      ['A', 'B', 'A', 'C', OTHER_LABEL, OTHER_LABEL, 'B'],
    );
  });

  it('reads what the delivery policies did, by topic, and the backlog, when scraped', async () => {
    const metrics = await caromMetrics({ registry: new Registry() });
    const t = await createTestApp({
      senders: [PriceSender],
      observers: [metrics],
      backlogBytes: 4096,
      logLevel: 'fatal',
    });
    try {
      const fast = await t.connect();
      const slow = await t.connect();
      for (const c of [fast, slow]) await c.subscribe('price');
      slow.socket.pause();
      const pad = 'x'.repeat(100);
      for (let seq = 0; seq < 1000; seq++) {
        t.app.publish('price', { sym: `S${seq % 5}`, seq, pad });
        if (seq % 100 === 99) await settle(1);
      }
      const stats = t.app.deliveryStats();
      const values = await metrics.values();
      assert.ok(stats.topics.price!.conflated > 0, 'the paused reader had values conflated');
      assert.equal(
        values['carom_deliveries_total{topic="price",outcome="conflated"}'],
        stats.topics.price!.conflated,
      );
      assert.equal(values['carom_deliveries_total{topic="price",outcome="dropped"}'], 0);
      assert.equal(values.carom_delivery_backlogged_connections, 1);
      assert.equal(values.carom_delivery_waiting, 5);
    } finally {
      await t.close();
    }
  });
});
