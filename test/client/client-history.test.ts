/**
 * carom/client over a fake WebSocket, on mocked timers: history positions and
 * duplicates, the resume a reconnect sends (patterns included), the recovery
 * report, `recent`, requests and emits retried with their keys, the client's
 * id in the handshake, and the `onRestore` hook's place before the queue.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  ClientErrorCode,
  type ClientOptions,
  type RequestError,
  type RecoveryReport,
} from '../../src/client/index.js';
import { fakeClients, lastId, settle, type FakeClient } from './fake-client.js';
import type { FakeSocket, Sent } from './fake-socket.js';

const { setup, opened } = fakeClients();

/** Lets pending promise callbacks run (setImmediate is not mocked). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function fakeTime(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
}

/** Reconnects at once, so the tests decide when time passes. */
const quick: ClientOptions = { reconnect: { backoff: () => 1 } };

function positioned(socket: FakeSocket, event: string, epoch: string, offset: number): void {
  socket.json({ event, data: { offset }, timestamp: 't', position: { epoch, offset } });
}

function ack(socket: FakeSocket, id: string | number, data: unknown): void {
  socket.json({ event: 'ack', id, data, timestamp: 't' });
}

/** Subscribes on the open socket and answers with the ack `data` (default: the names). */
async function subscribed(s: FakeClient, events: string[], data?: unknown): Promise<unknown> {
  const p = s.c.subscribe(events);
  ack(s.last(), lastId(s.last()), data ?? { events });
  return p;
}

/** Drops the connection and opens the next one (accepted and welcomed); returns its socket. */
async function reconnect(s: FakeClient, t: TestContext): Promise<FakeSocket> {
  s.last().drop(1006);
  t.mock.timers.tick(1);
  await flush();
  return s.last().accept('carom').welcome('c2');
}

function subscribeOf(socket: FakeSocket): Sent {
  const sent = socket.sent.find((e) => e.event === 'subscribe');
  assert.ok(sent, 'a subscribe was sent');
  return sent;
}

const KEY = /^[A-Za-z0-9_-]{16,64}$/;

/** Drops the connection, emits `chat` while away, and opens the next one (the hook runs a turn later). */
async function awayThenBack(s: FakeClient, t: TestContext): Promise<FakeSocket> {
  s.last().drop(1006);
  s.c.emit('chat', {});
  t.mock.timers.tick(1);
  await flush();
  return s.last().accept('carom').welcome('c2');
}

describe('carom/client history: positions and duplicates', () => {
  it('delivers each positioned message once: an offset already seen in the same epoch is ignored and counted', () => {
    const { c, last } = opened();
    const got: number[] = [];
    c.on('chat', (d: { offset: number }) => got.push(d.offset));
    for (const offset of [1, 2, 2, 1, 3]) positioned(last(), 'chat', 'e1', offset);
    positioned(last(), 'chat', 'e2', 1); // a new epoch starts again
    positioned(last(), 'other', 'e1', 1); // positions are per event
    assert.deepEqual(got, [1, 2, 3, 1]);
    assert.equal(c.duplicates, 2);
  });

  it('a message without a position is always delivered; a malformed position is reported and the message delivered', () => {
    const { c, last, errors } = opened();
    const got: unknown[] = [];
    c.on('chat', (d) => got.push(d));
    last().json({ event: 'chat', data: 1, timestamp: 't' });
    last().json({ event: 'chat', data: 2, timestamp: 't' });
    for (const position of [null, 5, { epoch: '', offset: 1 }, { epoch: 'e', offset: -1 }]) {
      last().json({ event: 'chat', data: 3, timestamp: 't', position });
    }
    last().json({
      event: 'chat',
      data: 4,
      timestamp: 't',
      position: { epoch: 'x'.repeat(65), offset: 1 },
    });
    assert.deepEqual(got, [1, 2, 3, 3, 3, 3, 4]);
    assert.equal(errors.filter((e) => e.code === 'BAD_FRAME').length, 5);
    assert.equal(c.duplicates, 0);
  });
});

describe('carom/client history: subscribe and recent', () => {
  it('asks for recent: 0 with named events (where they stand), the given recent, and nothing for patterns alone', async () => {
    const s = opened();
    await subscribed(s, ['chat']);
    assert.deepEqual(s.last().sent.at(-1)!.data, { events: ['chat'], recent: 0 });
    const p = s.c.subscribe(['room.a', 'room.*'], { recent: 20 });
    assert.deepEqual(s.last().sent.at(-1)!.data, { events: ['room.a', 'room.*'], recent: 20 });
    ack(s.last(), lastId(s.last()), { events: ['chat', 'room.a', 'room.*'] });
    await p;
    await subscribed(s, ['x.*']);
    assert.deepEqual(s.last().sent.at(-1)!.data, { events: ['x.*'] });
  });

  it("resolves with the ack's recovery, after the recent messages were delivered; the position is followed", async (t) => {
    fakeTime(t);
    const s = opened(quick);
    const got: number[] = [];
    s.c.on('room.a', (d: { offset: number }) => got.push(d.offset));
    const p = s.c.subscribe(['room.a', 'room.b'], { recent: 2 });
    const id = lastId(s.last());
    positioned(s.last(), 'room.a', 'e1', 9);
    positioned(s.last(), 'room.a', 'e1', 10);
    ack(s.last(), id, {
      events: ['room.a', 'room.b'],
      recovery: {
        'room.a': { recovered: true, epoch: 'e1', offset: 10, replayed: 2 },
        'room.b': { recovered: true, epoch: 'e7', offset: 0, replayed: 0 },
        'room.c': { recovered: true, epoch: 'e7', offset: 4, replayed: 0 },
      },
    });
    const result = await p;
    assert.deepEqual(got, [9, 10]);
    assert.deepEqual(
      { ...result.recovery },
      {
        'room.a': { recovered: true, epoch: 'e1', offset: 10, replayed: 2 },
        'room.b': { recovered: true, epoch: 'e7', offset: 0, replayed: 0 },
      },
    );
    assert.deepEqual([...result.events], ['room.a', 'room.b']);
    // room.b had no message, yet the reconnect resumes it from where the ack said it stood.
    const next = await reconnect(s, t);
    assert.deepEqual(subscribeOf(next).data, {
      events: ['room.a', 'room.b'],
      resume: { 'room.a': { epoch: 'e1', offset: 10 }, 'room.b': { epoch: 'e7', offset: 0 } },
    });
  });

  it('sends no recent to a server that did not agree on the carom subprotocol, even when asked', async () => {
    const s = setup();
    const p = s.c.subscribe(['chat'], { recent: 5 }); // made before the socket opens
    await flush();
    s.last().accept('');
    await flush();
    assert.deepEqual(s.last().sent[0]!.data, { events: ['chat'] });
    ack(s.last(), lastId(s.last()), { events: ['chat'] });
    await p;
  });

  it('an ack without recovery resolves as before, with no recovery field', async () => {
    const s = opened();
    const result = (await subscribed(s, ['chat'])) as { recovery?: unknown };
    assert.equal(result.recovery, undefined);
  });
});

describe('carom/client history: resume after a reconnect', () => {
  it('sends the last positions of the events its names and patterns cover, and recent: 0 for names without one', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    await subscribed(s, ['chat', 'quiet', 'room.*']);
    positioned(s.last(), 'chat', 'e1', 5);
    positioned(s.last(), 'chat', 'e1', 6);
    positioned(s.last(), 'room.a', 'e1', 3);
    positioned(s.last(), 'room.b', 'e2', 7);
    positioned(s.last(), 'room.gone', 'e2', 7);
    positioned(s.last(), 'news', 'e1', 1); // not covered by anything held
    const u = s.c.unsubscribe(['room.gone']); // excluded from room.*: its position goes
    ack(s.last(), lastId(s.last()), {
      events: ['chat', 'quiet', 'room.*'],
      excluded: ['room.gone'],
    });
    await u;
    const next = await reconnect(s, t);
    const sent = subscribeOf(next);
    assert.deepEqual(sent.data, {
      events: ['chat', 'quiet', 'room.*'],
      resume: {
        chat: { epoch: 'e1', offset: 6 },
        'room.a': { epoch: 'e1', offset: 3 },
        'room.b': { epoch: 'e2', offset: 7 },
      },
      recent: 0,
    });
    assert.ok(sent.id !== undefined, 'resume goes with an id');
    assert.deepEqual(next.sent[1], { ...next.sent[1], event: 'unsubscribe' });
  });

  it('sends no resume to a server that did not agree on the carom subprotocol', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    await subscribed(s, ['chat']);
    positioned(s.last(), 'chat', 'e1', 5);
    s.last().drop(1006);
    t.mock.timers.tick(1);
    await flush();
    s.last().accept('');
    assert.deepEqual(subscribeOf(s.last()).data, { events: ['chat'] });
  });

  it('keeps at most maxPositions events, forgetting the one heard of longest ago', async (t) => {
    fakeTime(t);
    const s = opened({ ...quick, maxPositions: 2 });
    await subscribed(s, ['*']);
    positioned(s.last(), 'a', 'e', 1);
    positioned(s.last(), 'b', 'e', 1);
    positioned(s.last(), 'a', 'e', 2);
    positioned(s.last(), 'c', 'e', 1);
    const next = await reconnect(s, t);
    assert.deepEqual(subscribeOf(next).data, {
      events: ['*'],
      resume: { a: { epoch: 'e', offset: 2 }, c: { epoch: 'e', offset: 1 } },
    });
  });

  it('reports per event to onRecovery after the replay, drops duplicates at the seam, and follows the new positions', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    const reports: RecoveryReport[] = [];
    s.c.onRecovery((r) => reports.push(r));
    const got: string[] = [];
    s.c.on('*', (_d, e) =>
      got.push(`${e.event}@${(e as { position?: { offset: number } }).position?.offset}`),
    );
    await subscribed(s, ['chat', 'room.*']);
    positioned(s.last(), 'chat', 'e1', 5);
    positioned(s.last(), 'room.a', 'e1', 3);
    const next = await reconnect(s, t);
    const { id } = subscribeOf(next);
    positioned(next, 'chat', 'e1', 5); // already seen
    positioned(next, 'chat', 'e1', 6);
    positioned(next, 'chat', 'e1', 7);
    positioned(next, 'room.a', 'e9', 1); // the history restarted: new epoch
    assert.equal(reports.length, 0, 'the report waits for the ack');
    ack(next, id!, {
      events: ['chat', 'room.*'],
      recovery: {
        chat: { recovered: true, epoch: 'e1', offset: 7, replayed: 2 },
        'room.a': { recovered: false, epoch: 'e9', offset: 1, replayed: 1, reason: 'EPOCH' },
      },
    });
    await flush();
    assert.deepEqual(got, ['chat@5', 'room.a@3', 'chat@6', 'chat@7', 'room.a@1']);
    assert.equal(s.c.duplicates, 1);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.recovered, false);
    assert.deepEqual(
      { ...reports[0]!.events },
      {
        chat: { recovered: true, epoch: 'e1', offset: 7, replayed: 2 },
        'room.a': { recovered: false, epoch: 'e9', offset: 1, replayed: 1, reason: 'EPOCH' },
      },
    );
    assert.deepEqual(
      s.errors.filter((e) => e.code === 'NOT_RECOVERED'),
      [],
      'a listener heard it',
    );
    const third = await reconnect(s, t);
    assert.deepEqual((subscribeOf(third).data as { resume: unknown }).resume, {
      chat: { epoch: 'e1', offset: 7 },
      'room.a': { epoch: 'e9', offset: 1 },
    });
  });

  it('an incomplete recovery with no onRecovery listener goes to onError as NOT_RECOVERED; a complete one is quiet', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    await subscribed(s, ['chat', 'news']);
    positioned(s.last(), 'chat', 'e1', 5);
    positioned(s.last(), 'news', 'e1', 2);
    let next = await reconnect(s, t);
    ack(next, subscribeOf(next).id!, {
      events: ['chat', 'news'],
      recovery: {
        chat: { recovered: true, epoch: 'e1', offset: 5, replayed: 0 },
        news: { recovered: true, epoch: 'e1', offset: 2, replayed: 0 },
      },
    });
    await flush();
    assert.equal(s.errors.length, 0);
    next = await reconnect(s, t);
    ack(next, subscribeOf(next).id!, {
      events: ['chat', 'news'],
      recovery: {
        chat: { recovered: false, epoch: 'e1', offset: 900, replayed: 0, reason: 'GAP' },
        news: { recovered: true, epoch: 'e1', offset: 2, replayed: 0 },
      },
    });
    await flush();
    const missed = s.errors.filter((e) => e.code === ClientErrorCode.NOT_RECOVERED);
    assert.equal(missed.length, 1);
    assert.match(missed[0]!.message, /chat/);
    assert.doesNotMatch(missed[0]!.message, /news/);
    assert.equal((missed[0]!.details as RecoveryReport).events.chat!.reason, 'GAP');
  });

  it('an ack that says nothing of a resumed event reports it UNANSWERED; a failed resubscribe reports FAILED', async (t) => {
    fakeTime(t);
    const s = opened({ ...quick, requestTimeoutMs: 1000 });
    const reports: RecoveryReport[] = [];
    s.c.onRecovery((r) => reports.push(r));
    await subscribed(s, ['chat']);
    positioned(s.last(), 'chat', 'e1', 5);
    let next = await reconnect(s, t);
    ack(next, subscribeOf(next).id!, { events: ['chat'] });
    await flush();
    assert.deepEqual(
      { ...reports[0]!.events },
      {
        chat: { recovered: false, replayed: 0, reason: 'UNANSWERED' },
      },
    );
    await reconnect(s, t);
    t.mock.timers.tick(1000); // the resubscribe times out
    await flush();
    assert.deepEqual(
      { ...reports[1]!.events },
      {
        chat: { recovered: false, replayed: 0, reason: 'FAILED' },
      },
    );
    // NO_HISTORY forgets the position: the next restore does not resume it.
    next = await reconnect(s, t);
    ack(next, subscribeOf(next).id!, {
      events: ['chat'],
      recovery: { chat: { recovered: false, replayed: 0, reason: 'NO_HISTORY' } },
    });
    await flush();
    next = await reconnect(s, t);
    assert.deepEqual(subscribeOf(next).data, { events: ['chat'], recent: 0 });
  });
});

describe('carom/client history: a server that refuses the resume', () => {
  it('reports the refusal and FAILED, then resubscribes without resume so the subscriptions come back', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    const reports: RecoveryReport[] = [];
    s.c.onRecovery((r) => reports.push(r));
    await subscribed(s, ['chat', 'room.*']);
    positioned(s.last(), 'chat', 'e1', 5);
    const next = await reconnect(s, t);
    const first = subscribeOf(next);
    next.json({
      event: 'error',
      id: first.id,
      timestamp: 't',
      data: { code: 'BAD_ENVELOPE', message: 'resume names 2 events; at most 1' },
    });
    await flush();
    assert.deepEqual(
      s.errors.map((e) => [e.code, e.event]),
      [['BAD_ENVELOPE', 'subscribe']],
    );
    assert.deepEqual(
      { ...reports[0]!.events },
      { chat: { recovered: false, replayed: 0, reason: 'FAILED' } },
    );
    const again = next.sent.at(-1)!;
    assert.deepEqual(again.data, { events: ['chat', 'room.*'] });
    ack(next, again.id!, { events: ['chat', 'room.*'] });
    await flush();
    assert.deepEqual(s.c.subscriptions, ['chat', 'room.*']);
    assert.equal(reports.length, 1);
  });
});

describe('carom/client retried requests and emits', () => {
  it('a retried request keeps its key across a reconnect, is sent again with it, and settles once', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    const paid = settle(s.c.request('pay', { amount: 5 }, { retry: true }));
    const plain = settle(s.c.request('look', {}));
    const first = s.last().sent.find((e) => e.event === 'pay')!;
    assert.match(String((first as { key?: unknown }).key), KEY);
    assert.equal(
      (s.last().sent.find((e) => e.event === 'look') as { key?: unknown }).key,
      undefined,
    );
    const next = await reconnect(s, t);
    const again = next.sent.find((e) => e.event === 'pay')!;
    assert.deepEqual(again, first, 'the same frame: same id, same key');
    assert.equal(((await plain).error as RequestError).code, 'DISCONNECTED');
    ack(next, again.id!, { ok: 1 });
    ack(next, again.id!, { ok: 2 }); // a second answer has nothing to settle
    assert.deepEqual(await paid, { value: { ok: 1 } });
  });

  it('the retry option retries an event by default; a call can say no; the timeout keeps running while away', async (t) => {
    fakeTime(t);
    const s = opened({ ...quick, retry: ['pay'], requestTimeoutMs: 1000 });
    const byOption = settle(s.c.request('pay', {}));
    const refused = settle(s.c.request('pay', {}, { retry: false }));
    assert.match(String((s.last().sent[0] as { key?: unknown }).key), KEY);
    assert.equal((s.last().sent[1] as { key?: unknown }).key, undefined);
    s.last().drop(1006);
    assert.equal(((await refused).error as RequestError).code, 'DISCONNECTED');
    t.mock.timers.tick(1000); // still away: the kept request times out
    assert.equal(((await byOption).error as RequestError).code, 'TIMEOUT');
    await flush();
    s.last().accept('carom').welcome('c2');
    assert.equal(s.last().sent.filter((e) => e.event === 'pay').length, 0);
  });

  it('keeps at most maxQueue retried requests across a drop (the newest), and rejects all with CLOSED on close()', async (t) => {
    fakeTime(t);
    const s = opened({ ...quick, maxQueue: 2 });
    const r = [1, 2, 3].map((n) => settle(s.c.request('pay', { n }, { retry: true })));
    s.last().drop(1006);
    assert.equal(((await r[0]!).error as RequestError).code, 'DISCONNECTED');
    s.c.close();
    assert.equal(((await r[1]!).error as RequestError).code, 'CLOSED');
    assert.equal(((await r[2]!).error as RequestError).code, 'CLOSED');
  });

  it('a retried emit carries an id and a key, is sent again after a reconnect, and its error goes to onError', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    s.c.emit('typing', { on: true }, { retry: true });
    const sent = s.last().sent[0]!;
    assert.ok(sent.id !== undefined);
    assert.match(String((sent as { key?: unknown }).key), KEY);
    const next = await reconnect(s, t);
    assert.deepEqual(
      next.sent.find((e) => e.event === 'typing'),
      sent,
    );
    next.json({
      event: 'error',
      id: sent.id,
      data: { code: 'FORBIDDEN', message: 'no' },
      timestamp: 't',
    });
    await flush();
    assert.deepEqual(
      s.errors.map((e) => [e.code, e.event]),
      [['FORBIDDEN', 'typing']],
    );
  });

  it('a retried emit queued while away keeps its key and goes out after the restore; dropped if the client closes', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    s.last().drop(1006);
    s.c.emit('note', { n: 1 }, { retry: true });
    s.c.emit('note', { n: 2 });
    t.mock.timers.tick(1);
    await flush();
    const next = s.last().accept('carom').welcome('c2');
    const notes = next.sent.filter((e) => e.event === 'note');
    assert.equal(notes.length, 2);
    assert.match(String((notes[0] as { key?: unknown }).key), KEY);
    assert.equal((notes[1] as { key?: unknown }).key, undefined);
    const dropped: unknown[] = [];
    s.c.onDrop((_e, data) => dropped.push(data));
    s.c.close();
    await flush();
    assert.deepEqual(dropped, [{ n: 1 }], 'the unanswered retried emit is dropped, and said so');
  });

  it('offers the same carom.client.<id> on every attempt of one client, and another id for another client', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    const other = opened();
    assert.match(s.c.clientId, KEY);
    const next = await reconnect(s, t);
    assert.deepEqual(s.sockets[0]!.protocols, ['carom', `carom.client.${s.c.clientId}`]);
    assert.deepEqual(next.protocols, s.sockets[0]!.protocols);
    assert.notEqual(other.c.clientId, s.c.clientId);
  });
});

describe('carom/client onRestore hook', () => {
  it('runs after the resubscribe is answered, may send at once, and the retried requests and queued emits go after it', async (t) => {
    fakeTime(t);
    const order: string[] = [];
    let hookDone: () => void = () => undefined;
    const s = opened({
      ...quick,
      onRestore: async (client) => {
        order.push(`hook sees ${client.state}`);
        const joined = client.request('join', { room: 'a' });
        client.emit('hello', {});
        await new Promise<void>((resolve) => (hookDone = resolve));
        await joined;
        order.push('hook done');
      },
    });
    s.c.onState((state) => order.push(state));
    await subscribed(s, ['chat']);
    const kept = settle(s.c.request('pay', {}, { retry: true }));
    s.last().drop(1006);
    s.c.emit('chat', { text: 'typed while away' });
    const asked = settle(s.c.request('look', {})); // made while away: waits for open
    t.mock.timers.tick(1);
    await flush();
    const next = s.last().accept('carom').welcome('c2');
    const events = (): string[] => next.sent.map((e) => e.event);
    assert.deepEqual(events(), ['subscribe'], 'only the resubscribe, until it is answered');
    ack(next, subscribeOf(next).id!, { events: ['chat'] });
    await flush();
    assert.deepEqual(events(), ['subscribe', 'join', 'hello']);
    ack(next, next.sent[1]!.id!, { ok: true });
    hookDone();
    await flush();
    assert.deepEqual(events(), ['subscribe', 'join', 'hello', 'pay', 'chat', 'look']);
    assert.deepEqual(order.slice(-4), [
      'reconnecting',
      'hook sees reconnecting',
      'hook done',
      'open',
    ]);
    ack(next, next.sent[3]!.id!, { paid: true });
    ack(next, next.sent[5]!.id!, { seen: true });
    assert.deepEqual(await kept, { value: { paid: true } });
    assert.deepEqual(await asked, { value: { seen: true } });
  });

  it('a hook that throws is reported as RESTORE_FAILED and the queue goes out', async (t) => {
    fakeTime(t);
    const s = opened({
      ...quick,
      onRestore: () => {
        throw new Error('rooms are gone');
      },
    });
    const next = await awayThenBack(s, t);
    await flush();
    assert.deepEqual(
      next.sent.map((e) => e.event),
      ['chat'],
    );
    assert.equal(s.c.state, 'open');
    const failed = s.errors.filter((e) => e.code === ClientErrorCode.RESTORE_FAILED);
    assert.equal(failed.length, 1);
    assert.match(failed[0]!.message, /rooms are gone/);
  });

  it('a hook that never settles is given up after restoreTimeoutMs, reported, and the queue goes out', async (t) => {
    fakeTime(t);
    const s = opened({
      ...quick,
      restoreTimeoutMs: 500,
      onRestore: () => new Promise(() => undefined),
    });
    const next = await awayThenBack(s, t);
    await flush();
    assert.equal(next.sent.length, 0);
    assert.equal(s.c.state, 'reconnecting');
    t.mock.timers.tick(500);
    await flush();
    assert.deepEqual(
      next.sent.map((e) => e.event),
      ['chat'],
    );
    assert.equal(s.c.state, 'open');
    assert.match(s.errors.find((e) => e.code === 'RESTORE_FAILED')!.message, /500 ms/);
  });

  it('a connection lost while the hook runs sends nothing more; the next one restores again', async (t) => {
    fakeTime(t);
    let runs = 0;
    const s = opened({ ...quick, onRestore: () => void runs++ });
    const second = await awayThenBack(s, t);
    second.drop(1006); // before the hook's turn
    await flush();
    assert.equal(second.sent.length, 0);
    t.mock.timers.tick(1);
    await flush();
    const third = s.last().accept('carom').welcome('c3');
    await flush();
    assert.deepEqual(
      third.sent.map((e) => e.event),
      ['chat'],
    );
    assert.equal(runs, 2);
  });
});

describe('carom/client: a hostile recovery', () => {
  it('a recovery of the wrong shape never throws: bad entries are UNANSWERED, nothing else is read', async (t) => {
    fakeTime(t);
    const s = opened(quick);
    const reports: RecoveryReport[] = [];
    s.c.onRecovery((r) => reports.push(r));
    await subscribed(s, ['chat', '__proto__']);
    positioned(s.last(), 'chat', 'e1', 5);
    positioned(s.last(), '__proto__', 'e1', 5);
    const next = await reconnect(s, t);
    assert.deepEqual(Object.keys((subscribeOf(next).data as { resume: object }).resume), [
      'chat',
      '__proto__',
    ]);
    next.deliver(
      `{"event":"ack","id":${subscribeOf(next).id},"timestamp":"t","data":{"events":["chat"],"recovery":{"__proto__":{"recovered":true,"replayed":-1},"chat":{"recovered":"yes","replayed":1},"evil":{"recovered":true,"replayed":0}}}}`,
    );
    await flush();
    assert.deepEqual(Object.keys(reports[0]!.events).sort(), ['__proto__', 'chat']);
    assert.equal(reports[0]!.events.chat!.reason, 'UNANSWERED');
    assert.equal(reports[0]!.events['__proto__']!.reason, 'UNANSWERED');
    assert.equal(s.c.state, 'open');
  });
});
