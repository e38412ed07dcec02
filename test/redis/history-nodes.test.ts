/**
 * Resume across nodes over Redis, end to end: two node processes
 * (test/fixtures/redis-node.ts, whose `feed.*` events have a history in
 * Redis) and raw `ws` clients speaking the `carom` subprotocol, which resume
 * with the last position they saw (subscribe data `resume`). A client that
 * reconnects to the other node recovers what it missed; so does one whose
 * node is killed with `kill -9`, while the surviving node keeps publishing.
 * And a request retried on the other node is handled once (keys in Redis).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect, terminateAll } from '../integration/helpers.js';
import { allOnceInOrder, received, resubscribe } from '../support/redis-resume.js';
import { RedisServer } from '../support/redis-server.js';
import { connectTo, NodeProcess, type NodeClient } from '../support/redis-nodes.js';
import { eventually } from '../support/wait.js';

/** Waits across processes, generous: the machine is shared, and nothing here asserts speed. */
const LOADED = 20_000;

let redis: RedisServer;

before(async () => {
  redis = await RedisServer.start();
});

after(async () => {
  terminateAll();
  await redis?.end();
});

describe('history across two nodes over Redis', () => {
  let a: NodeProcess;
  let b: NodeProcess;
  let prefix: string;
  const clients: NodeClient[] = [];

  before(async () => {
    prefix = `e${randomBytes(4).toString('hex')}`;
    [a, b] = await Promise.all([
      NodeProcess.start({ url: redis.url, nodeId: 'alpha', prefix }),
      NodeProcess.start({ url: redis.url, nodeId: 'beta', prefix }),
    ]);
  });

  after(async () => {
    for (const c of clients) c.client.ws.close();
    await Promise.all([a?.end(), b?.end()]);
  });

  async function client(node: NodeProcess): Promise<NodeClient> {
    const c = await connectTo(node);
    clients.push(c);
    return c;
  }

  /** A client of node a on every feed: once it has a message, Redis has recorded it. */
  let watcher: NodeClient;

  async function recorded(event: string, count: number): Promise<void> {
    await eventually(
      () => received(watcher.client, event).length >= count,
      `${count} of ${event}`,
      LOADED,
    );
  }

  /** A client of `node` subscribed to `event`, once the `count` messages then published there reached it. */
  async function caughtUp(node: NodeProcess, event: string, count: number): Promise<NodeClient> {
    const c = await client(node);
    await resubscribe(c.client, [event], undefined);
    await node.request('burst', { event, count });
    await eventually(
      () => received(c.client, event).length === count,
      `the first ${count}`,
      LOADED,
    );
    return c;
  }

  it('recovers on the other node what a client missed while it was away', async () => {
    watcher = await client(a);
    await resubscribe(watcher.client, ['feed.*'], undefined);
    const first = await caughtUp(a, 'feed.one', 5);
    const seen = received(first.client, 'feed.one');
    const epoch = seen[0]!.position.epoch;
    allOnceInOrder(seen, epoch, 5);
    first.client.ws.close();
    await first.client.closed;

    // Published while the client is away, from both nodes.
    // One burst after the other (two nodes' publishes are ordered by Redis as they come).
    await a.request('burst', { event: 'feed.one', count: 100 });
    await recorded('feed.one', 105);
    await b.request('burst', { event: 'feed.one', count: 100 });
    await recorded('feed.one', 205);
    const second = await client(b);
    const recovery = await resubscribe(second.client, ['feed.*'], {
      'feed.one': seen.at(-1)!.position,
    });
    assert.deepEqual(recovery['feed.one'], {
      recovered: true,
      epoch,
      offset: 205,
      replayed: 200,
    });
    await a.request('publish', { event: 'feed.one', data: { n: -1 } });
    await eventually(
      () => received(second.client, 'feed.one').length === 201,
      'the live one',
      LOADED,
    );
    const got = received(second.client, 'feed.one');
    assert.deepEqual(
      got.map((m) => m.position.offset),
      Array.from({ length: 201 }, (_, i) => i + 6),
    );
    assert.deepEqual(
      got.map((m) => m.n),
      [
        ...Array.from({ length: 100 }, (_, n) => n),
        ...Array.from({ length: 100 }, (_, n) => n),
        -1,
      ],
    );
  });

  it('shows a client joining on one node the last messages published on the other', async () => {
    await a.request('burst', { event: 'feed.room', count: 30 });
    await recorded('feed.room', 30);
    const late = await client(b);
    const recovery = await resubscribe(late.client, ['feed.room'], undefined, 10);
    assert.equal(recovery['feed.room']!.recovered, true);
    assert.equal(recovery['feed.room']!.replayed, 10);
    assert.deepEqual(
      received(late.client, 'feed.room').map((m) => m.n),
      Array.from({ length: 10 }, (_, i) => 20 + i),
    );
  });

  it('recovers from the other node every message, once and in order, after its node is killed with kill -9, while publishes go on', async () => {
    const onA = await caughtUp(a, 'feed.kill', 50);
    const last = received(onA.client, 'feed.kill').at(-1)!.position;

    await a.kill();
    await onA.client.closed;
    await b.request('burst', { event: 'feed.kill', count: 300 });

    const onB = await client(b);
    // Publishes race the replay: they must come after it, none twice, none missing.
    const racing = (async () => {
      for (let i = 0; i < 10; i++) await b.request('burst', { event: 'feed.kill', count: 20 });
    })();
    const recovery = await resubscribe(onB.client, ['feed.kill'], { 'feed.kill': last });
    await racing;
    assert.equal(recovery['feed.kill']!.recovered, true, JSON.stringify(recovery));
    assert.equal(recovery['feed.kill']!.epoch, last.epoch);
    assert.ok(
      recovery['feed.kill']!.replayed >= 300,
      `replayed ${recovery['feed.kill']!.replayed}`,
    );
    const total = 50 + 300 + 200;
    await eventually(
      () => received(onB.client, 'feed.kill').length === total - 50,
      'every message after the position',
      20_000,
    );
    const got = [...received(onA.client, 'feed.kill'), ...received(onB.client, 'feed.kill')];
    allOnceInOrder(got, last.epoch, total);
  });

  it('tells a client whose position the history no longer follows on from, instead of hiding the gap', async () => {
    const c = await client(b);
    const recovery = await resubscribe(c.client, ['feed.one'], {
      'feed.one': { epoch: 'an-epoch-long-gone', offset: 3 },
    });
    assert.equal(recovery['feed.one']!.recovered, false);
    assert.equal(recovery['feed.one']!.reason, 'EPOCH');
    assert.equal(recovery['feed.one']!.offset, 206);
    assert.deepEqual(received(c.client, 'feed.one'), []);
  });

  it('handles a request retried on the other node once, answering the repeat with the first answer', async () => {
    // Node a was killed above: a third node takes its place.
    const c = await NodeProcess.start({ url: redis.url, nodeId: 'gamma', prefix });
    try {
      const protocols = ['carom', 'carom.client.instance-redis-01'];
      const onA = await connect(c.url, {}, protocols);
      await onA.next((e) => e.event === 'carom.welcome');
      const key = 'k-redis-once-000001';
      const first = await onA.request({
        event: 'order',
        data: { item: 'tea' },
        id: 1,
        key,
      } as never);
      assert.equal(first.event, 'ack');
      assert.deepEqual(first.data, { node: 'gamma', order: 1, item: 'tea' });
      onA.ws.close();
      // The retry goes to the other node: it finds the key, and the first answer, in Redis.
      const onB = await connect(b.url, {}, protocols);
      await onB.next((e) => e.event === 'carom.welcome');
      const repeat = await onB.request({
        event: 'order',
        data: { item: 'tea' },
        id: 7,
        key,
      } as never);
      assert.deepEqual([repeat.event, repeat.id, repeat.data], ['ack', 7, first.data]);
      assert.equal(await b.request('orders'), 0, 'not handled on b');
      // Another identity with the same key is its own.
      const other = await connect(b.url, {}, ['carom', 'carom.client.instance-redis-02']);
      await other.next((e) => e.event === 'carom.welcome');
      const own = await other.request({
        event: 'order',
        data: { item: 'tea' },
        id: 1,
        key,
      } as never);
      assert.deepEqual(own.data, { node: 'beta', order: 1, item: 'tea' });
      assert.equal(await c.request('orders'), 1);
      onB.ws.close();
      other.ws.close();
    } finally {
      await c.end();
    }
  });
});
