/**
 * carom/client over a fake WebSocket: pattern listeners, the reserved events,
 * what subscribe and unsubscribe resolve with, forgetting deleted channels,
 * a restore the server refuses, and a refused upgrade (its HTTP status in
 * Node, a streak of attempts that never open where no status is visible).
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ClientErrorCode, RequestError } from '../../src/client/index.js';
import { fakeClients, lastId, settle, URL, type FakeClient } from './fake-client.js';
import type { FakeSocket } from './fake-socket.js';
import { ackLists } from '../support/subscription-ack.js';
import type { SubscriptionAck } from '../../src/client/index.js';

const { setup, opened } = fakeClients();

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function publish(socket: FakeSocket, event: string, data: unknown = {}): void {
  socket.json({ event, data, timestamp: 't' });
}

describe('carom/client: pattern listeners', () => {
  it('"prefix.*" gets every event under the prefix, at any depth, and nothing else', () => {
    const { c, last } = opened();
    const got: string[] = [];
    c.on('auction.*', (_data, envelope) => got.push(envelope.event));
    for (const e of [
      'auction.lamp',
      'auction.room.a',
      'auction',
      'auctions.x',
      'news',
      'x.auction.y',
    ])
      publish(last(), e);
    assert.deepEqual(got, ['auction.lamp', 'auction.room.a']);
  });

  it('"*" gets every event, reserved notices included; "a.b.*" only under a.b.', () => {
    const { c, last } = opened();
    const all: string[] = [];
    const deep: string[] = [];
    c.on('*', (_d, e) => all.push(e.event));
    c.on('a.b.*', (_d, e) => deep.push(e.event));
    for (const e of ['a.b.c', 'a.c', 'news', 'carom.channel.created'])
      publish(last(), e, { name: 'x' });
    assert.deepEqual(all, ['a.b.c', 'a.c', 'news', 'carom.channel.created']);
    assert.deepEqual(deep, ['a.b.c']);
  });

  it('the exact listeners run first, then *, then the patterns shortest first; each registration once', () => {
    const { c, last } = opened();
    const order: string[] = [];
    const shared = (): number => order.push('shared');
    c.on('a.*', () => order.push('a.*'));
    c.on('a.b.*', () => order.push('a.b.*'));
    c.on('*', () => order.push('*'));
    c.on('a.b.c', () => order.push('exact'));
    c.on('a.*', shared);
    c.on('a.b.c', shared);
    publish(last(), 'a.b.c', 1);
    assert.deepEqual(order, ['exact', 'shared', '*', 'a.*', 'shared', 'a.b.*']);
  });

  it('the returned function and off() stop a pattern listener', () => {
    const { c, last } = opened();
    const got: string[] = [];
    const fn = (_d: unknown, e: { event: string }): number => got.push(`fn ${e.event}`);
    const stop = c.on('room.*', (_d, e) => got.push(`stop ${e.event}`));
    c.on('room.*', fn);
    publish(last(), 'room.a');
    stop();
    c.off('room.*', fn);
    publish(last(), 'room.b');
    assert.deepEqual(got, ['stop room.a', 'fn room.a']);
  });

  it('a pattern listener that throws is reported; the other listeners still run', () => {
    const { c, last, errors } = opened();
    const got: string[] = [];
    c.on('room.*', () => {
      throw new Error('pattern bug');
    });
    c.on('*', () => got.push('all'));
    c.on('room.a', () => got.push('exact'));
    publish(last(), 'room.a');
    assert.deepEqual(got, ['exact', 'all']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'LISTENER_ERROR');
    assert.equal(errors[0]!.event, 'room.a');
  });

  it('data and envelope are what the server sent', () => {
    const { c, last } = opened();
    const got: unknown[] = [];
    c.on('auction.*', (data, envelope) => got.push(data, envelope));
    publish(last(), 'auction.lamp', { bid: 3 });
    assert.deepEqual(got, [
      { bid: 3 },
      { event: 'auction.lamp', data: { bid: 3 }, timestamp: 't' },
    ]);
  });
});

describe('carom/client: what subscribe and unsubscribe resolve with', () => {
  it('the ack: events and excluded, [] when the ack lists no exclusions', async () => {
    const { c, last } = opened();
    const sub = settle(c.subscribe(['*']));
    last().json({ event: 'ack', id: lastId(last()), data: { events: ['*'] }, timestamp: 't' });
    assert.deepEqual(ackLists((await sub).value as SubscriptionAck), {
      events: ['*'],
      excluded: [],
    });
    const un = settle(c.unsubscribe(['ping']));
    const data = { events: ['*'], excluded: ['ping'] };
    last().json({ event: 'ack', id: lastId(last()), data, timestamp: 't' });
    assert.deepEqual(ackLists((await un).value as SubscriptionAck), {
      events: ['*'],
      excluded: ['ping'],
    });
  });

  for (const excluded of [null, 'ping', [1], {}]) {
    it(`an ack whose excluded is ${JSON.stringify(excluded)} is BAD_REPLY`, async () => {
      const { c, last } = opened();
      const sub = settle(c.subscribe(['*']));
      const data = { events: ['*'], excluded };
      last().json({ event: 'ack', id: lastId(last()), data, timestamp: 't' });
      const { error } = await sub;
      assert.ok(error instanceof RequestError);
      assert.equal(error.code, ClientErrorCode.BAD_REPLY);
    });
  }
});

/** Opens the socket after a reconnect and answers each restore request with `answer`. */
async function reopen(
  s: FakeClient,
  t: TestContext,
  answer: (sent: { event: string; id: string | number; data: unknown }) => unknown,
): Promise<FakeSocket> {
  t.mock.timers.tick(60_000);
  const socket = s.last();
  socket.accept('carom').welcome('c2');
  for (const sent of socket.sent) {
    const reply = answer({ event: sent.event, id: sent.id!, data: sent.data });
    if (reply !== undefined) socket.json(reply);
  }
  await flush();
  return socket;
}

describe('carom/client: deleted channels and refused restores', () => {
  it('after carom.channel.deleted the client no longer holds the name, and does not ask for it again', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const s = opened();
    const first = s.last();
    const sub = settle(s.c.subscribe(['news', 'room.*']));
    first.json({
      event: 'ack',
      id: lastId(first),
      data: { events: ['news', 'room.*'] },
      timestamp: 't',
    });
    await sub;
    const heard: string[] = [];
    s.c.on('carom.channel.deleted', ({ name }) => heard.push(name));
    publish(first, 'carom.channel.deleted', { name: 'news' });
    publish(first, 'carom.channel.deleted', { name: 'room.a' }); // covered by a pattern: stays covered
    assert.deepEqual(heard, ['news', 'room.a']);
    assert.deepEqual(s.c.subscriptions, ['room.*']);

    first.drop(1006);
    const second = await reopen(s, t, (r) => ({
      event: 'ack',
      id: r.id,
      data: {},
      timestamp: 't',
    }));
    const restore = second.sent.filter((e) => e.event === 'subscribe');
    assert.deepEqual(
      restore.map((e) => e.data),
      [{ events: ['room.*'] }],
    );
  });

  for (const data of [null, 5, {}, { name: 7 }, { name: '*' }]) {
    it(`a channel.deleted notice with data ${JSON.stringify(data)} forgets nothing`, async () => {
      const { c, last } = opened();
      const sub = settle(c.subscribe(['*', 'news']));
      last().json({
        event: 'ack',
        id: lastId(last()),
        data: { events: ['*', 'news'] },
        timestamp: 't',
      });
      await sub;
      publish(last(), 'carom.channel.deleted', data);
      assert.deepEqual(c.subscriptions, ['*', 'news']);
    });
  }

  it('a restore the server refuses in part (a channel deleted while away) is let go and reported', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const s = opened();
    const first = s.last();
    const sub = settle(s.c.subscribe(['news', 'gone']));
    first.json({
      event: 'ack',
      id: lastId(first),
      data: { events: ['news', 'gone'] },
      timestamp: 't',
    });
    await sub;
    first.drop(1006);
    const refusal = (id: string | number) => ({
      event: 'error',
      id,
      timestamp: 't',
      data: {
        code: 'UNKNOWN_EVENT',
        message: 'cannot subscribe: no sender or channel declares gone',
        details: { rejected: [{ name: 'gone', code: 'UNKNOWN_EVENT' }] },
      },
    });
    const second = await reopen(s, t, (r) => refusal(r.id));
    assert.equal(second.sent[0]!.event, 'subscribe');
    assert.ok(second.sent[0]!.id !== undefined, 'the restore asks with an id');
    assert.deepEqual(s.c.subscriptions, ['news']);
    const reported = s.errors.filter((e) => e.code === 'UNKNOWN_EVENT');
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!.event, 'subscribe');
    assert.match(reported[0]!.message, /resubscribing after a reconnect/);

    second.drop(1006);
    const third = await reopen(s, t, (r) => ({ event: 'ack', id: r.id, data: {}, timestamp: 't' }));
    assert.deepEqual(third.sent[0]!.data, { events: ['news'], recent: 0 });
  });

  it('a restore lost to another disconnect is not reported and is asked for again', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const s = opened();
    const sub = settle(s.c.subscribe(['news']));
    s.last().json({
      event: 'ack',
      id: lastId(s.last()),
      data: { events: ['news'] },
      timestamp: 't',
    });
    await sub;
    s.last().drop(1006);
    const second = await reopen(s, t, () => undefined);
    second.drop(1006);
    await flush();
    assert.deepEqual(s.errors, []);
    const third = await reopen(s, t, () => undefined);
    assert.deepEqual(third.sent[0]!.data, { events: ['news'], recent: 0 });
  });
});

/** What `ws` hands `onerror` when the upgrade is answered with `status`. */
function refusedUpgrade(socket: FakeSocket, status: number): void {
  socket.onerror?.({ type: 'error', message: `Unexpected server response: ${status}` });
  socket.drop(1006);
}

describe('carom/client: a refused upgrade', () => {
  for (const status of [404, 403, 400, 401, 410]) {
    it(`HTTP ${status}: closed for good with UPGRADE_REFUSED and the status, no retry`, async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
      const s = setup();
      const ready = settle(s.c.ready());
      const request = settle(s.c.request('x', {}));
      refusedUpgrade(s.last(), status);
      t.mock.timers.tick(600_000);
      assert.equal(s.sockets.length, 1, 'no second attempt');
      assert.equal(s.c.state, 'closed');
      assert.deepEqual(s.log.at(-1), {
        state: 'closed',
        info: { code: 1006, reason: `HTTP ${status}`, willReconnect: false, status },
      });
      for (const p of [ready, request]) {
        const { error } = await p;
        assert.ok(error instanceof RequestError, String(error));
        assert.equal(error.code, ClientErrorCode.UPGRADE_REFUSED);
        assert.match(error.message, new RegExp(`HTTP ${status}`));
      }
      const report = s.errors.find((e) => e.code === ClientErrorCode.UPGRADE_REFUSED);
      assert.deepEqual(report?.details, { status, url: URL });
      if (status === 404) assert.match(report!.message, /path/);
    });
  }

  for (const status of [503, 429, 500, 408, 426]) {
    it(`HTTP ${status} is retried, the status in the reconnecting state's info`, (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
      const s = setup();
      refusedUpgrade(s.last(), status);
      assert.equal(s.c.state, 'reconnecting');
      assert.equal(s.log.at(-1)?.info?.status, status);
      t.mock.timers.tick(60_000);
      assert.equal(s.sockets.length, 2);
    });
  }

  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('hostile');
      },
    },
  );
  for (const [name, event] of [
    ['null', null],
    ['undefined', undefined],
    ['{}', {}],
    ['a numeric message', { message: 5 }],
    ['a status that is not a number', { message: 'Unexpected server response: abc' }],
    ['a status out of range', { message: 'Unexpected server response: 4040' }],
    ['another message', { message: 'something else: 404' }],
    ['a Proxy that throws', hostile],
  ] as const) {
    it(`an error event (${name}) carries no status: the client retries`, (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
      const s = setup();
      s.last().onerror?.(event);
      s.last().drop(1006);
      assert.equal(s.c.state, 'reconnecting');
      assert.equal(s.log.at(-1)?.info?.status, undefined);
    });
  }

  it('an error event of an earlier attempt does not mark the next one', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const s = setup();
    const first = s.last();
    first.onerror?.({ message: 'Unexpected server response: 503' });
    first.drop(1006);
    t.mock.timers.tick(60_000);
    s.last().drop(1006);
    assert.equal(s.log.at(-1)?.info?.status, undefined);
    assert.equal(s.c.state, 'reconnecting');
  });
});

describe('carom/client: attempts that never open (a browser sees no status)', () => {
  it('five in a row are reported once as UNREACHABLE; the client keeps trying', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const s = setup();
    for (let i = 0; i < 12; i++) {
      s.last().drop(1006);
      t.mock.timers.tick(60_000);
    }
    assert.equal(s.sockets.length, 13, 'still retrying');
    const reports = s.errors.filter((e) => e.code === ClientErrorCode.UNREACHABLE);
    assert.equal(reports.length, 1);
    assert.deepEqual(reports[0]!.details, { attempts: 5, url: URL });
  });

  it('an attempt that opens ends the streak; attempts that open and close are not counted', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const s = setup();
    for (let i = 0; i < 4; i++) {
      s.last().drop(1006);
      t.mock.timers.tick(60_000);
    }
    for (let i = 0; i < 6; i++) {
      s.last().accept('carom').welcome('c');
      s.last().drop(1006);
      t.mock.timers.tick(60_000);
    }
    for (let i = 0; i < 4; i++) {
      s.last().drop(1006);
      t.mock.timers.tick(60_000);
    }
    assert.deepEqual(
      s.errors.filter((e) => e.code === ClientErrorCode.UNREACHABLE),
      [],
    );
    s.last().drop(1006);
    assert.equal(s.errors.filter((e) => e.code === ClientErrorCode.UNREACHABLE).length, 1);
  });
});
