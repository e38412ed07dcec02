import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../src/testing/index.js';
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
