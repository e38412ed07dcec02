/**
 * History and resume over the testing kit's fake sockets: declarations in
 * every place and every way of getting one wrong; positions to carom clients
 * only; `resume` and `recent` replayed with live messages held at the seam;
 * each reason a resume is not recovered (GAP, EPOCH, NO_HISTORY,
 * NOT_SUBSCRIBED, UNAVAILABLE); backpressure; a close mid-replay; the
 * envelopes behind a replaying subscribe.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FamilySender,
  LocalBroker,
  MemoryHistory,
  Sender,
  TimedSender,
  Topic,
  type Broker,
  type CaromOptions,
  type HistoryRead,
  type Position,
  type WireRecovery,
} from '../../src/index.js';
import { BrokerHub, settle, type TestClient } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';

@Topic('chat', { history: { size: 100 } })
class ChatSender extends Sender<{ n: number }> {}

@Topic('room.*', { history: { size: 5, ttlMs: 60_000 } })
class RoomSender extends FamilySender<{ n: number }, 'room.*'> {}

@Topic('plain')
class PlainSender extends Sender<{ n: number }> {}

const base: CaromOptions = { logLevel: 'fatal', senders: [ChatSender, RoomSender, PlainSender] };
const make = testApps(base);

interface Seen {
  readonly n: number;
  readonly position: Position | undefined;
}

/** What `c` received of `event`: each message's number and position. */
function seen(c: TestClient, event: string): Seen[] {
  return c.received
    .filter((e) => e.event === event)
    .map((e) => ({ n: (e.data as { n: number }).n, position: e.position }));
}

const numbers = (c: TestClient, event: string): number[] => seen(c, event).map((s) => s.n);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The ack's recovery report of `event`. */
function recoveryOf(ack: { event: string; data: unknown }, event: string): WireRecovery {
  assert.equal(ack.event, 'ack', JSON.stringify(ack));
  const report = (ack.data as { recovery?: Record<string, WireRecovery> }).recovery;
  assert.ok(report?.[event], JSON.stringify(ack.data));
  return report[event];
}

describe('history: declaring it', () => {
  it('is read from @Topic, the topics option (families too) and channels.create', async () => {
    const t = await make({
      topics: [
        { name: 'news', history: { size: 3 } },
        { name: 'feed.*', history: { size: 2 } },
      ],
    });
    t.app.channels.create('lobby', { history: { size: 4 } });
    const c = await t.connect({ protocol: 'carom' });
    await c.subscribe('chat', 'news', 'feed.a', 'lobby', 'room.x', 'plain');
    for (const event of ['chat', 'news', 'feed.a', 'lobby', 'room.x', 'plain']) {
      t.app.publish(event, { n: 1 });
    }
    await t.idle();
    for (const event of ['chat', 'news', 'feed.a', 'lobby', 'room.x']) {
      const [one] = seen(c, event);
      assert.equal(one?.position?.offset, 1, event);
      assert.ok(one.position.epoch.length > 0 && one.position.epoch.length <= 64);
    }
    assert.equal(seen(c, 'plain')[0]?.position, undefined);
  });

  it('refuses a bad size or ttl with CAROM_ERR_BAD_HISTORY, naming the declaration', async () => {
    for (const history of [
      { size: 0 },
      { size: 100_001 },
      { size: 1.5 },
      { size: '10' },
      { size: 10, ttlMs: 999 },
      { size: 10, ttlMs: 2 ** 31 },
      null,
      [],
    ]) {
      await assert.rejects(
        make({ topics: [{ name: 'x', history } as never] }),
        (err: Error & { code?: string }) =>
          err.code === 'CAROM_ERR_BAD_HISTORY' && err.message.includes("the topics option's 'x'"),
        JSON.stringify(history),
      );
    }
    @Topic('bad', { history: { size: -1 } })
    class BadSender extends Sender<unknown> {}
    await assert.rejects(make({ senders: [BadSender] }), {
      code: 'CAROM_ERR_BAD_HISTORY',
      message: /@Topic\('bad'\) on BadSender/,
    });
    const t = await make();
    assert.throws(() => t.app.channels.create('c', { history: { size: 0 } }), {
      code: 'CAROM_ERR_BAD_HISTORY',
    });
    assert.equal(t.app.channels.has('c'), false);
  });

  it('refuses to start on a broker that keeps no history', async () => {
    const local = new LocalBroker();
    const bare = (): Broker => ({
      nodeId: '',
      start: () => Promise.resolve(),
      publish: () => undefined,
      command: () => undefined,
      channelCreated: () => undefined,
      channelDeleted: () => undefined,
      stats: () => local.stats(),
      close: () => Promise.resolve(),
    });
    await assert.rejects(make({ broker: bare() }), {
      code: 'CAROM_ERR_NO_HISTORY_STORE',
    });
    const t = await make({ senders: [PlainSender], broker: bare() });
    assert.throws(() => t.app.channels.create('c', { history: { size: 3 } }), {
      code: 'CAROM_ERR_NO_HISTORY_STORE',
    });
    assert.equal(t.app.channels.has('c'), false);
  });
});

describe('history: positioned publishes', () => {
  it('gives carom clients the position and plain clients the frame as it was', async () => {
    const t = await make();
    const carom = await t.connect({ protocol: 'carom' });
    const plain = await t.connect();
    await carom.subscribe('chat');
    await plain.subscribe('chat');
    for (let n = 1; n <= 3; n++) assert.equal(t.app.publish('chat', { n }), 2);
    const positions = seen(carom, 'chat').map((s) => s.position);
    const epoch = positions[0]!.epoch;
    assert.deepEqual(
      positions,
      [1, 2, 3].map((offset) => ({ epoch, offset })),
    );
    assert.deepEqual(numbers(plain, 'chat'), [1, 2, 3]);
    for (const frame of plain.socket.frames) assert.ok(!frame.includes('position'), frame);
    // The positioned text is the plain one with the position spliced in before its end.
    const plainText = plain.socket.frames.at(-1)!;
    const caromText = carom.socket.frames.at(-1)!;
    assert.equal(
      caromText,
      `${plainText.slice(0, -1)},"position":{"epoch":"${epoch}","offset":3}}`,
    );
  });

  it('records scoped publishes, family members, senders and channels', async () => {
    const t = await make({ topics: ['extra'] });
    const a = await t.connect({ protocol: 'carom' });
    const b = await t.connect({ protocol: 'carom' });
    for (const c of [a, b]) await c.subscribe('chat', 'room.*');
    await t.app.get(ChatSender).send({ n: 1 });
    t.app.publish('chat', { n: 2 }, { except: a.connection! });
    t.app.publish('chat', { n: 3 }, { topics: ['chat', 'extra'] });
    t.app.get(RoomSender).to('room.k').send({ n: 1 });
    await t.idle();
    assert.deepEqual(
      seen(a, 'chat').map((s) => s.position?.offset),
      [1, 3],
    );
    assert.deepEqual(
      seen(b, 'chat').map((s) => s.position?.offset),
      [1, 2, 3],
    );
    assert.equal(seen(b, 'room.k')[0]?.position?.offset, 1);
    // The one a missed is in the history: a resume from 1 replays 2 and 3.
    const again = await t.connect({ protocol: 'carom' });
    const epoch = seen(a, 'chat')[0]!.position!.epoch;
    const ack = await again.request('subscribe', {
      events: ['chat'],
      resume: { chat: { epoch, offset: 1 } },
    });
    assert.deepEqual(recoveryOf(ack, 'chat'), { recovered: true, epoch, offset: 3, replayed: 2 });
    assert.deepEqual(numbers(again, 'chat'), [2, 3]);
  });

  it('records the ticks of a timed sender like any publish', async () => {
    @Topic('clock', { everyMs: 1000, history: { size: 10 } })
    class ClockSender extends TimedSender<{ n: number }> {
      private n = 0;
      override createMessageData(): { n: number } {
        return { n: ++this.n };
      }
    }
    const t = await make({ senders: [ClockSender] });
    // A timed sender ticks while someone listens on its node (ticks nobody hears are not made).
    const watcher = await t.connect();
    await watcher.subscribe('clock');
    await t.clock.advance(3000);
    const c = await t.connect({ protocol: 'carom' });
    const ack = await c.request('subscribe', { events: ['clock'], recent: 10 });
    assert.equal(recoveryOf(ack, 'clock').replayed, 3);
    assert.deepEqual(
      seen(c, 'clock').map((s) => [s.n, s.position?.offset]),
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    );
  });

  it('replays a message scoped to some topics only to their subscribers', async () => {
    const t = await make({ topics: ['user.1', 'user.2'] });
    const watcher = await t.connect({ protocol: 'carom' });
    await watcher.subscribe('chat');
    t.app.publish('chat', { n: 1 });
    const at = seen(watcher, 'chat')[0]!.position!;
    t.app.publish('chat', { n: 2 }, { topics: ['user.1'] });
    t.app.publish('chat', { n: 3 }, { topics: ['user.2', 'user.1'] });
    t.app.publish('chat', { n: 4 }, { topics: ['user.2'] });
    t.app.publish('chat', { n: 5 });
    const one = await t.connect({ protocol: 'carom' });
    const ack = await one.request('subscribe', {
      events: ['chat', 'user.1'],
      resume: { chat: at },
    });
    assert.deepEqual(recoveryOf(ack, 'chat'), { ...at, offset: 5, recovered: true, replayed: 3 });
    assert.deepEqual(numbers(one, 'chat'), [2, 3, 5]);
    const other = await t.connect({ protocol: 'carom' });
    await other.request('subscribe', { events: ['chat'], resume: { chat: at } });
    assert.deepEqual(numbers(other, 'chat'), [5]);
  });

  it('keeps delivery policies: a latest event with a history conflates for a paused reader', async () => {
    @Topic('tick', { delivery: 'latest', history: { size: 50 } })
    class TickSender extends Sender<{ n: number }> {}
    const t = await make({ senders: [TickSender], backlogBytes: 200 });
    const slow = await t.connect({ protocol: 'carom' });
    const fast = await t.connect();
    await slow.subscribe('tick');
    await fast.subscribe('tick');
    slow.socket.pause();
    for (let n = 1; n <= 20; n++) t.app.publish('tick', { n });
    slow.socket.resume();
    await t.idle();
    assert.deepEqual(numbers(fast, 'tick'), range(1, 20));
    const got = seen(slow, 'tick');
    assert.ok(got.length < 20, `conflated: ${got.length}`);
    assert.equal(got.at(-1)?.n, 20);
    assert.equal(got.at(-1)?.position?.offset, 20);
  });
});

describe('history: across nodes (the in-memory hub)', () => {
  it('delivers recorded messages on every node in offset order, and any node resumes', async () => {
    const hub = new BrokerHub();
    const a = await make({ broker: hub.broker('a') });
    const b = await make({ broker: hub.broker('b') });
    const ca = await a.connect({ protocol: 'carom' });
    const cb = await b.connect({ protocol: 'carom' });
    const plain = await b.connect();
    for (const c of [ca, cb, plain]) await c.subscribe('chat', 'room.*');
    a.app.publish('chat', { n: 1 });
    b.app.publish('chat', { n: 2 }, { except: cb.connection!.id });
    a.app.get(RoomSender).to('room.m').send({ n: 1 });
    await hub.settled();
    assert.deepEqual(numbers(ca, 'chat'), [1, 2]);
    assert.deepEqual(numbers(cb, 'chat'), [1]);
    assert.deepEqual(numbers(plain, 'chat'), [1, 2]);
    assert.equal(seen(plain, 'chat')[0]!.position, undefined);
    const at = seen(cb, 'chat')[0]!.position!;
    assert.deepEqual(seen(ca, 'chat')[1]!.position, { epoch: at.epoch, offset: 2 });
    // A client of node a comes back on node b.
    const moved = await b.connect({ protocol: 'carom' });
    const ack = await moved.request('subscribe', { events: ['chat'], resume: { chat: at } });
    assert.deepEqual(recoveryOf(ack, 'chat'), { ...at, offset: 2, recovered: true, replayed: 1 });
    assert.equal(seen(cb, 'room.m')[0]?.position?.offset, 1);
  });
});

describe('history: resume', () => {
  it('replays what a client missed, in order, none twice, then goes live', async () => {
    const t = await make();
    const first = await t.connect({ protocol: 'carom' });
    await first.subscribe('chat');
    for (let n = 1; n <= 10; n++) t.app.publish('chat', { n });
    const last = seen(first, 'chat').at(-1)!.position!;
    first.close();
    for (let n = 11; n <= 60; n++) t.app.publish('chat', { n });
    const back = await t.connect({ protocol: 'carom' });
    const ack = await back.request('subscribe', { events: ['chat'], resume: { chat: last } });
    assert.deepEqual(recoveryOf(ack, 'chat'), {
      recovered: true,
      epoch: last.epoch,
      offset: 60,
      replayed: 50,
    });
    t.app.publish('chat', { n: 61 });
    assert.deepEqual(numbers(back, 'chat'), range(11, 61));
    // The replay came before the ack, the live one after.
    const frames = back.received.map((e) => e.event);
    assert.equal(frames.indexOf('ack'), frames.length - 2);
  });

  it('reports nothing missed when the client is current', async () => {
    const t = await make();
    const c = await t.connect({ protocol: 'carom' });
    await c.subscribe('chat');
    t.app.publish('chat', { n: 1 });
    const at = seen(c, 'chat')[0]!.position!;
    const d = await t.connect({ protocol: 'carom' });
    const ack = await d.request('subscribe', { events: ['chat'], resume: { chat: at } });
    assert.deepEqual(recoveryOf(ack, 'chat'), { ...at, recovered: true, replayed: 0 });
  });

  it('reports GAP when the history rolled over, and replays nothing', async () => {
    const t = await make();
    const c = await t.connect({ protocol: 'carom' });
    await c.subscribe('room.a');
    const room = t.app.get(RoomSender).to('room.a');
    room.send({ n: 1 });
    const at = seen(c, 'room.a')[0]!.position!;
    for (let n = 2; n <= 20; n++) room.send({ n });
    const d = await t.connect({ protocol: 'carom' });
    const ack = await d.request('subscribe', { events: ['room.a'], resume: { 'room.a': at } });
    assert.deepEqual(recoveryOf(ack, 'room.a'), {
      recovered: false,
      epoch: at.epoch,
      offset: 20,
      replayed: 0,
      reason: 'GAP',
    });
    assert.deepEqual(numbers(d, 'room.a'), []);
  });

  it('reports GAP when what followed expired (ttlMs), not when the client was current', async () => {
    const t = await make();
    const c = await t.connect({ protocol: 'carom' });
    await c.subscribe('room.b');
    const room = t.app.get(RoomSender).to('room.b');
    room.send({ n: 1 });
    room.send({ n: 2 });
    const [one, two] = seen(c, 'room.b').map((s) => s.position!);
    await t.clock.advance(60_001);
    const d = await t.connect({ protocol: 'carom' });
    const gap = await d.request('subscribe', { events: ['room.b'], resume: { 'room.b': one } });
    assert.equal(recoveryOf(gap, 'room.b').reason, 'GAP');
    const e = await t.connect({ protocol: 'carom' });
    const current = await e.request('subscribe', { events: ['room.b'], resume: { 'room.b': two } });
    assert.deepEqual(recoveryOf(current, 'room.b'), { ...two, recovered: true, replayed: 0 });
  });

  it('reports EPOCH for a position of another history (a restarted node)', async () => {
    const t = await make();
    t.app.publish('chat', { n: 1 });
    const c = await t.connect({ protocol: 'carom' });
    const ack = await c.request('subscribe', {
      events: ['chat'],
      resume: { chat: { epoch: 'gone', offset: 1 } },
    });
    const r = recoveryOf(ack, 'chat');
    assert.equal(r.reason, 'EPOCH');
    assert.equal(r.recovered, false);
    assert.equal(r.offset, 1);
    assert.notEqual(r.epoch, 'gone');
    // The client continues from the position reported: the next message follows it.
    t.app.publish('chat', { n: 2 });
    assert.deepEqual(seen(c, 'chat')[0]!.position, { epoch: r.epoch, offset: 2 });
  });

  it('resumes the events a wildcard or a prefix covers, and says NO_HISTORY and NOT_SUBSCRIBED', async () => {
    const t = await make();
    const c = await t.connect({ protocol: 'carom' });
    await c.subscribe('*');
    t.app.publish('chat', { n: 1 });
    t.app.get(RoomSender).to('room.z').send({ n: 1 });
    const chat = seen(c, 'chat')[0]!.position!;
    const room = seen(c, 'room.z')[0]!.position!;
    t.app.publish('chat', { n: 2 });
    t.app.get(RoomSender).to('room.z').send({ n: 2 });
    const wild = await t.connect({ protocol: 'carom' });
    const ack = await wild.request('subscribe', {
      events: ['*'],
      resume: { chat: chat, 'room.z': room, plain: { epoch: 'e', offset: 3 } },
    });
    assert.deepEqual(recoveryOf(ack, 'chat'), { ...chat, offset: 2, recovered: true, replayed: 1 });
    assert.equal(recoveryOf(ack, 'room.z').replayed, 1);
    assert.deepEqual(recoveryOf(ack, 'plain'), {
      recovered: false,
      epoch: 'e',
      offset: 3,
      replayed: 0,
      reason: 'NO_HISTORY',
    });
    const prefix = await t.connect({ protocol: 'carom' });
    const ack2 = await prefix.request('subscribe', {
      events: ['room.*'],
      resume: { 'room.z': room, chat },
    });
    assert.equal(recoveryOf(ack2, 'room.z').recovered, true);
    assert.equal(recoveryOf(ack2, 'chat').reason, 'NOT_SUBSCRIBED');
    assert.deepEqual(numbers(prefix, 'room.z'), [2]);
    assert.deepEqual(numbers(prefix, 'chat'), []);
  });

  it('a resume on a subscription held before covers the event too', async () => {
    const t = await make();
    const c = await t.connect({ protocol: 'carom' });
    await c.subscribe('room.*');
    const ack = await c.request('subscribe', {
      events: ['chat'],
      resume: { 'room.q': { epoch: 'x', offset: 0 } },
    });
    assert.equal(recoveryOf(ack, 'room.q').reason, 'EPOCH');
  });
});

describe('history: recent', () => {
  it('gives the newest messages on a first subscribe, capped by the history', async () => {
    const t = await make();
    for (let n = 1; n <= 8; n++) t.app.publish('chat', { n });
    for (let n = 1; n <= 8; n++) t.app.get(RoomSender).to('room.r').send({ n });
    const c = await t.connect({ protocol: 'carom' });
    const ack = await c.request('subscribe', {
      events: ['chat', 'room.r', 'plain', 'room.*'],
      recent: 6,
    });
    const chat = recoveryOf(ack, 'chat');
    assert.deepEqual(
      { ...chat, epoch: '' },
      { recovered: true, epoch: '', offset: 8, replayed: 6 },
    );
    assert.equal(recoveryOf(ack, 'room.r').replayed, 5);
    const report = (ack.data as { recovery: object }).recovery;
    assert.deepEqual(Object.keys(report).sort(), ['chat', 'room.r']);
    assert.deepEqual(numbers(c, 'chat'), range(3, 8));
    assert.deepEqual(numbers(c, 'room.r'), range(4, 8));
    const zero = await t.connect({ protocol: 'carom' });
    const none = await zero.request('subscribe', { events: ['chat'], recent: 0 });
    assert.deepEqual(recoveryOf(none, 'chat'), { ...chat, replayed: 0 });
  });
});

describe('history: what may ask for it', () => {
  it('refuses resume and recent from plain clients, without an id, or malformed: BAD_ENVELOPE', async () => {
    const t = await make();
    const plain = await t.connect();
    const r1 = await plain.request('subscribe', { events: ['chat'], recent: 1 });
    assert.equal(r1.event, 'error');
    assert.equal((r1.data as { code: string }).code, 'BAD_ENVELOPE');
    const carom = await t.connect({ protocol: 'carom' });
    carom.send('subscribe', { events: ['chat'], resume: { chat: { epoch: 'e', offset: 1 } } });
    await t.idle();
    const e = carom.received.find((x) => x.event === 'error');
    assert.equal((e?.data as { code: string }).code, 'BAD_ENVELOPE');
    for (const data of [
      { resume: [] },
      { resume: { 'room.*': { epoch: 'e', offset: 1 } } },
      { resume: { chat: { epoch: '', offset: 1 } } },
      { resume: { chat: { epoch: 'e'.repeat(65), offset: 1 } } },
      { resume: { chat: { epoch: 'e', offset: -1 } } },
      { resume: { chat: { epoch: 'e', offset: 2 ** 53 } } },
      { recent: 1.5 },
      { recent: 100_001 },
    ]) {
      const reply = await carom.request('subscribe', { events: ['chat'], ...data });
      assert.equal(reply.event, 'error', JSON.stringify(data));
      assert.equal((reply.data as { code: string }).code, 'BAD_ENVELOPE');
    }
    // Nothing of a refused envelope took effect.
    assert.deepEqual(carom.connection!.subscriptions, []);
  });
});

describe('history: the seam', () => {
  it('holds live messages published during a replay and releases them after it, once each', async () => {
    // A replay larger than backlogBytes waits for the paused socket: publishes meanwhile are held.
    const t = await make({ backlogBytes: 300 });
    const watcher = await t.connect({ protocol: 'carom' });
    await watcher.subscribe('chat');
    for (let n = 1; n <= 40; n++) t.app.publish('chat', { n });
    const { epoch } = seen(watcher, 'chat')[0]!.position!;
    const c = await t.connect({ protocol: 'carom' });
    c.socket.pause();
    const ack = c.request('subscribe', {
      events: ['chat'],
      resume: { chat: { epoch, offset: 5 } },
    });
    await settle();
    for (let n = 41; n <= 50; n++) t.app.publish('chat', { n });
    c.socket.resume();
    const reply = await ack;
    assert.equal(recoveryOf(reply, 'chat').replayed, 35);
    for (let n = 51; n <= 55; n++) t.app.publish('chat', { n });
    assert.deepEqual(numbers(c, 'chat'), range(6, 55));
    const offsets = seen(c, 'chat').map((s) => s.position!.offset);
    assert.deepEqual(offsets, range(6, 55));
  });

  it('answers what a connection sent after a replaying subscribe only after its ack', async () => {
    const t = await make({ backlogBytes: 300, maxInFlight: 8 });
    for (let n = 1; n <= 30; n++) t.app.publish('chat', { n });
    const c = await t.connect({ protocol: 'carom' });
    c.socket.pause();
    const ack = c.request('subscribe', { events: ['chat'], recent: 30 });
    const ping = c.request('carom.ping');
    await settle();
    c.socket.resume();
    await Promise.all([ack, ping]);
    const replies = c.received.filter((e) => e.event === 'ack').map((e) => e.id);
    assert.deepEqual(replies, ['t1', 't2']);
  });

  it('closes a connection whose held messages outgrow the history, and lets go of it', async () => {
    const t = await make({ backlogBytes: 100 });
    for (let n = 1; n <= 10; n++) t.app.get(RoomSender).to('room.h').send({ n });
    const c = await t.connect({ protocol: 'carom' });
    c.socket.pause();
    void c.request('subscribe', { events: ['room.h'], recent: 5 }).catch(() => undefined);
    await settle();
    for (let n = 11; n <= 20; n++) t.app.get(RoomSender).to('room.h').send({ n });
    await t.idle();
    assert.equal(c.socket.closeCode, 1013);
    assert.equal(t.app.stats().pending, 0);
    assert.equal(t.app.stats().connections, 0);
  });

  it('a connection closing mid-replay releases everything', async () => {
    const t = await make({ backlogBytes: 100 });
    for (let n = 1; n <= 30; n++) t.app.publish('chat', { n });
    const c = await t.connect({ protocol: 'carom' });
    c.socket.pause();
    void c.request('subscribe', { events: ['chat'], recent: 30 }).catch(() => undefined);
    await settle();
    t.app.publish('chat', { n: 31 });
    c.close();
    await t.idle();
    t.app.publish('chat', { n: 32 });
    const stats = t.app.stats();
    assert.equal(stats.connections, 0);
    assert.equal(stats.pending, 0);
    assert.equal(stats.subscriptions.exact, 0);
  });

  it('closes a connection that does not drain within handlerTimeoutMs', async () => {
    const t = await make({ backlogBytes: 100, handlerTimeoutMs: 1000 });
    for (let n = 1; n <= 30; n++) t.app.publish('chat', { n });
    const c = await t.connect({ protocol: 'carom' });
    c.socket.pause();
    void c.request('subscribe', { events: ['chat'], recent: 30 }).catch(() => undefined);
    await settle();
    assert.equal(c.socket.closed, false);
    await t.clock.advance(1001);
    await t.idle();
    assert.equal(c.socket.closeCode, 1013);
  });
});

describe('history: a store that fails', () => {
  class DownHistory extends MemoryHistory {
    override read(): Promise<HistoryRead> {
      return Promise.reject(new Error('the store is down'));
    }
  }
  class DownBroker extends LocalBroker {
    override readonly history = new DownHistory();
  }

  it('reports UNAVAILABLE, delivers live messages, and nothing escapes', async () => {
    const t = await make({ broker: new DownBroker() });
    const c = await t.connect({ protocol: 'carom' });
    const ack = await c.request('subscribe', {
      events: ['chat', 'room.u'],
      resume: { chat: { epoch: 'e', offset: 4 } },
      recent: 3,
    });
    assert.deepEqual(recoveryOf(ack, 'chat'), {
      recovered: false,
      epoch: 'e',
      offset: 4,
      replayed: 0,
      reason: 'UNAVAILABLE',
    });
    assert.equal(recoveryOf(ack, 'room.u').reason, 'UNAVAILABLE');
    t.app.publish('chat', { n: 1 });
    assert.deepEqual(numbers(c, 'chat'), [1]);
    assert.ok(t.logs.some((l) => l.level === 'warn' && String(l.args[0]).includes("'chat'")));
  });
});

describe('history: a restart', () => {
  it('a new app instance starts a new epoch', async () => {
    const a = await make();
    const ca = await a.connect({ protocol: 'carom' });
    await ca.subscribe('chat');
    a.app.publish('chat', { n: 1 });
    const b = await make();
    const cb = await b.connect({ protocol: 'carom' });
    await cb.subscribe('chat');
    b.app.publish('chat', { n: 1 });
    const [pa] = seen(ca, 'chat');
    const [pb] = seen(cb, 'chat');
    assert.notEqual(pa!.position!.epoch, pb!.position!.epoch);
  });
});
