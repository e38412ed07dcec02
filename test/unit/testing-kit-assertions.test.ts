/**
 * The testing kit's assertions, as Phoenix's ChannelTest has them: the reply
 * to one request (`push` + `assertReply`), a push (`assertPush`), a broadcast
 * on a topic or a topic family (`assertBroadcast`), and nothing arrived
 * (`refute`, `refuteReply`) in a window the fake clock drives. An assertion
 * that fails is shown failing: its wait is ended by `t.close()`, never by
 * real time.
 */
import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { describe, it } from 'node:test';
import {
  Carom,
  Injectable,
  On,
  Sender,
  TimedSender,
  Topic,
  type Context,
} from '../../src/index.js';
import type { TestApp, TestClient } from '../../src/testing/index.js';
import { deferred } from '../support/deferred.js';
import { testApps } from '../support/test-apps.js';

/** Holds the `held` handler until the test releases it. */
const gate = { current: deferred() };

/** The app's event map, shared with the kit's clients. */
type Auction = {
  bid: { send: { lot: string; amount: number }; ack: { ok: boolean; high: number } };
  'auction.lamp': { receive: { high: number; by: string } };
  'auction.vase': { receive: { high: number; by: string } };
  held: { send: null; ack: string };
  tick: { receive: { n: number } };
  note: { receive: { text: string } };
};

@Injectable()
class Bids {
  constructor(readonly app: Carom) {}

  @On('bid', { dto: false })
  bid(data: { lot: string; amount: number }, ctx: Context): { ok: boolean; high: number } {
    if (data.amount <= 0) throw new Error('no');
    this.app.publish(`auction.${data.lot}`, { high: data.amount, by: ctx.connection.id });
    return { ok: true, high: data.amount };
  }

  @On('held', { dto: false })
  async held(): Promise<string> {
    await gate.current.promise;
    return 'released';
  }

  @On('direct', { dto: false })
  direct(data: { text: string }, ctx: Context): null {
    ctx.connection.send('note', { text: data.text });
    return null;
  }
}

@Topic('note')
class Notes extends Sender<{ text: string }> {}

@Topic('tick', { everyMs: 1000 })
class Ticks extends TimedSender<{ n: number }> {
  private n = 0;
  override createMessageData(): { n: number } {
    return { n: ++this.n };
  }
}

const make = testApps({ handlers: [Bids], senders: [Notes, Ticks], topics: ['auction.*'] });

async function setup(): Promise<{
  t: TestApp;
  alice: TestClient<Auction>;
  bob: TestClient<Auction>;
}> {
  const t = await make();
  const alice = await t.connect<Auction>();
  const bob = await t.connect<Auction>();
  return { t, alice, bob };
}

describe('testing kit: assertReply', () => {
  it('matches the ack of the pushed request, objects partially', async () => {
    const { alice } = await setup();
    const ref = alice.push('bid', { lot: 'lamp', amount: 5 });
    const reply = await alice.assertReply(ref, 'ack', { ok: true });
    assert.deepEqual(reply.data, { ok: true, high: 5 });
    const typed: number = reply.data.high;
    assert.equal(typed, 5);
  });

  it('an error reply: matches the error with its code', async () => {
    const { alice } = await setup();
    const ref = alice.push('bid', { lot: 'lamp', amount: 0 });
    const reply = await alice.assertReply(ref, 'error', { code: 'HANDLER_ERROR' });
    assert.equal(reply.id, ref.id);
  });

  it('fails on the wrong status or data, showing what came', async () => {
    const { alice } = await setup();
    const ok = alice.push('bid', { lot: 'lamp', amount: 5 });
    await assert.rejects(alice.assertReply(ok, 'error'), AssertionError);
    const again = alice.push('bid', { lot: 'lamp', amount: 6 });
    await assert.rejects(alice.assertReply(again, 'ack', { high: 7 }), (err: unknown) => {
      assert.ok(err instanceof AssertionError);
      assert.match(err.message, /is not the ack expected/);
      assert.deepEqual(err.actual, { event: 'ack', data: { ok: true, high: 6 } });
      return true;
    });
  });

  it('waits for a reply still to come; t.close() ends a wait for one that never comes', async () => {
    const { t, alice } = await setup();
    const never = alice.assertReply('no-such-id', 'ack');
    await t.close();
    await assert.rejects(never, /the test app was closed|the connection closed/);
  });
});

describe('testing kit: assertPush and assertBroadcast', () => {
  it('assertPush takes matching envelopes from the mailbox in order, one per call', async () => {
    const { t, bob } = await setup();
    await bob.subscribe('auction.*');
    t.app.publish('auction.lamp', { high: 1, by: 'x' });
    t.app.publish('auction.lamp', { high: 2, by: 'y' });
    assert.deepEqual((await bob.assertPush('auction.lamp')).data, { high: 1, by: 'x' });
    assert.deepEqual((await bob.assertPush('auction.lamp', { by: 'y' })).data.high, 2);
    const later = bob.assertPush('auction.lamp', { high: 3 }); // not here yet: waits
    t.app.publish('auction.lamp', { high: 3, by: 'z' });
    assert.equal((await later).data.by, 'z');
    const none = bob.assertPush('auction.lamp');
    await t.close();
    await assert.rejects(none, /closed/, 'all three were taken');
  });

  it('assertBroadcast takes a family pattern, and needs the envelope to come through a subscription', async () => {
    const { t, alice, bob } = await setup();
    await bob.subscribe('auction.*', 'note');
    await alice.request('bid', { lot: 'vase', amount: 9 });
    const seen = await bob.assertBroadcast('auction.*', { high: 9 });
    assert.equal(seen.event, 'auction.vase');
    assert.equal(seen.data.by, alice.connection!.id);

    // A direct send to alice, who subscribes to nothing: a push, not a broadcast.
    await alice.request('direct', { text: 'just you' });
    await alice.assertPush('note', { text: 'just you' });
    await alice.refute('note');
    const direct = await alice.request('direct', { text: 'again' });
    assert.equal(direct.event, 'ack');
    const notBroadcast = alice.assertBroadcast('note');
    await t.close();
    await assert.rejects(notBroadcast, /closed/);
  });

  it('a broadcast that arrived before the client unsubscribed still counts', async () => {
    const { t, bob } = await setup();
    await bob.subscribe('note');
    t.app.publish('note', { text: 'hi' });
    await bob.unsubscribe('note');
    assert.equal((await bob.assertBroadcast('note')).data.text, 'hi');
  });
});

describe('testing kit: refute and refuteReply', () => {
  it('refute passes when nothing arrived, and fails on what is in the mailbox', async () => {
    const { t, bob } = await setup();
    await bob.subscribe('auction.*');
    await bob.refute('auction.*');
    t.app.publish('auction.lamp', { high: 4, by: 'x' });
    await bob.refute('auction.vase');
    await bob.refute('auction.lamp', { high: 5 });
    await assert.rejects(bob.refute('auction.*'), (err: unknown) => {
      assert.ok(err instanceof AssertionError);
      assert.match(err.message, /expected no 'auction\.\*', received .*auction\.lamp/);
      return true;
    });
    await bob.assertPush('auction.lamp'); // taken from the mailbox...
    await bob.refute('auction.*'); // ...so nothing is left
  });

  it('the window is the fake clock: a timed sender due later is refuted, then asserted', async () => {
    const { t, bob } = await setup();
    await bob.subscribe('tick');
    await bob.refute('tick', undefined, { advanceMs: 999 });
    await assert.rejects(bob.refute('tick', undefined, { advanceMs: 1 }), AssertionError);
    await bob.assertBroadcast('tick', { n: 1 });
    assert.equal(t.clock.now() - Date.UTC(2026, 0, 1), 1000);
  });

  it('refute with no event refutes everything; clear() empties the mailbox', async () => {
    const { bob } = await setup();
    await bob.refute();
    await bob.subscribe('note');
    await assert.rejects(bob.refute(), /received .*"ack"/);
    bob.clear();
    await bob.refute();
  });

  it('refuteReply while the handler is held: no reply yet; once released, the reply', async () => {
    const { alice } = await setup();
    gate.current = deferred();
    const ref = alice.push('bid', { lot: 'lamp', amount: 1 });
    const held = alice.push('held', null);
    await alice.assertReply(ref, 'ack');
    await alice.refuteReply(held);
    gate.current.resolve();
    assert.equal((await alice.assertReply(held, 'ack')).data, 'released');
  });

  it('refuteReply: no reply to a push yet, then one', async () => {
    const { alice } = await setup();
    await alice.refuteReply('t99');
    const ref = alice.push('bid', { lot: 'lamp', amount: 1 });
    await assert.rejects(alice.refuteReply(ref), /expected no reply to id/);
    await alice.assertReply(ref, 'ack');
    await alice.refuteReply(ref);
  });
});
