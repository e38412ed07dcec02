/**
 * Redis stopped in the middle of a stream and started again on the same port:
 * both nodes go on serving their own connections, count what they could not
 * relay, reconnect by themselves and deliver across nodes again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { terminateAll } from '../integration/helpers.js';
import { RedisServer } from '../support/redis-server.js';
import { connectTo, NodeProcess, subscribe } from '../support/redis-nodes.js';
import { eventually } from '../support/wait.js';

describe('carom/redis when Redis goes away', () => {
  let redis: RedisServer;
  let a: NodeProcess;
  let b: NodeProcess;

  before(async () => {
    redis = await RedisServer.start();
    const prefix = `t${randomBytes(4).toString('hex')}`;
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

  it('keeps local delivery, counts the lost relays, and resumes after a restart', async () => {
    const here = await connectTo(a);
    const there = await connectTo(b);
    await subscribe(here.client, 'news');
    await subscribe(there.client, 'news');
    await a.request('publish', { event: 'news', data: { n: 'before' } });
    await there.client.next((e) => e.data.n === 'before');

    await redis.stop();
    for (let i = 0; i < 5; i++) {
      assert.equal(await a.request('publish', { event: 'news', data: { n: `down${i}` } }), 1);
    }
    await eventually(() => here.client.dataOf('news').length === 6, 'local delivery while down');
    let stats = await a.request('stats');
    for (let i = 0; i < 100 && stats.lost < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      stats = await a.request('stats');
    }
    assert.equal(stats.lost, 5, 'every relay made while Redis was down is counted');

    await redis.restart();
    // Bounded: the clients back off up to 2 s; publish until one crosses.
    for (let i = 0; i < 100 && !there.client.dataOf('news').some((d) => d.n === 'after'); i++) {
      await a.request('publish', { event: 'news', data: { n: 'after' } });
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(
      there.client.dataOf('news').some((d) => d.n === 'after'),
      'a to b again',
    );
    assert.ok(!there.client.dataOf('news').some((d) => String(d.n).startsWith('down')));

    for (let i = 0; i < 100 && !here.client.dataOf('news').some((d) => d.n === 'back'); i++) {
      await b.request('publish', { event: 'news', data: { n: 'back' } });
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(
      here.client.dataOf('news').some((d) => d.n === 'back'),
      'b to a again',
    );
  });
});
