/**
 * Delivery policies over the testing kit's fake socket, which a test pauses as
 * a client that stops reading: `latest` keeps the newest value per key for a
 * backlogged connection, `drop` skips, `all` is untouched; declarations in all
 * three places, the counters, and every way of declaring one wrongly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Carom,
  ConfigurationError,
  FamilySender,
  Sender,
  Topic,
  type CaromOptions,
} from '../../src/index.js';
import { BrokerHub, createTestApp, settle, type TestClient } from '../../src/testing/index.js';

interface Tick {
  readonly sym: string;
  readonly seq: number;
  readonly pad: string;
}

@Topic('price', { delivery: 'latest', key: (d: Tick) => d.sym })
class PriceSender extends Sender<Tick> {}

@Topic('lot.*', { delivery: 'latest', key: (d: Tick) => d.sym })
class LotSender extends FamilySender<Tick, 'lot.*'> {}

/** 20 keys, 10,000 updates: the load. */
const KEYS = Array.from({ length: 20 }, (_, i) => `S${i}`);
const UPDATES = 10_000;
const PAD = 'x'.repeat(100);
const tick = (seq: number): Tick => ({ sym: KEYS[seq % KEYS.length]!, seq, pad: PAD });

/** Small enough that a paused reader is backlogged after a few dozen frames. */
const BACKLOG = 4096;
const base: CaromOptions = { logLevel: 'fatal', backlogBytes: BACKLOG };

async function publishAll(app: Carom, event: string, from: number, to: number): Promise<void> {
  for (let seq = from; seq < to; seq++) {
    app.publish(event, tick(seq));
    // A yield now and then, as a real publisher's ticks are spread over turns.
    if (seq % 100 === 99) await settle(1);
  }
}

const seqs = (c: TestClient, event: string): number[] => c.dataOf<Tick>(event).map((d) => d.seq);

describe('delivery latest', () => {
  it('keeps the newest value per key for a paused reader; the others get everything', async () => {
    const t = await createTestApp({ ...base, senders: [PriceSender] });
    try {
      const fast = await t.connect();
      const other = await t.connect();
      const slow = await t.connect();
      for (const c of [fast, other, slow]) await c.subscribe('price');
      slow.socket.pause();

      await publishAll(t.app, 'price', 0, UPDATES);
      for (const c of [fast, other]) {
        assert.deepEqual(
          seqs(c, 'price'),
          Array.from({ length: UPDATES }, (_, i) => i),
        );
      }
      // Memory: what the socket holds stopped at the threshold; the queue holds one per key.
      const held = slow.socket.heldFrames;
      assert.ok(slow.socket.bufferedBytes < BACKLOG + 1024, `${slow.socket.bufferedBytes} bytes`);
      const stats = t.app.deliveryStats();
      assert.equal(stats.backlogged, 1);
      assert.equal(stats.waiting, KEYS.length);
      const counts = stats.topics.price!;
      assert.equal(counts.delivery, 'latest');
      assert.equal(counts.conflated, UPDATES - held - KEYS.length);
      assert.equal(counts.dropped, 0);

      slow.socket.resume();
      await settle(2);
      const got = seqs(slow, 'price');
      // What reached the socket before the backlog, in order, then the newest of each key
      // in the order of its last update.
      assert.deepEqual(
        got.slice(0, held),
        Array.from({ length: held }, (_, i) => i),
      );
      assert.deepEqual(
        got.slice(held),
        Array.from({ length: KEYS.length }, (_, i) => UPDATES - KEYS.length + i),
      );
      assert.equal(t.app.deliveryStats().waiting, 0);
      assert.equal(t.app.deliveryStats().topics.price!.deferred, KEYS.length);

      // Then live updates, each as it is published.
      await publishAll(t.app, 'price', UPDATES, UPDATES + 5);
      assert.deepEqual(
        seqs(slow, 'price').slice(held + KEYS.length),
        [10000, 10001, 10002, 10003, 10004],
      );
      assert.equal(slow.closed, false);
    } finally {
      await t.close();
    }
  });

  it('conflates per event without a key, and per family and channel when declared there', async () => {
    const t = await createTestApp({
      ...base,
      topics: [
        { name: 'gauge', delivery: 'latest' },
        { name: 'board.*', delivery: 'latest' },
        'plain',
      ],
    });
    try {
      t.app.channels.create('room.live', { delivery: 'latest' });
      const slow = await t.connect();
      await slow.subscribe('gauge', 'board.a', 'room.live', 'plain');
      slow.socket.pause();
      for (let seq = 0; seq < 200; seq++) {
        t.app.publish('gauge', tick(seq));
        t.app.publish('board.a', tick(seq));
        t.app.publish('room.live', tick(seq));
        t.app.publish('plain', tick(seq));
      }
      const held = slow.socket.heldFrames;
      slow.socket.resume();
      await settle(2);
      for (const event of ['gauge', 'board.a', 'room.live']) {
        const got = seqs(slow, event);
        assert.equal(got.at(-1), 199, event);
        assert.ok(got.length < 200, `${event}: ${got.length} delivered`);
      }
      // `all` is never conflated.
      assert.deepEqual(
        seqs(slow, 'plain'),
        Array.from({ length: 200 }, (_, i) => i),
      );
      assert.ok(held < 4 * 200);
      const topics = t.app.deliveryStats().topics;
      assert.deepEqual(Object.keys(topics).sort(), ['board.*', 'gauge', 'room.live']);
      assert.equal(topics['plain'], undefined);

      // A deleted channel takes its policy with it.
      t.app.channels.delete('room.live');
      assert.equal(t.app.deliveryStats().topics['room.live'], undefined);
    } finally {
      await t.close();
    }
  });

  it("follows a family sender's @Topic: each member conflated per key", async () => {
    const t = await createTestApp({ ...base, senders: [LotSender] });
    try {
      const slow = await t.connect();
      await slow.subscribe('lot.*');
      slow.socket.pause();
      const lamp = t.app.get(LotSender).to('lot.lamp');
      for (let seq = 0; seq < 400; seq++) await lamp.send(tick(seq));
      slow.socket.resume();
      await settle(2);
      const got = seqs(slow, 'lot.lamp');
      assert.ok(got.length < 400, `${got.length} delivered`);
      // The newest value of each key arrives, and no key goes backwards.
      for (const key of KEYS) {
        const mine = slow.dataOf<Tick>('lot.lamp').filter((d) => d.sym === key);
        assert.equal(mine.at(-1)?.seq, 380 + KEYS.indexOf(key), key);
        assert.deepEqual(
          mine.map((d) => d.seq),
          [...mine.map((d) => d.seq)].sort((a, b) => a - b),
        );
      }
      assert.ok(t.app.deliveryStats().topics['lot.*']!.conflated > 0);
    } finally {
      await t.close();
    }
  });

  it('closes with 1013 a connection whose queue would pass maxWaitingKeys', async () => {
    const t = await createTestApp({ ...base, maxWaitingKeys: 5, senders: [PriceSender] });
    try {
      const fast = await t.connect();
      const slow = await t.connect();
      await fast.subscribe('price');
      await slow.subscribe('price');
      slow.socket.pause();
      await publishAll(t.app, 'price', 0, 500);
      assert.equal(slow.closeCode, 1013);
      assert.match(slow.closeReason ?? '', /too slow/);
      assert.equal(seqs(fast, 'price').length, 500);
      assert.equal(t.app.stats().connections, 1);
    } finally {
      await t.close();
    }
  });

  it('sends a message whose key function fails, unconflated, counts and logs it once', async () => {
    const t = await createTestApp({
      ...base,
      logLevel: undefined,
      topics: [{ name: 'quote', delivery: 'latest', key: (d: { sym?: string }) => d.sym! }],
    });
    try {
      const slow = await t.connect();
      await slow.subscribe('quote');
      slow.socket.pause();
      for (let seq = 0; seq < 100; seq++) t.app.publish('quote', { seq, pad: PAD });
      slow.socket.resume();
      await settle(2);
      assert.deepEqual(
        slow.dataOf<{ seq: number }>('quote').map((d) => d.seq),
        Array.from({ length: 100 }, (_, i) => i),
      );
      const failures = t.app.deliveryStats().topics.quote!.keyFailures;
      assert.ok(failures > 0);
      const lines = t.logs.filter((l) =>
        l.args.some((a) => typeof a === 'string' && a.includes("delivery key of 'quote'")),
      );
      assert.equal(lines.length, 1);
    } finally {
      await t.close();
    }
  });

  it('conflates frames relayed from another node, reading their data only then', async () => {
    const hub = new BrokerHub();
    const options: CaromOptions = {
      ...base,
      topics: [{ name: 'price', delivery: 'latest', key: (d: Tick) => d.sym }],
    };
    const a = await createTestApp({ ...options, broker: hub.broker('a') });
    const b = await createTestApp({ ...options, broker: hub.broker('b') });
    try {
      const fast = await b.connect();
      const slow = await b.connect();
      await fast.subscribe('price');
      await slow.subscribe('price');
      slow.socket.pause();
      for (let seq = 0; seq < 2000; seq++) {
        a.app.publish('price', tick(seq));
        if (seq % 100 === 99) await hub.settled();
      }
      await hub.settled();
      assert.equal(seqs(fast, 'price').length, 2000);
      const held = slow.socket.heldFrames;
      slow.socket.resume();
      await settle(2);
      assert.deepEqual(
        seqs(slow, 'price').slice(held),
        Array.from({ length: KEYS.length }, (_, i) => 2000 - KEYS.length + i),
      );
      assert.ok(b.app.deliveryStats().topics.price!.conflated > 0);
    } finally {
      await a.close();
      await b.close();
      await hub.settled();
    }
  });
});

describe('delivery drop', () => {
  it('skips messages while the reader is backlogged, counts them, and never sends older ones after', async () => {
    const t = await createTestApp({ ...base, topics: [{ name: 'blip', delivery: 'drop' }] });
    try {
      const fast = await t.connect();
      const slow = await t.connect();
      await fast.subscribe('blip');
      await slow.subscribe('blip');
      slow.socket.pause();
      await publishAll(t.app, 'blip', 0, UPDATES);
      assert.equal(seqs(fast, 'blip').length, UPDATES);
      const held = slow.socket.heldFrames;
      assert.ok(slow.socket.bufferedBytes < BACKLOG + 1024, `${slow.socket.bufferedBytes} bytes`);
      assert.equal(t.app.deliveryStats().topics.blip!.dropped, UPDATES - held);
      assert.equal(t.app.deliveryStats().waiting, 0, 'nothing is queued for drop');

      slow.socket.resume();
      await settle(2);
      const resumeAt = UPDATES;
      await publishAll(t.app, 'blip', resumeAt, resumeAt + 3);
      assert.deepEqual(seqs(slow, 'blip'), [
        ...Array.from({ length: held }, (_, i) => i),
        resumeAt,
        resumeAt + 1,
        resumeAt + 2,
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('delivery all', () => {
  it('queues nothing and counts nothing: every message is written as before', async () => {
    const t = await createTestApp({ ...base, topics: ['plain'] });
    try {
      const slow = await t.connect();
      await slow.subscribe('plain');
      slow.socket.pause();
      await publishAll(t.app, 'plain', 0, 1000);
      assert.equal(slow.socket.heldFrames, 1000);
      assert.deepEqual(t.app.deliveryStats(), { backlogged: 0, waiting: 0, topics: {} });
    } finally {
      await t.close();
    }
  });
});

describe('declaring a delivery policy wrongly', () => {
  const bad: ReadonlyArray<readonly [string, () => unknown]> = [
    [
      '@Topic delivery',
      () => Topic('p', { delivery: 'newest' as never })(class P extends Sender {}),
    ],
    [
      '@Topic key without latest',
      () => Topic('p', { delivery: 'drop', key: () => 'k' })(class P extends Sender {}),
    ],
    [
      '@Topic key not a function',
      () => Topic('p', { delivery: 'latest', key: 'sym' as never })(class P extends Sender {}),
    ],
    ['topics option', () => new Carom({ topics: [{ name: 'p', delivery: 'fast' as never }] })],
    [
      'topics option key',
      () => new Carom({ topics: [{ name: 'p.*', key: (d: { k: string }) => d.k }] }),
    ],
    [
      'channels.create',
      () => new Carom({ logLevel: 'fatal' }).channels.create('c', { delivery: 'some' as never }),
    ],
  ];
  for (const [where, make] of bad) {
    it(`${where}: CAROM_ERR_BAD_DELIVERY`, () => {
      assert.throws(make, (err: unknown) => {
        assert.ok(err instanceof ConfigurationError);
        assert.equal(err.code, 'CAROM_ERR_BAD_DELIVERY');
        return true;
      });
    });
  }

  it('backlogBytes must be below maxBufferedBytes; left out, it fits under it', () => {
    assert.throws(() => new Carom({ maxBufferedBytes: 1000, backlogBytes: 1000 }), {
      code: 'CAROM_ERR_BAD_OPTION',
    });
    assert.doesNotThrow(() => new Carom({ maxBufferedBytes: 1000, backlogBytes: 999 }));
    assert.doesNotThrow(() => new Carom({ maxBufferedBytes: 1000 }));
    assert.doesNotThrow(() => new Carom({ maxBufferedBytes: 0, backlogBytes: 1 << 30 }));
  });
});
