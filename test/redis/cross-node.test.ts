/**
 * carom/redis with a real redis-server and two carom nodes as separate
 * processes: publishes, connection commands and channels cross nodes, each
 * subscriber gets each message once and in order.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { terminateAll } from '../integration/helpers.js';
import { RedisServer } from '../support/redis-server.js';
import { connectTo, NodeProcess, subscribe } from '../support/redis-nodes.js';
import { eventually } from '../support/wait.js';

const BURST = 3000;

describe('carom/redis across two nodes', () => {
  let redis: RedisServer;
  let a: NodeProcess;
  let b: NodeProcess;
  const prefix = `t${randomBytes(4).toString('hex')}`;

  before(async () => {
    redis = await RedisServer.start();
    [a, b] = await Promise.all([
      NodeProcess.start({ url: redis.url, nodeId: 'alpha', prefix }),
      NodeProcess.start({ url: redis.url, nodeId: 'beta', prefix }),
    ]);
  });

  after(async () => {
    terminateAll();
    await Promise.all([a?.end(), b?.end()]);
    await redis?.end();
  });

  it('delivers app.publish and Sender.send on one node to subscribers on both, once each', async () => {
    const here = await connectTo(a);
    const there = await connectTo(b);
    await subscribe(here.client, 'news', 'room.*');
    await subscribe(there.client, 'news', 'room.*');
    await a.request('send', { data: { via: 'sender' } });
    await a.request('publish', { event: 'room.7', data: { via: 'publish' } });
    for (const c of [here, there]) {
      await eventually(() => c.client.messages.length >= 3, 'two relayed events');
    }
    // A marker after them: whatever came twice would be there before it.
    await a.request('publish', { event: 'news', data: { end: true } });
    for (const c of [here, there]) {
      await eventually(() => c.client.dataOf('news').some((d) => d.end), 'the marker');
      assert.deepEqual(c.client.dataOf('news'), [{ via: 'sender' }, { end: true }]);
      assert.deepEqual(c.client.dataOf('room.7'), [{ via: 'publish' }]);
    }
    here.client.ws.close();
    there.client.ws.close();
  });

  it(`keeps a burst of ${BURST} publishes of one node in order, each once, on the other`, async () => {
    const subscribers = await Promise.all([connectTo(a), connectTo(b), connectTo(b)]);
    for (const s of subscribers) await subscribe(s.client, 'burst');
    await a.request('burst', { event: 'burst', count: BURST });
    for (const s of subscribers) {
      await eventually(() => s.client.dataOf('burst').length >= BURST, 'the whole burst', 20_000);
    }
    await a.request('publish', { event: 'burst', data: { n: BURST } });
    for (const s of subscribers) {
      await eventually(() => s.client.dataOf('burst').length > BURST, 'the marker');
      const ns = s.client.dataOf('burst').map((d: { n: number }) => d.n);
      assert.deepEqual(
        ns,
        Array.from({ length: BURST + 1 }, (_, n) => n),
      );
      s.client.ws.close();
    }
  });

  it('reaches a connection held by the other node: send, subscribe, unsubscribe, sendTo, close', async () => {
    const there = await connectTo(b);
    await a.request('to', {
      connection: there.id,
      action: 'send',
      event: 'news',
      data: { direct: 1 },
    });
    await there.client.next((e) => e.event === 'news' && e.data.direct === 1);

    await a.request('to', { connection: there.id, action: 'subscribe', names: ['ticks'] });
    const ticks = async (n: number) => {
      await a.request('publish', { event: 'ticks', data: { n } });
    };
    // The subscribe travels on b's own channel, the publish on the bus: a retry loop, bounded.
    for (let i = 0; i < 50 && !there.client.dataOf('ticks').length; i++) {
      await ticks(i);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(there.client.dataOf('ticks').length > 0, 'subscribed from the other node');

    await a.request('to', { connection: there.id, action: 'unsubscribe', names: ['ticks'] });
    await a.request('sendTo', { connection: there.id, data: { marker: 'after-unsubscribe' } });
    await there.client.next((e) => e.event === 'news' && e.data.marker === 'after-unsubscribe');
    const seen = there.client.dataOf('ticks').length;
    await ticks(-1);
    await a.request('sendTo', { connection: there.id, data: { marker: 'after-tick' } });
    await there.client.next((e) => e.event === 'news' && e.data.marker === 'after-tick');
    assert.equal(there.client.dataOf('ticks').length, seen, 'no tick after the unsubscribe');

    await a.request('to', { connection: there.id, action: 'close', code: 4001, reason: 'bye' });
    assert.deepEqual(await there.client.closed, { code: 4001, reason: 'bye' });
  });

  it('counts a command for a closed connection as missed there, and one for no node as lost', async () => {
    const before = await b.request('stats');
    await a.request('to', { connection: 'beta:cnope', action: 'send', event: 'news', data: 1 });
    await a.request('to', { connection: 'gone:c1', action: 'send', event: 'news', data: 1 });
    let stats = await a.request('stats');
    let statsB = await b.request('stats');
    for (let i = 0; i < 100 && (stats.lost < 1 || statsB.missed <= before.missed); i++) {
      await new Promise((r) => setTimeout(r, 20));
      [stats, statsB] = await Promise.all([a.request('stats'), b.request('stats')]);
    }
    assert.equal(stats.lost, 1, 'the node nobody listens for');
    assert.equal(statsB.missed, before.missed + 1, 'b had no such connection');
  });

  it('shares channels: made on one node, announced and known on the other, adopted by a node that starts later', async () => {
    const there = await connectTo(b);
    await a.request('createChannel', { name: 'lobby' });
    const created = await there.client.next((e) => e.event === 'carom.channel.created');
    assert.deepEqual(created.data, { name: 'lobby' });
    assert.ok((await b.request('channels')).includes('lobby'));
    await subscribe(there.client, 'lobby');
    await a.request('publish', { event: 'lobby', data: { hello: 1 } });
    await there.client.next((e) => e.event === 'lobby');

    const c = await NodeProcess.start({ url: redis.url, nodeId: 'gamma', prefix });
    try {
      assert.ok((await c.request('channels')).includes('lobby'), 'adopted at start');
      const late = await connectTo(c);
      await subscribe(late.client, 'lobby');
      await b.request('deleteChannel', { name: 'lobby' });
      await late.client.next((e) => e.event === 'carom.channel.deleted' && e.data.name === 'lobby');
      await there.client.next((e) => e.event === 'carom.channel.deleted');
      assert.ok(!(await a.request('channels')).includes('lobby'));
    } finally {
      await c.end();
    }
  });
});
