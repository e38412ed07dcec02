/**
 * The testing kit leaves nothing behind: a frame that is not JSON, data that
 * cannot be sent, a closed connection or a closed app end every wait at once,
 * with a clear error, without a timer left running and without an unhandled
 * rejection later (the strict runner fails the file on one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { On, type Context } from '../../src/index.js';
import { Frame } from '../../src/protocol/frame.js';
import { createTestApp } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';
import { unhandledDuring } from '../support/unhandled.js';

class Echo {
  @On('echo', { dto: false })
  echo(data: unknown): unknown {
    return data;
  }

  @On('hang-up', { dto: false })
  hangUp(_data: unknown, ctx: Context): void {
    ctx.connection.close(4001, 'bye');
  }
}

const make = testApps({ handlers: [Echo] });

/** Timers alive in this process now (the kit's waits are timers). */
function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('testing kit: a frame that is not JSON', () => {
  it('fails the waits at once with a clear error, and does not throw into the app', async () => {
    const t = await make();
    const c = await t.connect();
    const before = timers();
    const next = c.next('never');
    const assertion = c.assertPush('never');
    assert.equal(c.waiting, 2);
    assert.equal(timers(), before + 2);
    assert.doesNotThrow(() => c.socket.send(new Frame('not json')));
    await assert.rejects(next, /the server sent a frame that is not an envelope: not json/);
    await assert.rejects(assertion, /not an envelope: not json/);
    assert.equal(c.waiting, 0);
    assert.equal(timers(), before, 'no wait timer is left');
    assert.throws(() => c.received, /frame 0 from the server is not an envelope: not json/);
  });

  it('a wait nobody awaits any more ends with the app: no timer, no unhandled rejection', async () => {
    const seen = await unhandledDuring(async () => {
      const t = await createTestApp({ handlers: [Echo] });
      const c = await t.connect();
      const before = timers();
      void c.next('never'); // abandoned, as a test that failed first leaves it
      void c.assertPush('never');
      c.socket.send(new Frame('{"event":')); // not JSON either: the waits fail now
      void c.next('never again');
      await t.close();
      assert.equal(c.waiting, 0);
      assert.equal(timers(), before);
      await assert.rejects(c.next('after'), /the test app was closed|the connection closed/);
    });
    assert.deepEqual(seen, []);
  });
});

describe('testing kit: waits end with the connection or the app', () => {
  it('a request whose data cannot be encoded rejects, and leaves no wait', async () => {
    const t = await make();
    const c = await t.connect();
    const before = timers();
    await assert.rejects(c.request('echo', { n: 1n }), /BigInt/);
    assert.equal(c.waiting, 0);
    assert.equal(timers(), before);
  });

  it('a request on a closed connection rejects, and leaves no wait', async () => {
    const t = await make();
    const c = await t.connect();
    c.close();
    await assert.rejects(c.request('echo', {}), /closed/);
    assert.equal(c.waiting, 0);
  });

  it('the server closing the connection ends the waits at once, with its code and reason', async () => {
    const t = await make();
    const c = await t.connect();
    const next = c.next('never');
    const reply = await c.request('hang-up', {}).catch((err: unknown) => err);
    assert.match(String(reply), /the connection closed \(4001 bye\)/);
    await assert.rejects(next, /the connection closed \(4001 bye\)/);
    assert.equal(c.waiting, 0);
  });

  it('t.close() ends every client\u2019s waits; a request still answered before resolves', async () => {
    const t = await createTestApp({ handlers: [Echo] });
    const a = await t.connect();
    const b = await t.connect();
    const before = timers();
    const waits = [a.next('never'), b.assertBroadcast('never'), b.next()];
    assert.deepEqual((await a.request('echo', { x: 1 })).data, { x: 1 });
    await t.close();
    for (const w of waits) await assert.rejects(w);
    assert.equal(a.waiting + b.waiting, 0);
    assert.equal(timers(), before);
  });
});
