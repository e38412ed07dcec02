/**
 * The labels of carom/metrics stay bounded whatever clients send: event names
 * (property-based, over any string), close codes and error codes; and the
 * delivery-policy counter the write path reports to.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Carom, Handler, On, OTHER_EVENT, type ObservedApp } from '../../src/index.js';
import { caromMetrics } from '../../src/metrics/index.js';
import { BoundedLabels, closeCodeLabel, OTHER_LABEL } from '../../src/metrics/labels.js';

@On('chat.send', { dto: false })
class ChatHandler extends Handler {
  handle(): void {}
}

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

  it('counts the frames a delivery policy skipped, by event and how', async () => {
    const metrics = await caromMetrics({ registry: new Registry() });
    new Carom({ topics: ['ticks'], observers: [metrics], logLevel: 'silent' });
    metrics.skipped('ticks', 'conflated', 3);
    metrics.skipped('ticks', 'dropped', 1);
    metrics.skipped('made-up', 'dropped', 2);
    const values = await metrics.values();
    assert.equal(values['carom_deliveries_skipped_total{event="ticks",how="conflated"}'], 3);
    assert.equal(values['carom_deliveries_skipped_total{event="ticks",how="dropped"}'], 1);
    assert.equal(values['carom_deliveries_skipped_total{event="(other)",how="dropped"}'], 2);
  });
});
