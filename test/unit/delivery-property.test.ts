/**
 * The promise of `latest`, for any interleaving of publishes, pauses, partial
 * reads and drains of a subscriber's socket: it never receives a value for a
 * key older than one it already received, and once it has read everything it
 * holds the newest value of every key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestApp, settle } from '../../src/testing/index.js';

type Op =
  | { readonly kind: 'publish'; readonly key: number; readonly event: number }
  | { readonly kind: 'pause' }
  | { readonly kind: 'read'; readonly count: number }
  | { readonly kind: 'resume' }
  | { readonly kind: 'turn' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('publish' as const),
      key: fc.integer({ min: 0, max: 3 }),
      event: fc.integer({ min: 0, max: 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      count: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'turn' as const }) },
);

/** Two `latest` events: one keyed, one conflated whole. */
const EVENTS = ['quote', 'level'] as const;

describe('delivery latest, property', () => {
  it('never goes backwards for a key, and ends on the newest value of each', async () => {
    const t = await createTestApp({
      logLevel: 'fatal',
      // A few frames make a backlog, so that most runs cross it many times.
      backlogBytes: 150,
      topics: [
        { name: 'quote', delivery: 'latest', key: (d: { k: number }) => d.k },
        { name: 'level', delivery: 'latest' },
      ],
    });
    try {
      let seq = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(op, { minLength: 1, maxLength: 60, size: 'max' }),
          async (ops) => {
            const c = await t.connect();
            await c.subscribe(...EVENTS);
            c.clear();
            const newest = new Map<string, number>();
            for (const o of ops) {
              if (o.kind === 'publish') {
                const event = EVENTS[o.event]!;
                const k = event === 'level' ? 0 : o.key;
                seq++;
                newest.set(`${event}/${k}`, seq);
                t.app.publish(event, { k, seq, pad: 'p'.repeat(40) });
              } else if (o.kind === 'pause') c.socket.pause();
              else if (o.kind === 'read') c.socket.release(o.count);
              else if (o.kind === 'resume') c.socket.resume();
              else await settle(1);
            }
            c.socket.resume();
            await settle(2);
            const seen = new Map<string, number>();
            for (const e of c.received) {
              const { k, seq: s } = e.data as { k: number; seq: number };
              const slot = `${e.event}/${k}`;
              const before = seen.get(slot) ?? 0;
              assert.ok(s > before, `${slot}: ${s} after ${before}`);
              seen.set(slot, s);
            }
            assert.deepEqual(seen, newest);
            c.close();
            await t.idle();
          },
        ),
        { numRuns: 150 },
      );
      assert.equal(t.app.deliveryStats().waiting, 0);
      assert.ok(
        t.app.deliveryStats().topics.quote!.conflated > 0,
        JSON.stringify(t.app.deliveryStats()),
      );
    } finally {
      await t.close();
    }
  });
});
