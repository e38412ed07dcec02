/**
 * Delivery policies over real sockets: a client whose socket stops reading
 * while 10,000 updates of 20 keys are published. With `latest` it stays
 * connected though far more than `maxBufferedBytes` was published to it, holds
 * one waiting message per key, and on resuming gets the newest value of each
 * key, then live updates; with `drop` it skips; the other subscribers receive
 * every update in order either way. Only a client of the `carom` subprotocol
 * sees the `skipped` marker.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Carom, type DeliveryMode } from '../../src/index.js';
import { eventually } from '../support/wait.js';
import { Client, connect, connectCarom, terminateAll } from './helpers.js';

const KEYS = 20;
const UPDATES = 10_000;
/** 3 KiB a message: 30 MB in all, more than the kernel's buffers and `maxBufferedBytes` hold. */
const PAD = 'x'.repeat(3 * 1024);
const MAX_BUFFERED = 4 * 1024 * 1024;

interface Tick {
  readonly sym: string;
  readonly seq: number;
}

type NetSocket = { pause(): void; resume(): void };
const netOf = (c: Client): NetSocket => (c.ws as unknown as { _socket: NetSocket })._socket;
const seqsOf = (c: Client): number[] => c.dataOf('price').map((d: Tick) => d.seq);

/** The length of the run 0, 1, 2... at the start of `seqs`: what left before the backlog. */
function prefixOf(seqs: readonly number[]): number {
  let i = 0;
  while (i < seqs.length && seqs[i] === i) i++;
  return i;
}

async function subscribe(c: Client): Promise<void> {
  await c.request({ event: 'subscribe', data: { events: ['price'] }, id: 's' });
}

async function publishUpdates(app: Carom, from: number, to: number): Promise<void> {
  for (let seq = from; seq < to; seq++) {
    app.publish('price', { sym: `S${seq % KEYS}`, seq, pad: PAD });
    if (seq % 8 === 7) await new Promise((r) => setImmediate(r));
  }
}

describe('a paused reader of a latest or drop event, over real sockets', () => {
  let app: Carom | undefined;
  afterEach(async () => {
    terminateAll();
    await app?.close();
    app = undefined;
  });

  async function setUp(delivery: DeliveryMode): Promise<{
    fast: Client;
    slow: Client;
    plain: Client;
  }> {
    app = new Carom({
      topics: [
        delivery === 'latest'
          ? { name: 'price', delivery, key: (d: Tick) => d.sym }
          : { name: 'price', delivery },
      ],
      maxBufferedBytes: MAX_BUFFERED,
      backlogBytes: 256 * 1024,
      logLevel: 'fatal',
    });
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `ws://127.0.0.1:${port}/ws`;
    const fast = await connect(url);
    // Two slow readers: one speaks the carom subprotocol, one is a plain (bounce-ws) client.
    const slow = await connectCarom(url);
    const plain = await connect(url);
    for (const c of [fast, slow, plain]) await subscribe(c);
    netOf(slow).pause();
    netOf(plain).pause();
    await publishUpdates(app, 0, UPDATES);
    await eventually(() => seqsOf(fast).length === UPDATES, `all ${UPDATES} updates`, 60_000);
    assert.deepEqual(
      seqsOf(fast),
      Array.from({ length: UPDATES }, (_, i) => i),
      'the fast reader got every update, in order',
    );
    assert.equal(app.stats().connections, 3, 'the slow readers are still connected');
    return { fast, slow, plain };
  }

  it('latest: the newest value of each key after resuming, then live updates', async () => {
    const { slow, plain } = await setUp('latest');
    const stats = app!.deliveryStats();
    assert.equal(stats.backlogged, 2);
    assert.equal(stats.waiting, 2 * KEYS, 'one waiting message per key and connection');
    assert.ok(stats.topics.price!.conflated > UPDATES, `${stats.topics.price!.conflated}`);

    netOf(slow).resume();
    netOf(plain).resume();
    for (const c of [slow, plain]) {
      await eventually(() => seqsOf(c).at(-1) === UPDATES - 1, 'the newest update', 30_000);
      const seqs = seqsOf(c);
      const before = prefixOf(seqs);
      assert.ok(before < UPDATES - 10 * KEYS, `only ${before} left before the backlog`);
      assert.deepEqual(
        seqs.slice(before),
        Array.from({ length: KEYS }, (_, i) => UPDATES - KEYS + i),
        'the newest of each key, in the order of their last update',
      );
    }
    // The marker, for the carom client only; a plain client sees the v1 envelope.
    const marked = slow.messages.filter((e) => e.event === 'price' && 'skipped' in e);
    assert.equal(marked.length, KEYS);
    for (const e of marked) assert.ok((e as { skipped?: number }).skipped! > 0);
    assert.equal(plain.messages.filter((e) => 'skipped' in e).length, 0);

    await eventually(() => app!.deliveryStats().backlogged === 0, 'drained', 30_000);
    await publishUpdates(app!, UPDATES, UPDATES + 3);
    for (const c of [slow, plain]) {
      await eventually(() => seqsOf(c).at(-1) === UPDATES + 2, 'live updates', 30_000);
      assert.deepEqual(seqsOf(c).slice(-3), [UPDATES, UPDATES + 1, UPDATES + 2]);
    }
  });

  it('drop: skips counted, and nothing older than the resume point after it', async () => {
    const { slow, plain } = await setUp('drop');
    const stats = app!.deliveryStats();
    assert.equal(stats.waiting, 0);
    assert.ok(stats.topics.price!.dropped > UPDATES, `${stats.topics.price!.dropped}`);

    netOf(slow).resume();
    netOf(plain).resume();
    // Live updates until one gets through: while the server's buffer drains, they are skipped too.
    let seq = UPDATES;
    for (
      ;
      seq < UPDATES + 5000 &&
      !(seqsOf(slow).at(-1)! >= UPDATES && seqsOf(plain).at(-1)! >= UPDATES);
      seq++
    ) {
      await publishUpdates(app!, seq, seq + 1);
      await new Promise((r) => setTimeout(r, 2));
    }
    for (const c of [slow, plain]) {
      const seqs = seqsOf(c);
      const before = prefixOf(seqs);
      assert.ok(before < UPDATES - 10 * KEYS, `only ${before} left before the backlog`);
      const after = seqs.slice(before);
      assert.ok(after.length > 0);
      for (let i = 0; i < after.length; i++) {
        assert.ok(after[i]! >= UPDATES, `${after[i]} arrived after the resume point`);
        if (i > 0) assert.ok(after[i]! > after[i - 1]!);
      }
    }
    assert.equal(app!.stats().connections, 3);
  });
});
