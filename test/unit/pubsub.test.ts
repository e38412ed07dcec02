import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHANNEL_CREATED,
  CHANNEL_DELETED,
  ConfigurationError,
  UsageError,
  On,
  Sender,
  Topic,
  type Context,
} from '../../src/index.js';
import { type ReceivedEnvelope, type TestClient } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';
import { localIsoformat } from '../support/timestamps.js';

@Topic('ping')
class PingSender extends Sender<{ n: number }> {
  calls = 0;
  override createMessageData(): { n: number } {
    this.calls++;
    return { n: this.calls };
  }
}

@Topic('pong')
class PongSender extends Sender<{ later: number }> {
  calls = 0;
  override async createMessageData(): Promise<{ later: number }> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.calls++;
    return { later: this.calls };
  }
}

@Topic('news.sports')
class SportsSender extends Sender<unknown> {}

@Topic('news.weather')
class WeatherSender extends Sender<unknown> {}

/** Server-side rooms: handlers subscribe their own connection. */
class RoomController {
  @On('join')
  join(data: { room: string }, ctx: Context): string[] {
    ctx.connection.subscribe(`room.${data.room}`);
    return ctx.connection.subscriptions;
  }

  @On('leave')
  leave(data: { room: string }, ctx: Context): string[] {
    ctx.connection.unsubscribe(`room.${data.room}`);
    return ctx.connection.subscriptions;
  }

  @On('whisper')
  whisper(data: { text: string }, ctx: Context): boolean {
    return ctx.connection.send('whispered', { text: data.text });
  }
}

const SENDERS = [PingSender, PongSender, SportsSender, WeatherSender];

const make = testApps({ senders: SENDERS });

function sorted(list: readonly string[]): string[] {
  return [...list].sort();
}

function eventsOf(ack: ReceivedEnvelope): string[] {
  assert.equal(ack.event, 'ack', `expected an ack, got ${JSON.stringify(ack)}`);
  return sorted(ack.data.events as string[]);
}

function excludedOf(ack: ReceivedEnvelope): string[] {
  assert.equal(ack.event, 'ack', `expected an ack, got ${JSON.stringify(ack)}`);
  return sorted((ack.data.excluded as string[] | undefined) ?? []);
}

function names(client: TestClient): string[] {
  return client.received.map((e) => e.event);
}

describe('subscribe and unsubscribe over the protocol', () => {
  it('an exact name delivers that event only, to subscribers only', async () => {
    const t = await make();
    const a = await t.connect();
    const b = await t.connect();
    const ack = await a.subscribe('ping');
    assert.deepEqual(ack.data, { events: ['ping'] });
    assert.equal(t.app.publish('ping', { n: 1 }), 1);
    assert.equal(t.app.publish('pong', { later: 1 }), 0);
    assert.deepEqual(a.dataOf('ping'), [{ n: 1 }]);
    assert.deepEqual(a.dataOf('pong'), []);
    assert.deepEqual(b.received, []);
  });

  it('the ack after each change lists the subscriptions after it', async () => {
    const t = await make();
    const a = await t.connect();
    assert.deepEqual(eventsOf(await a.subscribe('ping')), ['ping']);
    assert.deepEqual(eventsOf(await a.subscribe('pong')), ['ping', 'pong']);
    assert.deepEqual(eventsOf(await a.subscribe('news.*')), ['news.*', 'ping', 'pong']);
    assert.deepEqual(eventsOf(await a.unsubscribe('ping')), ['news.*', 'pong']);
    const last = await a.unsubscribe('pong', 'news.*');
    assert.deepEqual(eventsOf(last), []);
    assert.deepEqual(excludedOf(last), []);
    assert.equal(t.app.publish('pong', {}), 0);
    assert.equal(t.app.publish('news.sports', {}), 0);
  });

  it('subscribing twice to the same name keeps one subscription', async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('ping');
    assert.deepEqual(eventsOf(await a.subscribe('ping', 'ping')), ['ping']);
    assert.equal(t.app.stats().subscriptions.exact, 1);
    assert.equal(t.app.publish('ping', {}), 1);
    assert.equal(a.dataOf('ping').length, 1);
    // One unsubscribe removes it.
    assert.deepEqual(eventsOf(await a.unsubscribe('ping')), []);
    assert.equal(t.app.publish('ping', {}), 0);
  });

  it("'*' receives every declared event", async () => {
    const t = await make();
    const a = await t.connect();
    assert.deepEqual(eventsOf(await a.subscribe('*')), ['*']);
    t.app.publish('ping', { n: 1 });
    t.app.publish('pong', { later: 2 });
    t.app.publish('news.sports', { score: 3 });
    assert.deepEqual(names(a), ['ack', 'ping', 'pong', 'news.sports']);
  });

  it("'*' covers a channel declared after the subscription", async () => {
    const t = await make();
    const a = await t.connect();
    const b = await t.connect();
    await a.subscribe('*');
    await b.subscribe('ping');
    t.app.channels.create('late');
    assert.equal(t.app.publish('late', { hello: 1 }), 1);
    assert.deepEqual(a.dataOf('late'), [{ hello: 1 }]);
    assert.deepEqual(b.dataOf('late'), []);
    assert.deepEqual(t.app.subscribers('late'), [a.connection]);
  });

  it("'prefix.*' matches every event under the prefix, not others", async () => {
    const t = await make();
    const a = await t.connect();
    assert.deepEqual(eventsOf(await a.subscribe('news.*')), ['news.*']);
    assert.equal(t.app.publish('news.sports', { s: 1 }), 1);
    assert.equal(t.app.publish('news.weather', { w: 1 }), 1);
    assert.equal(t.app.publish('ping', { n: 1 }), 0);
    assert.deepEqual(names(a).slice(1), ['news.sports', 'news.weather']);
  });

  it("'prefix.*' is accepted while nothing matches it, and matches what is declared later", async () => {
    const t = await make();
    const a = await t.connect();
    const ack = await a.subscribe('later.*');
    assert.equal(ack.event, 'ack');
    assert.deepEqual(ack.data, { events: ['later.*'] });
    assert.deepEqual(a.errors, []);
    t.app.channels.create('later.one');
    t.app.channels.create('laterish');
    assert.equal(t.app.publish('later.one', { x: 1 }), 1);
    assert.equal(t.app.publish('laterish', { x: 2 }), 0);
    assert.deepEqual(a.dataOf('later.one'), [{ x: 1 }]);
    assert.deepEqual(a.dataOf('laterish'), []);
  });

  it('an undeclared exact name is UNKNOWN_EVENT listing it; the other names still take effect', async () => {
    const t = await make();
    const a = await t.connect();
    const reply = await a.subscribe('ping', 'nope', 'news.*', 'nada');
    assert.equal(reply.event, 'error');
    assert.equal(reply.data.code, 'UNKNOWN_EVENT');
    assert.equal(reply.data.event, 'subscribe');
    assert.match(reply.data.message, /nope/);
    assert.match(reply.data.message, /nada/);
    assert.deepEqual(sorted(a.connection!.subscriptions), ['news.*', 'ping']);
    assert.deepEqual(sorted(reply.data.details.events as string[]), ['news.*', 'ping']);
    assert.equal(t.app.publish('ping', {}), 1);
    assert.equal(t.app.publish('news.weather', {}), 1);
  });

  it("'*' then unsubscribe 'ping' receives everything but ping", async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('*');
    const ack = await a.unsubscribe('ping');
    assert.deepEqual(eventsOf(ack), ['*']);
    assert.deepEqual(excludedOf(ack), ['ping']);
    assert.equal(t.app.publish('ping', { n: 1 }), 0);
    assert.equal(t.app.publish('pong', { later: 1 }), 1);
    assert.equal(t.app.publish('news.sports', {}), 1);
    assert.deepEqual(names(a).slice(2), ['pong', 'news.sports']);
    assert.deepEqual(t.app.subscribers('ping'), []);
    assert.deepEqual(a.connection!.excluded, ['ping']);
    assert.equal(t.app.stats().subscriptions.exclusions, 1);
  });

  it('subscribing to an excluded name again lifts the exclusion', async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('*');
    await a.unsubscribe('ping');
    const ack = await a.subscribe('ping');
    assert.ok(eventsOf(ack).includes('*'));
    assert.deepEqual(excludedOf(ack), []);
    assert.equal(t.app.stats().subscriptions.exclusions, 0);
    assert.equal(t.app.publish('ping', { n: 7 }), 1);
    assert.deepEqual(a.dataOf('ping'), [{ n: 7 }]);
    // And unsubscribing it once more excludes it once more.
    const again = await a.unsubscribe('ping');
    assert.deepEqual(eventsOf(again), ['*']);
    assert.deepEqual(excludedOf(again), ['ping']);
    assert.equal(t.app.publish('ping', { n: 8 }), 0);
    assert.equal(t.app.publish('pong', {}), 1);
  });

  it("an exclusion under 'prefix.*' leaves the prefix's other names, and goes with the prefix", async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('news.*');
    const ack = await a.unsubscribe('news.sports');
    assert.deepEqual(eventsOf(ack), ['news.*']);
    assert.deepEqual(excludedOf(ack), ['news.sports']);
    assert.equal(t.app.publish('news.sports', {}), 0);
    assert.equal(t.app.publish('news.weather', {}), 1);
    const gone = await a.unsubscribe('news.*');
    assert.deepEqual(eventsOf(gone), []);
    assert.deepEqual(excludedOf(gone), []);
    assert.equal(t.app.stats().subscriptions.exclusions, 0);
  });

  it('unsubscribing an exact name that no pattern covers excludes nothing', async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('ping', 'news.*');
    const ack = await a.unsubscribe('ping', 'pong');
    assert.deepEqual(eventsOf(ack), ['news.*']);
    assert.deepEqual(excludedOf(ack), []);
    assert.equal(t.app.stats().subscriptions.exclusions, 0);
  });

  it("unsubscribe '*' removes every subscription and exclusion", async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('ping', 'pong', 'news.*', '*');
    await a.unsubscribe('news.weather');
    const ack = await a.unsubscribe('*');
    assert.deepEqual(eventsOf(ack), []);
    assert.deepEqual(excludedOf(ack), []);
    assert.deepEqual(a.connection!.subscriptions, []);
    a.clear();
    for (const event of ['ping', 'pong', 'news.sports', 'news.weather']) {
      assert.equal(t.app.publish(event, {}), 0, event);
    }
    assert.deepEqual(a.received, []);
    const s = t.app.stats().subscriptions;
    assert.deepEqual({ ...s }, { exact: 0, patterns: 0, exclusions: 0 });
  });

  it('delivers once per connection when several subscriptions match', async () => {
    const t = await make({ topics: ['room.*', 'a.*'] });
    const a = await t.connect();
    const b = await t.connect();
    await a.subscribe('room.lobby', 'room.*', '*');
    await b.subscribe('room.*', 'room.lobby');
    assert.equal(t.app.publish('room.lobby', { hi: 1 }), 2);
    assert.deepEqual(a.dataOf('room.lobby'), [{ hi: 1 }]);
    assert.deepEqual(b.dataOf('room.lobby'), [{ hi: 1 }]);
    assert.equal(t.app.subscribers('room.lobby').length, 2);
    // Nested prefixes.
    await a.subscribe('a.*', 'a.b.*', 'a.b.c');
    assert.equal(t.app.publish('a.b.c', {}), 1);
    assert.equal(a.dataOf('a.b.c').length, 1);
    // A sender's publish too.
    await a.subscribe('ping');
    assert.equal(await t.app.get(PingSender).send({ n: 3 }), 1);
    assert.deepEqual(a.dataOf('ping'), [{ n: 3 }]);
  });

  it('data.events must be a non-empty array of valid names (BAD_ENVELOPE)', async () => {
    const t = await make();
    const a = await t.connect();
    for (const data of [
      {},
      { events: [] },
      { events: 'ping' },
      { events: [1] },
      { events: ['a*'] },
    ]) {
      const reply = await a.request('subscribe', data);
      assert.equal(reply.event, 'error', JSON.stringify(data));
      assert.equal(reply.data.code, 'BAD_ENVELOPE', JSON.stringify(data));
    }
    assert.deepEqual(a.connection!.subscriptions, []);
  });
});

describe('publishing', () => {
  it('publish without subscribers returns 0 and sends nothing', async () => {
    const t = await make();
    const a = await t.connect();
    assert.equal(t.app.publish('ping', { n: 1 }), 0);
    assert.equal(await t.app.get(PingSender).send({ n: 1 }), 0);
    assert.deepEqual(a.received, []);
  });

  it('Sender.send() without data publishes what createMessageData returns', async () => {
    const t = await make();
    const a = await t.connect();
    const b = await t.connect();
    await a.subscribe('ping');
    await b.subscribe('ping');
    const sender = t.app.get(PingSender);
    assert.equal(await sender.send(), 2);
    assert.equal(await sender.send(), 2);
    assert.equal(sender.calls, 2);
    assert.deepEqual(a.dataOf('ping'), [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(b.dataOf('ping'), [{ n: 1 }, { n: 2 }]);
    // With data, createMessageData is not called.
    assert.equal(await sender.send({ n: 99 }), 2);
    assert.equal(sender.calls, 2);
    assert.deepEqual(a.dataOf('ping').at(-1), { n: 99 });
    assert.equal(sender.event, 'ping');
    assert.equal(sender.subscriberCount, 2);
  });

  it('Sender.send() awaits an async createMessageData', async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('pong');
    const sender = t.app.get(PongSender);
    assert.equal(await sender.send(), 1);
    assert.equal(sender.calls, 1);
    assert.deepEqual(a.dataOf('pong'), [{ later: 1 }]);
  });

  it('Sender.sendTo reaches one connection, subscribed or not', async () => {
    const t = await make();
    const a = await t.connect();
    const b = await t.connect();
    await b.subscribe('ping');
    const sender = t.app.get(PingSender);
    assert.equal(sender.sendTo(a.connection!, { n: 5 }), true);
    assert.deepEqual(a.dataOf('ping'), [{ n: 5 }]);
    assert.deepEqual(b.dataOf('ping'), []);
    const env = a.received.find((e) => e.event === 'ping')!;
    assert.deepEqual(sorted(Object.keys(env)), ['data', 'event', 'timestamp']);
    a.close();
    assert.equal(sender.sendTo(a.connection!, { n: 6 }), false);
    assert.deepEqual(a.dataOf('ping'), [{ n: 5 }]);
  });

  it('Sender.sendTo refuses a connection of another app', async () => {
    const t = await make();
    const other = await make();
    const stranger = await other.connect();
    assert.throws(() => t.app.get(PingSender).sendTo(stranger.connection!, { n: 1 }), {
      code: 'CAROM_ERR_FOREIGN_CONNECTION',
    });
    assert.deepEqual(stranger.received, []);
  });

  it('app.publish sends declared events and throws for undeclared ones', async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('*');
    assert.equal(t.app.publish('news.weather', { rain: true }), 1);
    assert.deepEqual(a.dataOf('news.weather'), [{ rain: true }]);
    assert.throws(() => t.app.publish('nope', {}), {
      name: 'UsageError',
      code: 'CAROM_ERR_UNDECLARED_EVENT',
    });
    assert.throws(() => t.app.publish('news.other', {}), UsageError);
    assert.deepEqual(a.dataOf('nope'), []);
  });

  it("the topics option declares exact names and families such as 'room.*'", async () => {
    const t = await make({ topics: ['room.*', 'lobby'] });
    const a = await t.connect();
    assert.deepEqual(eventsOf(await a.subscribe('room.lobby', 'room.kitchen.sink', 'lobby')), [
      'lobby',
      'room.kitchen.sink',
      'room.lobby',
    ]);
    assert.equal(t.app.publish('room.lobby', { m: 1 }), 1);
    assert.equal(t.app.publish('room.kitchen.sink', { m: 2 }), 1);
    assert.equal(t.app.publish('room.elsewhere', { m: 3 }), 0);
    assert.equal(t.app.publish('lobby', { m: 4 }), 1);
    assert.deepEqual(a.dataOf('room.lobby'), [{ m: 1 }]);
    const refused = await a.subscribe('rooms', 'room');
    assert.equal(refused.event, 'error');
    assert.equal(refused.data.code, 'UNKNOWN_EVENT');
    assert.throws(() => t.app.publish('room', {}), UsageError);
  });

  it('server-side rooms: a handler subscribes its connection; app.subscribers lists it', async () => {
    const t = await make({ topics: ['room.*'], handlers: [RoomController] });
    const a = await t.connect();
    const b = await t.connect();
    const reply = await a.request('join', { room: 'lobby' });
    assert.equal(reply.event, 'ack');
    assert.deepEqual(reply.data, ['room.lobby']);
    assert.deepEqual(t.app.subscribers('room.lobby'), [a.connection]);
    await b.request('join', { room: 'lobby' });
    await b.request('join', { room: 'attic' });
    assert.deepEqual(
      new Set(t.app.subscribers('room.lobby')),
      new Set([a.connection, b.connection]),
    );
    assert.deepEqual(t.app.subscribers('room.attic'), [b.connection]);
    assert.equal(t.app.publish('room.lobby', { text: 'hi' }), 2);
    assert.deepEqual(a.dataOf('room.lobby'), [{ text: 'hi' }]);
    assert.deepEqual(b.dataOf('room.lobby'), [{ text: 'hi' }]);
    const left = await a.request('leave', { room: 'lobby' });
    assert.deepEqual(left.data, []);
    assert.deepEqual(t.app.subscribers('room.lobby'), [b.connection]);
    assert.equal(t.app.publish('room.lobby', { text: 'bye' }), 1);
    assert.deepEqual(a.dataOf('room.lobby'), [{ text: 'hi' }]);
  });

  it('connection.subscribe from server code refuses undeclared and malformed names', async () => {
    const t = await make({ topics: ['room.*'] });
    const a = await t.connect();
    assert.throws(() => a.connection!.subscribe('nowhere'), {
      name: 'UsageError',
      code: 'CAROM_ERR_UNDECLARED_EVENT',
    });
    assert.throws(() => a.connection!.subscribe('bad*name'), {
      name: 'UsageError',
      code: 'CAROM_ERR_BAD_SUBSCRIPTION',
    });
    assert.deepEqual(a.connection!.subscriptions, []);
    a.connection!.subscribe('room.x', '*');
    assert.deepEqual(sorted(a.connection!.subscriptions), ['*', 'room.x']);
  });

  it('connection.send(event, data) reaches that connection alone', async () => {
    const t = await make({ handlers: [RoomController] });
    const a = await t.connect();
    const b = await t.connect();
    await b.subscribe('*');
    const reply = await a.request('whisper', { text: 'psst' });
    assert.equal(reply.data, true);
    assert.deepEqual(a.dataOf('whispered'), [{ text: 'psst' }]);
    assert.deepEqual(b.dataOf('whispered'), []);
    assert.equal(a.connection!.send('direct', { n: 1 }), true);
    assert.deepEqual(a.dataOf('direct'), [{ n: 1 }]);
    a.close();
    assert.equal(a.connection!.send('direct', { n: 2 }), false);
    assert.deepEqual(a.dataOf('direct'), [{ n: 1 }]);
  });

  it('allowUndeclared lets clients subscribe to, and the server publish, any name', async () => {
    const t = await make({ allowUndeclared: true });
    const a = await t.connect();
    assert.deepEqual(eventsOf(await a.subscribe('anything', 'made.up')), ['anything', 'made.up']);
    assert.equal(t.app.publish('anything', { ok: 1 }), 1);
    assert.equal(t.app.publish('nobody.listens', {}), 0);
    assert.deepEqual(a.dataOf('anything'), [{ ok: 1 }]);
    a.connection!.subscribe('server.side');
    assert.equal(t.app.publish('server.side', { ok: 2 }), 1);
    assert.deepEqual(a.dataOf('server.side'), [{ ok: 2 }]);
  });
});

describe('channels', () => {
  it('create announces carom.channel.created to every connection, subscribed or not', async () => {
    const t = await make();
    const a = await t.connect();
    const b = await t.connect();
    const c = await t.connect();
    await b.subscribe('ping');
    await c.subscribe('*');
    a.clear();
    b.clear();
    c.clear();
    t.app.channels.create('news');
    for (const client of [a, b, c]) {
      assert.deepEqual(client.received.length, 1);
      assert.equal(client.received[0]!.event, CHANNEL_CREATED);
      assert.deepEqual(client.received[0]!.data, { name: 'news' });
    }
    assert.equal(CHANNEL_CREATED, 'carom.channel.created');
  });

  it('clients subscribe to a channel and receive what is published on it', async () => {
    const t = await make();
    const a = await t.connect();
    const b = await t.connect();
    t.app.channels.create('news');
    assert.deepEqual(eventsOf(await a.subscribe('news')), ['news']);
    assert.equal(t.app.publish('news', { headline: 'x' }), 1);
    assert.deepEqual(a.dataOf('news'), [{ headline: 'x' }]);
    assert.deepEqual(b.dataOf('news'), []);
  });

  it('delete announces carom.channel.deleted and drops exact subscribers, not wildcard ones', async () => {
    const t = await make();
    t.app.channels.create('news');
    const exact = await t.connect();
    const star = await t.connect();
    const idle = await t.connect();
    await exact.subscribe('news', 'ping');
    await star.subscribe('*');
    exact.clear();
    star.clear();
    idle.clear();
    assert.equal(t.app.channels.delete('news'), true);
    for (const client of [exact, star, idle]) {
      assert.deepEqual(
        client.received.map((e) => [e.event, e.data]),
        [[CHANNEL_DELETED, { name: 'news' }]],
      );
    }
    assert.equal(CHANNEL_DELETED, 'carom.channel.deleted');
    assert.deepEqual(exact.connection!.subscriptions, ['ping']);
    assert.deepEqual(star.connection!.subscriptions, ['*']);
    assert.deepEqual(t.app.subscribers('news'), [star.connection]);
    assert.equal(t.app.stats().subscriptions.exact, 1);
    assert.throws(() => t.app.publish('news', {}), UsageError);
    // Once the name is a channel again, the wildcard subscriber receives it and the
    // former exact subscriber does not.
    t.app.channels.create('news');
    assert.equal(t.app.publish('news', { again: true }), 1);
    assert.deepEqual(star.dataOf('news'), [{ again: true }]);
    assert.deepEqual(exact.dataOf('news'), []);
    // The exact subscriber's other subscriptions are intact.
    assert.equal(t.app.publish('ping', {}), 2);
  });

  it('a deleted channel cannot be subscribed to', async () => {
    const t = await make();
    const a = await t.connect();
    t.app.channels.create('news');
    t.app.channels.delete('news');
    const reply = await a.subscribe('news');
    assert.equal(reply.event, 'error');
    assert.equal(reply.data.code, 'UNKNOWN_EVENT');
    assert.deepEqual(a.connection!.subscriptions, []);
  });

  it('list() and has() report channels only', async () => {
    const t = await make({ topics: ['lobby', 'room.*'] });
    assert.deepEqual(t.app.channels.list(), []);
    t.app.channels.create('news');
    t.app.channels.create('alerts');
    assert.deepEqual(sorted(t.app.channels.list()), ['alerts', 'news']);
    assert.equal(t.app.channels.has('news'), true);
    assert.equal(t.app.channels.has('ping'), false);
    assert.equal(t.app.channels.has('lobby'), false);
    assert.equal(t.app.channels.has('room.x'), false);
    assert.equal(t.app.channels.has('nothing'), false);
    t.app.channels.delete('news');
    assert.deepEqual(t.app.channels.list(), ['alerts']);
    assert.equal(t.app.channels.has('news'), false);
  });

  it('creating a duplicate, a sender topic, a reserved name or a pattern throws', async () => {
    const t = await make({ topics: ['lobby'] });
    const a = await t.connect();
    t.app.channels.create('news');
    a.clear();
    for (const name of [
      'news',
      'ping',
      'lobby',
      'subscribe',
      'ack',
      'error',
      'carom.x',
      '*',
      'x.*',
    ]) {
      assert.throws(() => t.app.channels.create(name), ConfigurationError, name);
    }
    assert.deepEqual(a.received, [], 'a refused create announces nothing');
    assert.deepEqual(t.app.channels.list(), ['news']);
  });

  it("deleting a sender's or the topics option's name throws; deleting an unknown name returns false", async () => {
    const t = await make({ topics: ['lobby'] });
    const a = await t.connect();
    await a.subscribe('ping');
    a.clear();
    assert.throws(() => t.app.channels.delete('ping'), { code: 'CAROM_ERR_NOT_A_CHANNEL' });
    assert.throws(() => t.app.channels.delete('lobby'), UsageError);
    assert.equal(t.app.channels.delete('unknown'), false);
    assert.deepEqual(a.received, []);
    assert.equal(t.app.publish('ping', {}), 1);
  });
});

describe('published envelopes', () => {
  it('carry event, data and an ISO timestamp in UTC with Z by default', async () => {
    const t = await make({ startTime: Date.UTC(2026, 5, 15, 12, 34, 56, 789) });
    const a = await t.connect();
    await a.subscribe('ping');
    t.app.publish('ping', { n: 1 });
    const env = a.received.at(-1)!;
    assert.deepEqual(sorted(Object.keys(env)), ['data', 'event', 'timestamp']);
    assert.equal(env.event, 'ping');
    assert.deepEqual(env.data, { n: 1 });
    assert.equal(env.timestamp, '2026-06-15T12:34:56.789Z');
    await t.clock.advance(1500);
    t.app.publish('ping', { n: 2 });
    assert.equal(a.received.at(-1)!.timestamp, '2026-06-15T12:34:58.289Z');
  });

  it("timestampFormat 'local' writes local time without an offset and with 6 fractional digits", async () => {
    const saved = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      const start = Date.UTC(2026, 5, 15, 12, 34, 56, 789);
      assert.equal(new Date(start).getTimezoneOffset(), -330, 'time zone switch');
      const t = await make({ startTime: start, timestampFormat: 'local' });
      const a = await t.connect();
      await a.subscribe('ping');
      t.app.publish('ping', { n: 1 });
      const env = a.received.at(-1)!;
      assert.deepEqual(sorted(Object.keys(env)), ['data', 'event', 'timestamp']);
      assert.match(env.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
      assert.equal(env.timestamp, '2026-06-15T18:04:56.789000');
      assert.equal(env.timestamp, localIsoformat(start));
      // The ack is stamped the same way.
      const ack = a.received.find((e) => e.event === 'ack')!;
      assert.equal(ack.timestamp, '2026-06-15T18:04:56.789000');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
