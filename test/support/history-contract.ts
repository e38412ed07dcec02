/**
 * The history store's contract (src/core/history.ts): what every
 * `HistoryStore` must do, at the store's level, for the core's resume to be
 * right. `historyContract` runs it against a way of making stores: the memory
 * history (one node) and the Redis one (several nodes sharing histories) both
 * pass it. The node a store delivers to is a {@link Recorder}, which keeps
 * what it was handed.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RelayScope } from '../../src/core/broker.js';
import type {
  HistoryNode,
  HistoryOptions,
  HistoryStore,
  Position,
} from '../../src/core/history.js';
import { Frame } from '../../src/protocol/frame.js';
import { eventually } from './wait.js';

/** The topics the contract's events belong to: `news`, and the family `room.*`. */
export const HISTORY_TOPICS: readonly string[] = ['news', 'room.*'];

/** The topic of one of the contract's events, as a node's `topicOf` says it. */
export function historyTopicOf(event: string): string | undefined {
  if (event === 'news') return 'news';
  return event.startsWith('room.') ? 'room.*' : undefined;
}

/** One message a store handed to its node. */
export interface Recorded {
  readonly event: string;
  readonly text: string;
  readonly position: Position;
  readonly scope: RelayScope | undefined;
}

/** A node as a history store sees it, keeping every message it is handed, in order. */
export class Recorder implements HistoryNode {
  readonly recorded: Recorded[] = [];

  deliverRecorded(
    event: string,
    frame: Frame,
    position: Position,
    scope: RelayScope | undefined,
  ): number {
    this.recorded.push({ event, text: frame.text, position, scope });
    return 1;
  }

  /** The texts of `event`'s messages, in the order they came. */
  textsOf(event: string): string[] {
    return this.recorded.filter((r) => r.event === event).map((r) => r.text);
  }

  /** The offsets of `event`'s messages, in the order they came. */
  offsetsOf(event: string): number[] {
    return this.recorded.filter((r) => r.event === event).map((r) => r.position.offset);
  }
}

/** Stores of one kind, made on demand; `close` ends all of them. */
export interface HistorySet {
  /**
   * A store for one more node, delivering to `node`, ready for publishes.
   * Stores of a shared set share their histories, as nodes over one Redis do.
   */
  store(node: Recorder, nodeId: string): Promise<HistoryStore>;
  /**
   * Loses every history (a restart without persistence, `FLUSHALL`): stores
   * made afterwards see none of what was published before.
   */
  lose(): Promise<void>;
  /** Ends every store and whatever the set started for them. */
  close(): Promise<void>;
}

const KEEP: HistoryOptions = { size: 100 };

/** A publish's frame: the envelope the core would have built. */
export function frameOf(event: string, data: unknown): Frame {
  return new Frame(JSON.stringify({ event, data, timestamp: '2026-12-07T00:00:00.000Z' }));
}

function dataOf(text: string): unknown {
  return (JSON.parse(text) as { data: unknown }).data;
}

/**
 * Runs the contract against `make`, which prepares a fresh set of stores for
 * each test (fresh histories: a new prefix, or new instances). `shared`: the
 * set's stores share histories, so the contract's two-node part runs too.
 */
export function historyContract(
  name: string,
  make: () => Promise<HistorySet>,
  { shared }: { shared: boolean },
): void {
  describe(`history contract: ${name}`, () => {
    let set: HistorySet;

    beforeEach(async () => {
      set = await make();
    });

    afterEach(async () => {
      await set.close();
    });

    /** Publishes `count` messages `{ n }` of `event`, n from `from`, in one turn. */
    function publishMany(
      store: HistoryStore,
      event: string,
      count: number,
      history = KEEP,
      from = 1,
    ): void {
      for (let n = from; n < from + count; n++)
        store.publish(event, frameOf(event, { n }), history, undefined);
    }

    async function delivered(node: Recorder, event: string, count: number): Promise<void> {
      await eventually(() => node.offsetsOf(event).length >= count, `${count} of ${event}`);
    }

    it('gives each publish of an event the next offset in one epoch, and delivers them in order, once each', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      publishMany(store, 'news', 50);
      await delivered(node, 'news', 50);
      const offsets = node.offsetsOf('news');
      assert.deepEqual(
        offsets,
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.equal(new Set(node.recorded.map((r) => r.position.epoch)).size, 1, 'one epoch');
      const epoch = node.recorded[0]!.position.epoch;
      assert.ok(epoch.length >= 1 && epoch.length <= 64, `epoch ${epoch}`);
      assert.deepEqual(
        node.textsOf('news').map(dataOf),
        Array.from({ length: 50 }, (_, i) => ({ n: i + 1 })),
      );
      assert.equal(node.recorded[0]!.text, frameOf('news', { n: 1 }).text, 'the plain text');
      assert.equal(node.recorded[0]!.scope, undefined);
    });

    it('reads what follows a position, oldest first, bounded by the limit', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      publishMany(store, 'news', 5);
      await delivered(node, 'news', 5);
      const epoch = node.recorded[0]!.position.epoch;
      const after2 = await store.read('news', KEEP, { epoch, offset: 2 }, 100);
      assert.deepEqual(
        after2.entries.map((e) => e.offset),
        [3, 4, 5],
      );
      assert.deepEqual(
        after2.entries.map((e) => dataOf(e.text)),
        [{ n: 3 }, { n: 4 }, { n: 5 }],
      );
      assert.equal(after2.entries[0]!.text, node.textsOf('news')[2], 'the text as published');
      assert.deepEqual([after2.epoch, after2.offset, after2.complete], [epoch, 5, true]);
      const limited = await store.read('news', KEEP, { epoch, offset: 1 }, 2);
      assert.deepEqual(
        limited.entries.map((e) => e.offset),
        [2, 3],
      );
      assert.equal(limited.complete, true);
      const current = await store.read('news', KEEP, { epoch, offset: 5 }, 100);
      assert.deepEqual([current.entries.length, current.offset, current.complete], [0, 5, true]);
      const fromStart = await store.read('news', KEEP, { epoch, offset: 0 }, 100);
      assert.deepEqual(
        fromStart.entries.map((e) => e.offset),
        [1, 2, 3, 4, 5],
      );
      assert.equal(fromStart.complete, true);
    });

    it('resolves a read once its node has been handed every message the read covers', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      for (let round = 1; round <= 5; round++) {
        publishMany(store, 'news', 40, KEEP, 40 * (round - 1) + 1);
        // Read at once: what the read covers must not reach the node after it (a duplicate at the seam).
        const read = await store.read('news', KEEP, undefined, 10);
        const delivered = node.offsetsOf('news');
        assert.ok(
          (delivered.at(-1) ?? 0) >= read.offset,
          `round ${round}: read up to ${read.offset}, delivered up to ${delivered.at(-1)}`,
        );
      }
    });

    it('reads the newest messages for a first subscribe, bounded by the limit', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      publishMany(store, 'room.a', 8);
      await delivered(node, 'room.a', 8);
      const recent = await store.read('room.a', KEEP, undefined, 3);
      assert.deepEqual(
        recent.entries.map((e) => e.offset),
        [6, 7, 8],
      );
      assert.deepEqual([recent.offset, recent.complete], [8, true]);
      const all = await store.read('room.a', KEEP, undefined, 100);
      assert.deepEqual(
        all.entries.map((e) => e.offset),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      const none = await store.read('room.a', KEEP, undefined, 0);
      assert.deepEqual([none.entries.length, none.offset], [0, 8]);
    });

    it('keeps each event’s history apart, families included', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      publishMany(store, 'room.a', 3);
      publishMany(store, 'room.b', 2);
      publishMany(store, 'news', 1);
      await delivered(node, 'room.a', 3);
      await delivered(node, 'room.b', 2);
      await delivered(node, 'news', 1);
      assert.deepEqual(node.offsetsOf('room.a'), [1, 2, 3]);
      assert.deepEqual(node.offsetsOf('room.b'), [1, 2]);
      const b = await store.read('room.b', KEEP, undefined, 100);
      assert.deepEqual(
        b.entries.map((e) => dataOf(e.text)),
        [{ n: 1 }, { n: 2 }],
      );
    });

    it('starts an event never published at offset 0, in the epoch its first publish takes', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      const empty = await store.read('room.new', KEEP, undefined, 10);
      assert.deepEqual([empty.offset, empty.entries.length, empty.complete], [0, 0, true]);
      assert.ok(empty.epoch.length >= 1 && empty.epoch.length <= 64);
      publishMany(store, 'room.new', 1);
      await delivered(node, 'room.new', 1);
      assert.deepEqual(node.recorded[0]!.position, { epoch: empty.epoch, offset: 1 });
      const resumed = await store.read('room.new', KEEP, { epoch: empty.epoch, offset: 0 }, 10);
      assert.deepEqual(
        resumed.entries.map((e) => e.offset),
        [1],
      );
      assert.equal(resumed.complete, true);
    });

    it('keeps at most size messages, and says a position it rolled past is incomplete', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      const small: HistoryOptions = { size: 3 };
      publishMany(store, 'news', 7, small);
      await delivered(node, 'news', 7);
      const epoch = node.recorded[0]!.position.epoch;
      const rolled = await store.read('news', small, { epoch, offset: 2 }, 100);
      assert.deepEqual([rolled.offset, rolled.complete], [7, false], 'offsets 3 and 4 are gone');
      assert.deepEqual(rolled.entries, [], 'nothing to replay: the client reloads');
      const edge = await store.read('news', small, { epoch, offset: 4 }, 100);
      assert.deepEqual(
        edge.entries.map((e) => e.offset),
        [5, 6, 7],
      );
      assert.equal(edge.complete, true);
      const recent = await store.read('news', small, undefined, 100);
      assert.deepEqual(
        recent.entries.map((e) => e.offset),
        [5, 6, 7],
      );
    });

    it('drops messages older than ttlMs, and says a position they followed is incomplete', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      const brief: HistoryOptions = { size: 100, ttlMs: 2000 };
      publishMany(store, 'news', 2, brief);
      await delivered(node, 'news', 2);
      const epoch = node.recorded[0]!.position.epoch;
      // A publish within the ttl keeps the history; past the ttl of the first two, they are gone.
      await new Promise((r) => setTimeout(r, 1000));
      publishMany(store, 'news', 1, brief, 3);
      await delivered(node, 'news', 3);
      await new Promise((r) => setTimeout(r, 1100));
      const read = await store.read('news', brief, { epoch, offset: 0 }, 100);
      assert.equal(read.epoch, epoch, 'published within the ttl: the same epoch');
      assert.deepEqual([read.offset, read.complete, read.entries], [3, false, []]);
      const edge = await store.read('news', brief, { epoch, offset: 2 }, 100);
      assert.deepEqual([edge.entries.map((e) => e.offset), edge.complete], [[3], true]);
      const recent = await store.read('news', brief, undefined, 100);
      assert.deepEqual(
        recent.entries.map((e) => e.offset),
        [3],
      );
    });

    it('says a position of another epoch, or beyond the newest offset, is incomplete', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      publishMany(store, 'news', 3);
      await delivered(node, 'news', 3);
      const epoch = node.recorded[0]!.position.epoch;
      const other = await store.read('news', KEEP, { epoch: `${epoch}x`, offset: 1 }, 100);
      assert.deepEqual([other.epoch, other.offset, other.complete], [epoch, 3, false]);
      assert.deepEqual(other.entries, []);
      const ahead = await store.read('news', KEEP, { epoch, offset: 9 }, 100);
      assert.deepEqual([ahead.offset, ahead.complete, ahead.entries], [3, false, []]);
    });

    it('starts a new epoch when the history is lost', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      publishMany(store, 'news', 3);
      await delivered(node, 'news', 3);
      const before = node.recorded[2]!.position;
      await set.lose();
      const again = new Recorder();
      const after = await set.store(again, 'a');
      const read = await after.read('news', KEEP, before, 100);
      assert.notEqual(read.epoch, before.epoch);
      assert.deepEqual([read.offset, read.entries.length, read.complete], [0, 0, false]);
      publishMany(after, 'news', 1);
      await delivered(again, 'news', 1);
      assert.deepEqual(again.recorded.at(-1)!.position, { epoch: read.epoch, offset: 1 });
    });

    it('hands a scoped publish’s scope to the node with it', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      const scope: RelayScope = { topics: ['room.a', 'room.b'], except: 'a:c1' };
      store.publish('news', frameOf('news', { n: 1 }), KEEP, scope);
      store.publish('news', frameOf('news', { n: 2 }), KEEP, { topics: undefined, except: 'a:c2' });
      await delivered(node, 'news', 2);
      assert.deepEqual(node.recorded[0]!.scope, scope);
      assert.deepEqual(node.recorded[1]!.scope, { topics: undefined, except: 'a:c2' });
      assert.deepEqual(node.offsetsOf('news'), [1, 2]);
      // Kept with the message: a replay gives it only to whom the publish would have reached.
      store.publish('news', frameOf('news', { n: 3 }), KEEP, undefined);
      await delivered(node, 'news', 3);
      const read = await store.read('news', KEEP, undefined, 10);
      assert.deepEqual(
        read.entries.map((e) => e.scope),
        [scope, { topics: undefined, except: 'a:c2' }, undefined],
      );
      assert.ok(!('scope' in read.entries[2]!), 'none for an unscoped publish');
    });

    it('keeps any text and event name as it was published', async () => {
      const node = new Recorder();
      const store = await set.store(node, 'a');
      const events = ['room.{x}', 'room.}{', 'room.é 🎉', 'room. two  spaces '];
      const data = { s: 'a "quoted" \\ line\nbreak, é, 🎉, \u0000', long: 'x'.repeat(70_000) };
      for (const event of events) store.publish(event, frameOf(event, data), KEEP, undefined);
      for (const event of events) await delivered(node, event, 1);
      for (const event of events) {
        assert.equal(node.textsOf(event)[0], frameOf(event, data).text, event);
        const read = await store.read(event, KEEP, undefined, 10);
        assert.equal(read.entries[0]!.text, frameOf(event, data).text, event);
      }
    });

    // Only where several nodes share histories: a memory history is one node's.
    if (!shared) return;
    it('orders the publishes of two nodes the same way on both, with every node’s own in its order', async () => {
      const onA = new Recorder();
      const onB = new Recorder();
      const a = await set.store(onA, 'a');
      const b = await set.store(onB, 'b');
      const count = 300;
      for (let n = 0; n < count; n++) {
        a.publish('room.x', frameOf('room.x', { from: 'a', n }), KEEP, undefined);
        b.publish('room.x', frameOf('room.x', { from: 'b', n }), KEEP, undefined);
      }
      await delivered(onA, 'room.x', 2 * count);
      await delivered(onB, 'room.x', 2 * count);
      const offsets = Array.from({ length: 2 * count }, (_, i) => i + 1);
      assert.deepEqual(onA.offsetsOf('room.x'), offsets);
      assert.deepEqual(onB.offsetsOf('room.x'), offsets);
      assert.deepEqual(onA.textsOf('room.x'), onB.textsOf('room.x'), 'the same order on both');
      for (const from of ['a', 'b']) {
        const ns = onA
          .textsOf('room.x')
          .map((text) => dataOf(text) as { from: string; n: number })
          .filter((d) => d.from === from)
          .map((d) => d.n);
        assert.deepEqual(
          ns,
          Array.from({ length: count }, (_, n) => n),
          `${from}'s own order`,
        );
      }
      const read = await b.read('room.x', KEEP, undefined, 100);
      assert.deepEqual(
        read.entries.map((e) => e.text),
        onA.textsOf('room.x').slice(-100),
        'any node reads what every node published',
      );
    });
  });
}
