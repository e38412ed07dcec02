/**
 * Publishes with a scope (to several topics at once, to all but one
 * connection) and family senders, on one node through the testing kit. The
 * same scopes across nodes are in the broker contract
 * (test/support/broker-contract.ts), run against the hub and Redis.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Carom,
  ConfigurationError,
  FamilySender,
  Handler,
  On,
  Sender,
  TimedSender,
  Topic,
  UsageError,
  type Context,
} from '../../src/index.js';
import { Subscriptions, type Subscriber } from '../../src/core/subscriptions.js';
import { testApps } from '../support/test-apps.js';

interface Lot {
  lot: string;
  price: number;
}

@Topic('auction.*')
class AuctionSender extends FamilySender<Lot, 'auction.*'> {}

@Topic('chat.lobby')
class LobbySender extends Sender<{ text: string }> {}

@Topic('chat.latest', { delivery: 'latest' })
class LatestLobby extends Sender<{ text: string }> {}

/** A chat handler that echoes to the room, leaving its author out (Socket.IO's socket.to(room)). */
@On('say', { dto: false })
class SayHandler extends Handler<{ text: string }, number> {
  constructor(private readonly lobby: LobbySender) {
    super();
  }

  handle(data: { text: string }, ctx: Context): Promise<number> {
    return this.lobby.send({ text: data.text }, { except: ctx.connection });
  }
}

const make = testApps({
  senders: [AuctionSender, LobbySender],
  handlers: [SayHandler],
  topics: ['news', 'room.*'],
});

describe('publish to several topics, and to all but one connection', () => {
  it('reaches each subscriber of any of the topics once', async () => {
    const t = await make();
    const both = await t.connect();
    await both.subscribe('room.a', 'room.b');
    const wild = await t.connect();
    await wild.subscribe('room.*', 'room.a');
    const onlyB = await t.connect();
    await onlyB.subscribe('room.b');
    const none = await t.connect();
    await none.subscribe('room.c', 'news');
    const sent = t.app.publish('news', { n: 1 }, { topics: ['room.a', 'room.b'] });
    assert.equal(sent, 3);
    for (const c of [both, wild, onlyB]) assert.deepEqual(c.dataOf('news'), [{ n: 1 }]);
    assert.deepEqual(none.dataOf('news'), [], 'a subscriber of news itself is not in the scope');
  });

  it('leaves out the excepted connection, given as a connection or by id', async () => {
    const t = await make();
    const author = await t.connect();
    const reader = await t.connect();
    for (const c of [author, reader]) await c.subscribe('chat.lobby');
    const reply = await author.request('say', { text: 'hi' });
    assert.equal(reply.data, 1, 'the handler counted one recipient');
    assert.deepEqual(reader.dataOf('chat.lobby'), [{ text: 'hi' }]);
    assert.deepEqual(author.dataOf('chat.lobby'), []);
    t.app.publish('chat.lobby', { text: 'by id' }, { except: reader.connection!.id });
    assert.deepEqual(author.dataOf('chat.lobby'), [{ text: 'by id' }]);
    assert.equal(reader.dataOf('chat.lobby').length, 1);
  });

  it('leaves the excepted connection out of an event with a delivery policy too', async () => {
    const t = await make({ senders: [AuctionSender, LobbySender, LatestLobby] });
    const author = await t.connect();
    const reader = await t.connect();
    for (const c of [author, reader]) await c.subscribe('chat.latest');
    assert.equal(
      await t.app.get(LatestLobby).send({ text: 'x' }, { except: author.connection! }),
      1,
    );
    assert.deepEqual(reader.dataOf('chat.latest'), [{ text: 'x' }]);
    assert.deepEqual(author.dataOf('chat.latest'), []);
  });

  it('refuses topics that are not exact, declared names', async () => {
    const t = await make();
    for (const topics of [[], ['room.*'], ['undeclared'], [7], 'room.a']) {
      assert.throws(
        () => t.app.publish('news', {}, { topics: topics as string[] }),
        (err: unknown) => err instanceof UsageError && err.code === 'CAROM_ERR_BAD_PUBLISH_TOPICS',
        JSON.stringify(topics),
      );
    }
  });

  it('leaves the recipient lists of plain publishes as they were (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'x.*', '*'), { maxLength: 4 }), {
          maxLength: 8,
        }),
        fc.array(fc.constantFrom('a', 'b', 'c', 'x.y'), { minLength: 1, maxLength: 4 }),
        fc.nat(8),
        (subs, events, exceptIndex) => {
          const index = new Subscriptions<Subscriber & { id: string }>();
          const all = subs.map((names, i) => {
            const s = { id: `c${i}`, mark: 0 };
            for (const n of names) index.add(s, n);
            return s;
          });
          const except = `c${exceptIndex}`;
          const got = index.union(events, except, (s) => s.id);
          const expected = all.filter(
            (s) => s.id !== except && events.some((e) => index.recipients(e).includes(s)),
          );
          assert.deepEqual(new Set(got), new Set(expected));
          assert.equal(got.length, new Set(got).size, 'each once');
        },
      ),
    );
  });
});

describe('family senders', () => {
  it('publishes to one member, typed, and declares the family', async () => {
    const t = await make();
    const lamp = await t.connect();
    await lamp.subscribe('auction.lamp');
    const all = await t.connect();
    await all.subscribe('auction.*');
    const auctions = t.app.get(AuctionSender);
    assert.equal(auctions.family, 'auction.*');
    const member = auctions.to('auction.lamp');
    assert.equal(member.event, 'auction.lamp');
    assert.equal(member.subscriberCount, 2);
    assert.equal(member.send({ lot: 'lamp', price: 40 }), 2);
    auctions.to('auction.vase').send({ lot: 'vase', price: 5 }, { except: all.connection! });
    assert.deepEqual(lamp.dataOf('auction.lamp'), [{ lot: 'lamp', price: 40 }]);
    assert.deepEqual(all.received.filter((e) => e.event.startsWith('auction.')).length, 1);
    assert.equal(member.sendTo(lamp.connection!, { lot: 'lamp', price: 41 }), true);
    assert.equal(lamp.dataOf('auction.lamp').length, 2);
    const other = await t.connect();
    assert.equal((await other.subscribe('auction.rug')).event, 'ack', 'the family is declared');
  });

  it('refuses a name outside the family', async () => {
    const t = await make();
    const auctions = t.app.get(AuctionSender);
    for (const name of ['auction.', 'room.lamp', 'auction.*', 'auction', 7]) {
      assert.throws(
        () => auctions.to(name as 'auction.x'),
        (err: unknown) => err instanceof UsageError && err.code === 'CAROM_ERR_NOT_A_MEMBER',
        String(name),
      );
    }
  });

  it('is a configuration error on the wrong class, with a period, or unregistered', () => {
    @Topic('bids.*')
    class PlainFamily extends Sender {}
    @Topic('bids')
    class ExactFamily extends FamilySender {}
    @Topic('bids.*', { everyMs: 10 })
    class TimedFamily extends FamilySender {}
    const cases: Array<[new () => unknown, string]> = [
      [PlainFamily, 'CAROM_ERR_FAMILY_WITHOUT_SENDER'],
      [ExactFamily, 'CAROM_ERR_NOT_A_FAMILY'],
      [TimedFamily, 'CAROM_ERR_PERIOD_WITHOUT_TIMED_SENDER'],
    ];
    for (const [cls, code] of cases) {
      assert.throws(
        () => new Carom({ senders: [cls as never], logLevel: 'silent' }),
        (err: unknown) => err instanceof ConfigurationError && err.code === code,
        cls.name,
      );
    }
    assert.throws(() => {
      @Topic('bids.*x')
      class Bad extends TimedSender {
        createMessageData(): null {
          return null;
        }
      }
      return Bad;
    }, ConfigurationError);
    @Topic('loose.*')
    class Loose extends FamilySender {}
    assert.throws(() => new Loose().to('loose.a'), UsageError);
  });
});
