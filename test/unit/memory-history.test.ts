/**
 * The memory history store on its own: the ring per event, ttl trimming, the
 * bound on event histories, epochs, and delivery in offset
 * order to the node it was started with.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryHistory, type HistoryOptions, type Position } from '../../src/index.js';
import { Frame } from '../../src/protocol/frame.js';
import { FakeClock } from '../../src/testing/index.js';

const text = (n: number): string => `{"event":"e","data":${n},"timestamp":"t"}`;

/** A store started with a node that records what it was asked to deliver. */
function started(options: { clock?: FakeClock; maxEvents?: number } = {}) {
  const store = new MemoryHistory(options);
  const delivered: { event: string; text: string; position: Position }[] = [];
  store.start({
    deliverRecorded: (event, frame, position) => {
      delivered.push({ event, text: frame.text, position });
      return 1;
    },
  });
  return { store, delivered };
}

const offsets = (read: { entries: readonly { offset: number }[] }): number[] =>
  read.entries.map((e) => e.offset);

describe('MemoryHistory', () => {
  it('delivers each publish at once, in offset order, and keeps the last size of them', async () => {
    const { store, delivered } = started();
    const h: HistoryOptions = { size: 4 };
    for (let n = 1; n <= 10; n++) store.publish('e', new Frame(text(n)), h, undefined);
    assert.deepEqual(
      delivered.map((d) => d.position.offset),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    const epoch = delivered[0]!.position.epoch;
    const recent = await store.read('e', h, undefined, 100);
    assert.deepEqual(offsets(recent), [7, 8, 9, 10]);
    assert.deepEqual(
      recent.entries.map((e) => e.text),
      [7, 8, 9, 10].map(text),
    );
    assert.equal(recent.epoch, epoch);
    assert.deepEqual(offsets(await store.read('e', h, undefined, 2)), [9, 10]);
    const since = await store.read('e', h, { epoch, offset: 7 }, 100);
    assert.deepEqual(offsets(since), [8, 9, 10]);
    assert.equal(since.complete, true);
    const gap = await store.read('e', h, { epoch, offset: 5 }, 100);
    assert.deepEqual([gap.complete, offsets(gap), gap.offset], [false, [], 10]);
    assert.equal((await store.read('e', h, { epoch, offset: 6 }, 100)).complete, true);
    assert.equal((await store.read('e', h, { epoch, offset: 11 }, 100)).complete, false);
    assert.equal((await store.read('e', h, { epoch: 'other', offset: 9 }, 100)).complete, false);
  });

  it("shares each message's positioned frame between reads, and lets it go with the message", async () => {
    const { store, delivered } = started();
    const h: HistoryOptions = { size: 2 };
    for (let n = 1; n <= 2; n++) store.publish('e', new Frame(text(n)), h, undefined);
    const { epoch } = delivered[0]!.position;
    const first = await store.read('e', h, { epoch, offset: 0 }, 10);
    const again = await store.read('e', h, { epoch, offset: 1 }, 10);
    assert.equal(again.entries[0]!.frame, first.entries[1]!.frame);
    assert.deepEqual(JSON.parse(first.entries[0]!.frame!.text), {
      ...JSON.parse(text(1)),
      position: { epoch, offset: 1 },
    });
    // The ring slot of offset 1 now holds offset 3: its frame is made anew.
    store.publish('e', new Frame(text(3)), h, undefined);
    const later = await store.read('e', h, { epoch, offset: 1 }, 10);
    assert.equal(later.entries[0]!.frame, first.entries[1]!.frame);
    assert.equal(JSON.parse(later.entries[1]!.frame!.text).position.offset, 3);
    assert.equal(JSON.parse(later.entries[1]!.frame!.text).data, 3);
  });

  it('drops messages older than ttlMs, on read and on append', async () => {
    const clock = new FakeClock(0);
    const { store, delivered } = started({ clock });
    const h: HistoryOptions = { size: 10, ttlMs: 1000 };
    store.publish('e', new Frame(text(1)), h, undefined);
    await clock.advance(600);
    store.publish('e', new Frame(text(2)), h, undefined);
    await clock.advance(500);
    const { epoch } = delivered[0]!.position;
    assert.deepEqual(offsets(await store.read('e', h, undefined, 10)), [2]);
    assert.equal((await store.read('e', h, { epoch, offset: 0 }, 10)).complete, false);
    assert.equal((await store.read('e', h, { epoch, offset: 1 }, 10)).complete, true);
    await clock.advance(600);
    const empty = await store.read('e', h, { epoch, offset: 2 }, 10);
    assert.deepEqual([empty.complete, empty.offset, offsets(empty)], [true, 2, []]);
    store.publish('e', new Frame(text(3)), h, undefined);
    assert.deepEqual(offsets(await store.read('e', h, undefined, 10)), [3]);
  });

  it('keeps at most maxEvents histories, dropping the least recently published', async () => {
    const { store, delivered } = started({ maxEvents: 3 });
    const family: HistoryOptions = { size: 5 };
    // The same event under two declarations' options (two nodes' copies): one history.
    store.publish('room.a', new Frame(text(1)), family, undefined);
    store.publish('room.a', new Frame(text(2)), { size: 5 }, undefined);
    assert.equal(delivered[1]!.position.offset, 2);
    store.publish('room.b', new Frame(text(1)), family, undefined);
    store.publish('room.c', new Frame(text(1)), family, undefined);
    store.publish('room.a', new Frame(text(3)), family, undefined);
    assert.equal(store.events, 3);
    // Reads of events never published are bounded apart: they push out none of these.
    for (let i = 0; i < 10; i++) await store.read(`room.quiet${i}`, family, undefined, 1);
    assert.equal(store.events, 6);
    store.publish('room.d', new Frame(text(1)), family, undefined);
    assert.equal(store.events, 6);
    // room.b went (published least recently): it starts again under a new epoch.
    const b = delivered.find((d) => d.event === 'room.b')!.position;
    const read = await store.read('room.b', family, b, 5);
    assert.equal(read.complete, false);
    assert.notEqual(read.epoch, b.epoch);
    assert.equal(read.offset, 0);
    const a = delivered.find((d) => d.event === 'room.a')!.position;
    assert.equal((await store.read('room.a', family, a, 5)).complete, true);
    // A read's history is the one the first publish continues.
    const quiet = await store.read('room.quiet9', family, undefined, 1);
    store.publish('room.quiet9', new Frame(text(1)), family, undefined);
    assert.deepEqual(delivered.at(-1)!.position, { epoch: quiet.epoch, offset: 1 });
  });

  it('gives every store its own epochs', async () => {
    const h: HistoryOptions = { size: 1 };
    const one = await new MemoryHistory().read('e', h, undefined, 1);
    const two = await new MemoryHistory().read('e', h, undefined, 1);
    assert.notEqual(one.epoch, two.epoch);
    assert.ok(one.epoch.length >= 1 && one.epoch.length <= 64);
  });
});
