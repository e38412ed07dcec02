/**
 * carom/redis on a Redis Cluster of three masters, one cluster for the whole
 * file (it takes seconds to start): two node processes over sharded pub/sub
 * (one channel per topic), publishes cross nodes once each and in order,
 * whichever shard owns the topic; a resume on the other node from a history on
 * its topic's shard; presence of topics on several shards; the broker,
 * presence and lease contracts, the history and once-store contracts, key
 * slots against CLUSTER KEYSLOT; and, last, as it takes the cluster
 * down, presence written again after every master restarts empty.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { terminateAll } from '../integration/helpers.js';
import { createLogger } from '../../src/index.js';
import { redisBroker } from '../../src/redis/index.js';
import {
  brokerContract,
  leaseContract,
  presenceContract,
  type NodeSet,
} from '../support/broker-contract.js';
import { historyContract } from '../support/history-contract.js';
import { onceContract } from '../support/once-contract.js';
import { presenceRewrittenAfterRestart } from '../support/redis-restart.js';
import { redisHistories, redisOnces, type RedisReach } from '../support/redis-stores.js';
import { allOnceInOrder, received, resubscribe } from '../support/redis-resume.js';
import { keySlot } from '../../src/redis/slot.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisCluster } from '../support/redis-server.js';
import { connectTo, NodeProcess, subscribe } from '../support/redis-nodes.js';
import { eventually } from '../support/wait.js';

const BURST = 1000;

let cluster: RedisCluster;

before(async () => {
  cluster = await RedisCluster.start();
});

after(async () => {
  await cluster?.end();
});

describe('carom/redis on a Redis Cluster (sharded pub/sub)', () => {
  let a: NodeProcess;
  let b: NodeProcess;

  before(async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    [a, b] = await Promise.all([
      NodeProcess.start({ rootNodes: cluster.rootNodes, nodeId: 'alpha', prefix }),
      NodeProcess.start({ rootNodes: cluster.rootNodes, nodeId: 'beta', prefix }),
    ]);
  });

  after(async () => {
    terminateAll();
    await Promise.all([a?.end(), b?.end()]);
  });

  it('delivers publishes of every topic across nodes, once each and in order per topic', async () => {
    const here = await connectTo(a);
    const there = await connectTo(b);
    const topics = ['news', 'burst', 'room.1', 'ticks'];
    await subscribe(here.client, ...topics);
    await subscribe(there.client, ...topics);
    await a.request('send', { data: { n: 0 } });
    for (const event of ['burst', 'room.1', 'ticks'])
      await a.request('burst', { event, count: BURST });
    for (const c of [here, there]) {
      await eventually(() => c.client.messages.length >= 1 + 3 * BURST, 'every publish', 20_000);
    }
    for (const event of topics) await a.request('publish', { event, data: { n: -1 } });
    for (const c of [here, there]) {
      await eventually(() => c.client.dataOf('ticks').some((d) => d.n === -1), 'the markers');
      for (const event of topics) {
        const count = event === 'news' ? 1 : BURST;
        await eventually(() => c.client.dataOf(event).some((d) => d.n === -1), `${event} marker`);
        const ns = c.client.dataOf(event).map((d: { n: number }) => d.n);
        assert.deepEqual(ns, [...Array.from({ length: count }, (_, n) => n), -1], event);
      }
    }
    const stats = await b.request('stats');
    assert.equal(stats.received, 1 + 3 * BURST + 4);
  });

  it('recovers on the other node, from the history on the topic’s shard, what a client missed', async () => {
    const watcher = await connectTo(a);
    await resubscribe(watcher.client, ['feed.*'], undefined);
    const first = await connectTo(a);
    await resubscribe(first.client, ['feed.c'], undefined);
    await a.request('burst', { event: 'feed.c', count: 10 });
    await eventually(() => received(first.client, 'feed.c').length === 10, 'the first ten');
    const last = received(first.client, 'feed.c').at(-1)!.position;
    first.client.ws.close();
    await b.request('burst', { event: 'feed.c', count: 50 });
    await a.request('burst', { event: 'feed.c', count: 50 });
    await eventually(() => received(watcher.client, 'feed.c').length === 110, 'all recorded');
    const second = await connectTo(b);
    const recovery = await resubscribe(second.client, ['feed.c'], { 'feed.c': last });
    assert.deepEqual(recovery['feed.c'], {
      recovered: true,
      epoch: last.epoch,
      offset: 110,
      replayed: 100,
    });
    allOnceInOrder(
      [...received(first.client, 'feed.c'), ...received(second.client, 'feed.c')],
      last.epoch,
      110,
    );
    watcher.client.ws.close();
    second.client.ws.close();
  });

  it('lists presence across nodes for topics on different shards', async () => {
    const rooms = ['room.a', 'room.b', 'room.c', 'room.d', 'room.e'];
    const alice = await connectTo(a, 'alice');
    const bob = await connectTo(b, 'bob');
    await subscribe(alice.client, ...rooms);
    await subscribe(bob.client, ...rooms);
    for (const room of rooms) {
      const entries: { connectionId: string; user: unknown }[] = await b.request('presence', {
        topic: room,
      });
      assert.deepEqual(entries.map((e) => e.connectionId).sort(), [alice.id, bob.id].sort(), room);
    }
    alice.client.ws.close();
    bob.client.ws.close();
  });

  it('shares a channel made at run time over its own sharded channel', async () => {
    const there = await connectTo(b);
    await a.request('createChannel', { name: 'lobby' });
    await there.client.next((e) => e.event === 'carom.channel.created');
    await subscribe(there.client, 'lobby');
    // b subscribes to the channel's shard when it hears of it: publish until it crosses.
    for (let i = 0; i < 100 && there.client.dataOf('lobby').length === 0; i++) {
      await a.request('publish', { event: 'lobby', data: { i } });
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(there.client.dataOf('lobby').length > 0);
  });

  it('relays a publish to topics on several shards once to each subscriber, leaving out one connection', async () => {
    const rooms = ['room.a', 'room.b', 'room.c', 'room.d', 'room.e'];
    const reader = await connectTo(b);
    const author = await connectTo(b);
    await subscribe(reader.client, ...rooms);
    await subscribe(author.client, ...rooms);
    await a.request('publish', {
      event: 'news',
      data: { n: 1 },
      options: { topics: rooms, except: author.id },
    });
    // A marker on every room's shard after it: a copy relayed per shard would arrive before it.
    for (const room of rooms) {
      await a.request('publish', { event: room, data: { n: -1 }, options: { except: author.id } });
    }
    await eventually(
      () => rooms.every((room) => reader.client.dataOf(room).length === 1),
      'the markers of every shard',
    );
    assert.deepEqual(reader.client.dataOf('news'), [{ n: 1 }], 'once, from one message');
    assert.deepEqual(author.client.dataOf('news'), []);
    for (const room of rooms) assert.deepEqual(author.client.dataOf(room), [], room);
    reader.client.ws.close();
    author.client.ws.close();
  });
});

/** Apps of this process, each with its own `redisBroker` on the cluster, under a fresh prefix per test. */
function nodes(): Promise<NodeSet> {
  const prefix = `k${randomBytes(4).toString('hex')}`;
  return Promise.resolve({
    broker: (nodeId: string) =>
      redisBroker({
        cluster: { rootNodes: cluster.rootNodes },
        nodeId,
        prefix,
        logger: createLogger('fatal'),
      }),
    close: () => Promise.resolve(),
  });
}

brokerContract('redisBroker on a Redis Cluster', nodes);
presenceContract('redisBroker on a Redis Cluster', nodes);
leaseContract('redisBroker on a Redis Cluster', nodes);

/** The stores' way to the cluster, read once it has started. */
const reach = (): RedisReach => ({
  options: { cluster: { rootNodes: cluster.rootNodes } },
  ports: cluster.servers.map((s) => s.port),
});

historyContract('Redis Streams on a Redis Cluster', () => redisHistories(reach())(), {
  shared: true,
});
onceContract('Redis on a Redis Cluster', () => redisOnces(reach())(), { shared: true });

describe('carom/redis key slots', () => {
  it('computes the slot of a name as the cluster does', async () => {
    const names = [
      'carom:topic:room.*',
      'x:history:{carom:topic:news}:log:news',
      'a{}b',
      'é{🎉}',
      '}{',
    ];
    for (const name of names) {
      const { stdout } = await promisify(execFile)('redis-cli', [
        '-p',
        String(cluster.servers[0]!.port),
        'CLUSTER',
        'KEYSLOT',
        name,
      ]);
      assert.equal(keySlot(name), Number(stdout.trim()), name);
    }
  });
});

describe('carom/redis presence after the Redis Cluster restarts', () => {
  it('writes the node’s entries again once every master is back, empty, with those joined meanwhile', () =>
    presenceRewrittenAfterRestart(cluster, { cluster: { rootNodes: cluster.rootNodes } }));
});
