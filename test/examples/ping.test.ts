import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BrokerHub, createTestApp, type TestApp } from '../../src/testing/index.js';
import { PingHandler, PingSender, TimedPingSender } from '../../examples/ping/app.js';

describe('ping example through the testing kit', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ handlers: [PingHandler], senders: [PingSender, TimedPingSender] });
  });
  afterEach(() => t.close());

  it('publishes ping to subscribers when a client sends ping', async () => {
    const alice = await t.connect();
    const bob = await t.connect();
    const ack = await alice.subscribe('ping');
    assert.deepEqual(ack.data, { events: ['ping'] });
    const reply = await bob.request('ping', {});
    assert.equal(reply.event, 'ack');
    assert.equal(reply.data, null);
    assert.deepEqual(alice.dataOf('ping'), [{ ping: 'ping' }]);
    assert.deepEqual(bob.dataOf('ping'), []);
  });

  it('publishes ping_timed every second to subscribers only', async () => {
    const alice = await t.connect();
    await alice.subscribe('ping_timed');
    await t.clock.advance(3000);
    assert.equal(alice.dataOf('ping_timed').length, 3);
  });
});

describe('ping example on two nodes', () => {
  let hub: BrokerHub;
  let a: TestApp;
  let b: TestApp;
  const options = { handlers: [PingHandler], senders: [PingSender, TimedPingSender] };
  beforeEach(async () => {
    hub = new BrokerHub();
    a = await createTestApp({ ...options, broker: hub.broker('a') });
    b = await createTestApp({ ...options, broker: hub.broker('b') });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('shares subscribers: a ping sent on one node reaches the subscribers of both', async () => {
    const here = await a.connect();
    const there = await b.connect();
    await here.subscribe('ping');
    await there.subscribe('ping');
    const sender = await a.connect();
    await sender.request('ping', {});
    await hub.settled();
    assert.deepEqual(here.dataOf('ping'), [{ ping: 'ping' }]);
    assert.deepEqual(there.dataOf('ping'), [{ ping: 'ping' }]);
  });

  it('ticks ping_timed on each node for its own subscribers, once a second each', async () => {
    const here = await a.connect();
    const there = await b.connect();
    await here.subscribe('ping_timed');
    await there.subscribe('ping_timed');
    await a.clock.advance(2000);
    await b.clock.advance(3000);
    await hub.settled();
    assert.equal(here.dataOf('ping_timed').length, 2);
    assert.equal(there.dataOf('ping_timed').length, 3);
  });
});
