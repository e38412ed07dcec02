import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CloseCode,
  On,
  OnDisconnect,
  Sender,
  TimedSender,
  Topic,
  type Connection,
  type Context,
} from '../../src/index.js';
import { settle, type TestApp, type TestClient } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 0);
const TOTAL = 3000;
const BATCH = 100;

@Topic('ping')
class PingSender extends Sender<unknown> {}

@Topic('pong')
class PongSender extends Sender<unknown> {}

@Topic('beat', { everyMs: 500 })
class BeatSender extends TimedSender<{ n: number }> {
  calls = 0;
  override createMessageData(): { n: number } {
    return { n: ++this.calls };
  }
}

/** Handlers: a quick one, one that holds until the test releases it, and server-side rooms. */
class Controller {
  readonly held: Array<() => void> = [];
  handledAfterClose = 0;
  disconnects = 0;
  disconnectTopics: string[][] = [];

  @On('note')
  note(data: { n?: number }): unknown {
    return data.n ?? null;
  }

  @On('hold')
  hold(_data: unknown, ctx: Context): Promise<string> {
    return new Promise((resolve) =>
      this.held.push(() => {
        if (!ctx.connection.open) this.handledAfterClose++;
        resolve('released');
      }),
    );
  }

  @On('join')
  join(data: { room: string }, ctx: Context): string[] {
    ctx.connection.subscribe(`room.${data.room}`);
    return ctx.connection.subscriptions;
  }

  @OnDisconnect()
  gone(connection: Connection): void {
    this.disconnects++;
    if (this.disconnectTopics.length < 5) this.disconnectTopics.push(connection.subscriptions);
  }
}

const make = testApps({
  handlers: [Controller],
  senders: [PingSender, PongSender],
  topics: ['room.*'],
  startTime: T0,
});

interface Expected {
  exact: number;
  patterns: number;
  exclusions: number;
  watermarks: number;
  pending: number;
}

function ack(reply: { event: string }): void {
  assert.equal(reply.event, 'ack', JSON.stringify(reply));
}

/**
 * Gives client number `i` one of five subscription profiles and timestamped
 * traffic; adds what it creates to `expected`. Returns the events it sent with
 * timestamps (each is one watermark of the connection).
 */
async function exercise(client: TestClient, i: number, expected: Expected): Promise<void> {
  const sent = new Set<string>();
  const at = (offset: number): { timestamp: number } => ({ timestamp: T0 + i * 10 + offset });
  switch (i % 5) {
    case 0:
      ack(await client.request('subscribe', { events: ['ping', 'pong'] }, at(1)));
      sent.add('subscribe');
      expected.exact += 2;
      break;
    case 1:
      ack(await client.request('subscribe', { events: ['*'] }, at(1)));
      ack(await client.request('unsubscribe', { events: ['ping'] }, at(2)));
      sent.add('subscribe').add('unsubscribe');
      expected.patterns += 1;
      expected.exclusions += 1;
      break;
    case 2:
      ack(await client.request('subscribe', { events: ['room.*'] }, at(1)));
      ack(await client.request('unsubscribe', { events: ['room.a'] }, at(2)));
      ack(await client.request('join', { room: `r${i}` }, at(3)));
      sent.add('subscribe').add('unsubscribe').add('join');
      expected.patterns += 1;
      expected.exclusions += 1;
      expected.exact += 1;
      break;
    case 3:
      ack(await client.request('subscribe', { events: ['ping', '*', 'room.*'] }, at(1)));
      sent.add('subscribe');
      expected.exact += 1;
      expected.patterns += 2;
      break;
    default:
      break;
  }
  ack(await client.request('note', { n: i }, at(4)));
  // An older note is stale: the watermark is in place.
  const old = await client.request('note', { n: -i }, at(0));
  assert.equal(old.event, 'error');
  assert.equal(old.data.code, 'STALE');
  sent.add('note');
  expected.watermarks += sent.size;
}

function assertEmpty(t: TestApp, where: string): void {
  const s = t.app.stats();
  assert.equal(s.connections, 0, `${where}: connections`);
  assert.deepEqual({ ...s.subscriptions }, { exact: 0, patterns: 0, exclusions: 0 }, where);
  assert.equal(s.watermarks, 0, `${where}: watermarks`);
  assert.equal(s.pending, 0, `${where}: pending`);
  assert.deepEqual(t.app.openConnections, [], where);
  for (const event of ['ping', 'pong', 'room.a', 'room.r2', 'room.zzz']) {
    assert.deepEqual(t.app.subscribers(event), [], `${where}: subscribers of ${event}`);
  }
}

describe('disconnect cleanup', () => {
  it(`connecting and disconnecting ${TOTAL} busy clients leaves nothing behind`, async () => {
    const t = await make();
    const controller = t.app.get(Controller);
    let held = 0;
    for (let start = 0; start < TOTAL; start += BATCH) {
      const expected: Expected = {
        exact: 0,
        patterns: 0,
        exclusions: 0,
        watermarks: 0,
        pending: 0,
      };
      const clients: TestClient[] = [];
      for (let i = start; i < start + BATCH; i++) clients.push(await t.connect());
      for (let k = 0; k < clients.length; k++) await exercise(clients[k]!, start + k, expected);
      // Some clients leave a handler pending, with another envelope queued behind it.
      for (let k = 0; k < clients.length; k += 7) {
        const i = start + k;
        clients[k]!.send('hold', {}, { timestamp: T0 + i * 10 + 5, id: `h${i}` });
        clients[k]!.send('note', { n: i }, { timestamp: T0 + i * 10 + 6, id: `q${i}` });
        expected.watermarks += 1; // 'hold' started, so its watermark is set
        expected.pending += 2;
        held++;
      }
      await settle();
      const s = t.app.stats();
      assert.equal(s.connections, BATCH);
      assert.deepEqual(
        { ...s.subscriptions },
        { exact: expected.exact, patterns: expected.patterns, exclusions: expected.exclusions },
      );
      assert.equal(s.watermarks, expected.watermarks);
      assert.equal(s.pending, expected.pending);
      // The subscriptions are live: one publish reaches the profiles that take 'ping'.
      assert.equal(t.app.publish('ping', { batch: start }), (BATCH / 5) * 2);
      assert.equal(t.app.subscribers('room.zzz').length, (BATCH / 5) * 2 + BATCH / 5);
      // Leave three ways: the client closes, the socket drops, the server closes.
      const before = clients.map((c) => c.received.length);
      clients.forEach((c, k) => {
        if (k % 3 === 0) c.close(1000, 'bye');
        else if (k % 3 === 1) c.close(1006, '');
        else c.connection!.close(4000, 'kicked');
      });
      assert.ok(clients.every((c) => c.closed));
      assertEmpty(t, `after batch ${start / BATCH}`);
      assert.equal(t.app.publish('ping', { batch: start }), 0);
      assert.deepEqual(
        clients.map((c) => c.received.length),
        before,
      );
    }
    assert.equal(controller.disconnects, TOTAL);
    assert.equal(controller.held.length, held);
    // The held handlers finish after their connections are gone: nothing is written,
    // nothing is left behind, nothing is logged as an error.
    for (const release of controller.held) release();
    await settle(5);
    assert.equal(controller.handledAfterClose, held);
    assertEmpty(t, 'after the held handlers finished');
    assert.deepEqual(
      t.logs.filter((l) => l.level === 'error'),
      [],
    );
  });

  it('disconnect hooks still see the topics the connection had', async () => {
    const t = await make();
    const a = await t.connect();
    await a.subscribe('ping', 'room.*');
    await a.unsubscribe('room.x');
    a.close();
    const controller = t.app.get(Controller);
    assert.equal(controller.disconnects, 1);
    assert.deepEqual([...controller.disconnectTopics[0]!].sort(), ['ping', 'room.*']);
    assertEmpty(t, 'after close');
  });

  it('global watermarks are per event, not per connection, and do not grow with clients', async () => {
    const t = await make({ staleness: { scope: 'global' } });
    for (let i = 0; i < 50; i++) {
      const c = await t.connect();
      ack(await c.request('note', { n: i }, { timestamp: T0 + i }));
      c.close();
    }
    const s = t.app.stats();
    assert.equal(s.connections, 0);
    assert.equal(s.watermarks, 1);
  });
});

describe('app.close()', () => {
  it('closes every client with 1001 and leaves no timers', async () => {
    const t = await make({ senders: [PingSender, PongSender, BeatSender] });
    const controller = t.app.get(Controller);
    const clients: TestClient[] = [];
    const expected: Expected = { exact: 0, patterns: 0, exclusions: 0, watermarks: 0, pending: 0 };
    for (let i = 0; i < 200; i++) {
      const c = await t.connect();
      await exercise(c, i, expected);
      clients.push(c);
    }
    ack(await clients[0]!.request('subscribe', { events: ['beat'] }, { timestamp: T0 + 50_000 }));
    for (let k = 0; k < clients.length; k += 10) clients[k]!.send('hold', {}, { id: `h${k}` });
    await t.clock.advance(1000);
    assert.equal(clients[0]!.dataOf('beat').length, 2);
    assert.equal(t.app.stats().timers, 1);
    assert.equal(t.app.stats().pending, 20);
    const before = clients.map((c) => c.received.length);

    await t.app.close();

    for (const c of clients) {
      assert.equal(c.closed, true);
      assert.equal(c.closeCode, CloseCode.GOING_AWAY);
      assert.equal(c.closeCode, 1001);
    }
    assert.equal(controller.disconnects, 200);
    assertEmpty(t, 'after close');
    assert.equal(t.app.stats().timers, 0);
    assert.equal(t.clock.pendingTimers, 0);
    // Nothing more happens: no beat, no reply to the held requests.
    for (const release of controller.held) release();
    await t.clock.advance(5000);
    assert.deepEqual(
      clients.map((c) => c.received.length),
      before,
    );
    assert.equal(t.app.stats().timers, 0);
    assert.equal(t.clock.pendingTimers, 0);
    // Closing again is harmless.
    await t.app.close();
    assert.equal(controller.disconnects, 200);
  });

  it('a connect after close is refused or closed at once, and the app holds nothing', async () => {
    const t = await make({ senders: [PingSender, PongSender, BeatSender] });
    await t.app.close();
    let late: TestClient | undefined;
    try {
      late = await t.connect();
    } catch {
      late = undefined;
    }
    if (late) {
      assert.equal(late.closed, true, 'a connection accepted after close must be closed');
      assert.ok(
        late.closeCode === CloseCode.GOING_AWAY || late.closeCode === CloseCode.POLICY_VIOLATION,
        `close code ${String(late.closeCode)}`,
      );
      assert.throws(() => late!.send('subscribe', { events: ['ping'] }));
    }
    assertEmpty(t, 'after a late connect');
    assert.equal(t.app.publish('ping', {}), 0);
    assert.equal(t.app.stats().timers, 0);
    assert.equal(t.clock.pendingTimers, 0);
    assert.throws(() => t.app.start());
  });
});
