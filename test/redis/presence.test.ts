/**
 * Presence and leases of carom/redis with a real redis-server: entries of
 * two node processes listed by both, gone after `kill -9` of one within the
 * TTL; the cluster-wide timed sender taken over when its holder is killed;
 * a node's entries written again after Redis restarts empty.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import 'reflect-metadata';
import { terminateAll } from '../integration/helpers.js';
import { RedisServer } from '../support/redis-server.js';
import { presenceRewrittenAfterRestart } from '../support/redis-restart.js';
import { connectTo, NodeProcess, subscribe } from '../support/redis-nodes.js';
import { eventually } from '../support/wait.js';

interface Entry {
  connectionId: string;
  node: string;
  user: unknown;
}

const TTL_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const byId = (entries: Entry[]) =>
  [...entries].sort((x, y) => x.connectionId.localeCompare(y.connectionId));

describe('carom/redis presence and leases across node processes', () => {
  let redis: RedisServer;
  const nodes: NodeProcess[] = [];
  const prefix = () => `p${randomBytes(4).toString('hex')}`;

  async function start(
    nodeId: string,
    p: string,
    extra: { clock?: boolean } = {},
  ): Promise<NodeProcess> {
    const node = await NodeProcess.start({
      url: redis.url,
      nodeId,
      prefix: p,
      presenceTtlMs: TTL_MS,
      ...extra,
    });
    nodes.push(node);
    return node;
  }

  before(async () => {
    redis = await RedisServer.start();
  });

  after(async () => {
    terminateAll();
    await Promise.all(nodes.map((n) => n.end()));
    await redis?.end();
  });

  it(`lists both nodes' subscribers with their users, and drops a killed node's within ${TTL_MS} ms`, async () => {
    const p = prefix();
    const [a, b] = await Promise.all([start('alpha', p), start('beta', p)]);
    const alice = await connectTo(a, 'alice');
    const bob = await connectTo(b, 'bob');
    await subscribe(alice.client, 'room.lobby');
    await subscribe(bob.client, 'room.lobby');
    const expected = byId([
      { connectionId: alice.id, node: 'alpha', user: { name: 'alice' } },
      { connectionId: bob.id, node: 'beta', user: { name: 'bob' } },
    ]);
    for (const n of [a, b]) {
      assert.deepEqual(byId(await n.request('presence', { topic: 'room.lobby' })), expected);
    }
    // Past two TTLs the heartbeat has renewed them: a live node's entries stay.
    await sleep(TTL_MS * 2.5);
    assert.deepEqual(byId(await b.request('presence', { topic: 'room.lobby' })), expected);

    await a.kill();
    let left: Entry[] = [];
    // Bounded: the TTL is 1 s; the loop gives up after 10 s.
    for (let i = 0; i < 100; i++) {
      left = await b.request('presence', { topic: 'room.lobby' });
      if (left.length === 1) break;
      await sleep(100);
    }
    assert.deepEqual(left, [{ connectionId: bob.id, node: 'beta', user: { name: 'bob' } }]);
    bob.client.ws.close();
  });

  it('moves the cluster-wide timed sender to the other node when its holder is killed', async () => {
    const p = prefix();
    const [a, b] = await Promise.all([
      start('alpha', p, { clock: true }),
      start('beta', p, { clock: true }),
    ]);
    const onA = await connectTo(a);
    const onB = await connectTo(b);
    await subscribe(onA.client, 'clock');
    await subscribe(onB.client, 'clock');
    const ticks = (c: typeof onA) => c.client.dataOf('clock') as { node: string }[];
    await eventually(() => ticks(onA).length >= 3 && ticks(onB).length >= 3, 'three ticks each');
    const holder = ticks(onB)[0]!.node;
    for (const c of [onA, onB]) {
      assert.ok(
        ticks(c).every((t) => t.node === holder),
        'one node ticks while it lives',
      );
    }
    const [killed, survivor, client] = holder === 'alpha' ? [a, 'beta', onB] : [b, 'alpha', onA];
    await killed.kill();
    // The lease lives 2 × 200 + 1000 ms; the loop gives up after 10 s.
    await eventually(
      () => ticks(client).some((t) => t.node === survivor),
      `${survivor} takes over`,
      10_000,
    );
    client.client.ws.close();
  });
});

describe('carom/redis presence after a Redis restart', () => {
  let redis: RedisServer;

  before(async () => {
    redis = await RedisServer.start();
  });

  after(async () => {
    await redis?.end();
  });

  it('writes the node’s entries again once Redis is back, empty, with those joined meanwhile', () =>
    presenceRewrittenAfterRestart(redis, { url: redis.url }));
});
