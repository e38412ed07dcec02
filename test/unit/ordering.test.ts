import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { IsString } from 'class-validator';
import {
  Carom,
  CloseCode,
  ConnectionRefused,
  Injectable,
  On,
  OnConnect,
  OnDisconnect,
  Sender,
  Topic,
  type CaromOptions,
  type Connection,
  type Context,
} from '../../src/index.js';
import { createTestApp, settle, type TestApp } from '../../src/testing/index.js';
import { deferred, type Deferred } from '../support/deferred.js';

/**
 * A controller whose `work` handler waits on a gate the test opens by hand.
 * It records when each envelope starts and ends, and how many run at once.
 */
class Work {
  readonly log: string[] = [];
  readonly gates = new Map<string, Deferred>();
  active = 0;
  maxActive = 0;

  gate(name: string): Deferred {
    const d = deferred();
    this.gates.set(name, d);
    return d;
  }

  @On('work')
  async work(data: { n: string }, ctx: Context): Promise<string> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.log.push(`start:${data.n}`);
    try {
      await this.gates.get(data.n)?.promise;
    } finally {
      this.active--;
    }
    this.log.push(`end:${data.n}`);
    return `${data.n}@${ctx.connection.id}`;
  }

  @On('sync')
  sync(data: { n: string }): string {
    this.log.push(`sync:${data.n}`);
    return data.n;
  }
}

@Topic('news')
class NewsSender extends Sender {}

/** The ids of acks and errors received, in order. */
function replyIds(received: ReadonlyArray<{ event: string; id?: unknown }>): unknown[] {
  return received.filter((e) => e.event === 'ack' || e.event === 'error').map((e) => e.id);
}

function workApp(work: Work, extra: CaromOptions = {}): Promise<TestApp> {
  return createTestApp({ handlers: [work], senders: [NewsSender], ...extra });
}

describe('ordering and connection life', () => {
  let t: TestApp | undefined;
  /** Everything a test may leave waiting; afterEach releases it. */
  const gates: Array<{ resolve(): void }> = [];
  afterEach(async () => {
    // Never leave a handler waiting.
    for (const g of gates) g.resolve();
    gates.length = 0;
    await t?.close();
    t = undefined;
  });

  function gate(work: Work, name: string): Deferred {
    const d = work.gate(name);
    gates.push(d);
    return d;
  }

  describe('arrival order', () => {
    it("a slow handler for the first envelope delays the second's handler; acks come in order", async () => {
      const work = new Work();
      t = await workApp(work);
      const c = await t.connect();
      const first = gate(work, 'a');
      c.send('work', { n: 'a' }, { id: 1 });
      c.send('work', { n: 'b' }, { id: 2 });
      c.send('sync', { n: 'c' }, { id: 3 });
      await settle(5);
      assert.deepEqual(work.log, ['start:a'], 'b waits for a');
      assert.deepEqual(replyIds(c.received), []);
      assert.equal(t.app.stats().pending, 3, 'one in flight, two queued');

      first.resolve();
      await t.idle();
      assert.deepEqual(work.log, ['start:a', 'end:a', 'start:b', 'end:b', 'sync:c']);
      assert.deepEqual(replyIds(c.received), [1, 2, 3]);
      assert.deepEqual(c.dataOf('ack'), [`a@${c.connection!.id}`, `b@${c.connection!.id}`, 'c']);
      assert.equal(work.maxActive, 1);
    });

    it('a later envelope that is gated holds back the ones after it, whatever their events', async () => {
      const work = new Work();
      t = await workApp(work);
      const c = await t.connect();
      const gA = gate(work, 'a');
      const gB = gate(work, 'b');
      c.send('work', { n: 'a' }, { id: 'a' });
      c.send('sync', { n: 's1' }, { id: 's1' });
      c.send('work', { n: 'b' }, { id: 'b' });
      c.send('sync', { n: 's2' }, { id: 's2' });
      await settle(5);
      assert.deepEqual(work.log, ['start:a']);
      gA.resolve();
      await settle(5);
      assert.deepEqual(work.log, ['start:a', 'end:a', 'sync:s1', 'start:b']);
      assert.deepEqual(replyIds(c.received), ['a', 's1']);
      gB.resolve();
      await t.idle();
      assert.deepEqual(work.log, ['start:a', 'end:a', 'sync:s1', 'start:b', 'end:b', 'sync:s2']);
      assert.deepEqual(replyIds(c.received), ['a', 's1', 'b', 's2']);
    });

    it('a failing first handler does not stop the queue', async () => {
      const work = new Work();
      t = await workApp(work);
      const c = await t.connect();
      const gA = gate(work, 'a');
      c.send('work', { n: 'a' }, { id: 1 });
      c.send('work', { n: 'b' }, { id: 2 });
      await settle(5);
      gA.reject(new Error('boom'));
      await t.idle();
      assert.deepEqual(work.log, ['start:a', 'start:b', 'end:b']);
      assert.deepEqual(
        c.received.filter((e) => e.event === 'ack' || e.event === 'error').map((e) => e.event),
        ['error', 'ack'],
      );
      assert.deepEqual(replyIds(c.received), [1, 2]);
    });

    it('maxInFlight: 3 runs up to three at once and never more', async () => {
      const work = new Work();
      t = await workApp(work, { maxInFlight: 3 });
      const c = await t.connect();
      const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
      const g = Object.fromEntries(names.map((n) => [n, gate(work, n)]));
      for (const n of names) c.send('work', { n }, { id: n });
      await settle(5);
      assert.deepEqual(work.log, ['start:a', 'start:b', 'start:c']);
      assert.equal(work.active, 3);

      // Finishing the second lets exactly one more start.
      g.b!.resolve();
      await settle(5);
      assert.deepEqual(work.log.slice(3), ['end:b', 'start:d']);
      assert.equal(work.active, 3);
      assert.deepEqual(replyIds(c.received), ['b']);

      g.a!.resolve();
      g.c!.resolve();
      await settle(5);
      assert.equal(work.active, 3);
      assert.deepEqual(
        work.log.filter((l) => l.startsWith('start:')),
        ['start:a', 'start:b', 'start:c', 'start:d', 'start:e', 'start:f'],
      );

      for (const n of names) g[n]!.resolve();
      await t.idle();
      assert.equal(work.active, 0);
      assert.equal(work.maxActive, 3);
      assert.equal(c.dataOf('ack').length, names.length);
      assert.deepEqual([...replyIds(c.received)].sort(), [...names].sort());
      assert.equal(t.app.stats().pending, 0);
    });

    it('maxInFlight: 3 still starts envelopes in arrival order', async () => {
      const work = new Work();
      t = await workApp(work, { maxInFlight: 3 });
      const c = await t.connect();
      for (let i = 0; i < 9; i++) c.send('work', { n: `w${i}` });
      await t.idle();
      assert.deepEqual(
        work.log.filter((l) => l.startsWith('start:')),
        Array.from({ length: 9 }, (_, i) => `start:w${i}`),
      );
      assert.ok(work.maxActive <= 3);
    });

    it("handlers of different connections run concurrently: B's runs while A's is pending", async () => {
      const work = new Work();
      t = await workApp(work);
      const a = await t.connect();
      const b = await t.connect();
      const gA = gate(work, 'a');
      a.send('work', { n: 'a' }, { id: 'A1' });
      await settle(5);
      const replyB = await b.request('work', { n: 'b' }, { id: 'B1' });
      assert.equal(replyB.event, 'ack');
      assert.equal(replyB.data, `b@${b.connection!.id}`);
      assert.deepEqual(work.log, ['start:a', 'start:b', 'end:b']);
      assert.equal(work.maxActive, 2);
      assert.deepEqual(replyIds(a.received), [], "A's reply is still pending");
      gA.resolve();
      await t.idle();
      assert.deepEqual(replyIds(a.received), ['A1']);
      assert.deepEqual(replyIds(b.received), ['B1']);
    });

    it('subscribe envelopes queue behind a pending handler too', async () => {
      const work = new Work();
      t = await workApp(work);
      const c = await t.connect();
      const gA = gate(work, 'a');
      c.send('work', { n: 'a' }, { id: 'w' });
      c.send('subscribe', { events: ['news'] }, { id: 's' });
      await settle(5);
      assert.deepEqual(c.connection!.subscriptions, [], 'the subscription waits its turn');
      assert.equal(t.app.subscribers('news').length, 0);
      assert.equal(t.app.publish('news', { n: 1 }), 0);
      assert.deepEqual(replyIds(c.received), []);

      gA.resolve();
      await t.idle();
      assert.deepEqual(c.connection!.subscriptions, ['news']);
      assert.deepEqual(replyIds(c.received), ['w', 's']);
      assert.equal(t.app.publish('news', { n: 2 }), 1);
      assert.deepEqual(c.dataOf('news'), [{ n: 2 }]);
    });

    it('an envelope after a subscribe waits for the subscribe to finish (async canSubscribe)', async () => {
      const work = new Work();
      const guard = deferred<boolean>();
      gates.push({ resolve: () => guard.resolve(false) });
      t = await workApp(work, { canSubscribe: () => guard.promise });
      const c = await t.connect();
      c.send('subscribe', { events: ['news'] }, { id: 's' });
      c.send('sync', { n: 'after' }, { id: 'x' });
      await settle(5);
      assert.deepEqual(work.log, []);
      guard.resolve(true);
      await t.idle();
      assert.deepEqual(work.log, ['sync:after']);
      assert.deepEqual(replyIds(c.received), ['s', 'x']);
    });
  });

  describe('lifecycle hooks', () => {
    it('an async @OnConnect hook delays the handling of envelopes sent right after connect', async () => {
      const work = new Work();
      const hookGate = deferred();
      gates.push(hookGate);
      const events: string[] = [];
      class Greeting {
        connected: Connection | undefined;
        @OnConnect()
        async hello(connection: Connection): Promise<void> {
          this.connected = connection;
          events.push('connect:start');
          await hookGate.promise;
          connection.state.set('greeted', true);
          events.push('connect:end');
        }
        @On('check')
        check(_data: unknown, ctx: Context): unknown {
          events.push('check');
          return ctx.connection.state.get('greeted') ?? false;
        }
      }
      const greeting = new Greeting();
      t = await createTestApp({ handlers: [work, greeting], senders: [NewsSender] });
      const c = await t.connect();
      assert.equal(greeting.connected, c.connection);
      c.send('check', {}, { id: 1 });
      c.send('subscribe', { events: ['news'] }, { id: 2 });
      c.send('sync', { n: 'x' }, { id: 3 });
      await settle(5);
      assert.deepEqual(events, ['connect:start']);
      assert.deepEqual(work.log, []);
      assert.deepEqual(c.received, []);
      assert.deepEqual(c.connection!.subscriptions, []);

      hookGate.resolve();
      await t.idle();
      assert.deepEqual(events, ['connect:start', 'connect:end', 'check']);
      assert.deepEqual(work.log, ['sync:x']);
      assert.deepEqual(replyIds(c.received), [1, 2, 3]);
      assert.equal(c.dataOf('ack')[0], true, 'the handler saw what the hook set');
      assert.deepEqual(c.connection!.subscriptions, ['news']);
    });

    it('several @OnConnect hooks run one after another before any envelope', async () => {
      const events: string[] = [];
      const g1 = deferred();
      gates.push(g1);
      class First {
        @OnConnect() async one(): Promise<void> {
          events.push('one:start');
          await g1.promise;
          events.push('one:end');
        }
      }
      class Second {
        @OnConnect() two(): void {
          events.push('two');
        }
        @On('go') go(): void {
          events.push('go');
        }
      }
      t = await createTestApp({ handlers: [First, Second] });
      const c = await t.connect();
      c.send('go', {});
      await settle(5);
      assert.deepEqual(events, ['one:start']);
      g1.resolve();
      await t.idle();
      assert.deepEqual(events, ['one:start', 'one:end', 'two', 'go']);
    });

    for (const how of ['throws', 'rejects'] as const) {
      it(`an @OnConnect hook that ${how} closes the connection with 1011 and nothing is handled`, async () => {
        const handled: string[] = [];
        class Picky {
          @OnConnect()
          check(connection: Connection): void | Promise<void> {
            if (connection.user !== 'bad') return;
            if (how === 'throws') throw new Error('no thanks');
            return Promise.reject(new Error('no thanks'));
          }
          @On('hi') hi(): string {
            handled.push('hi');
            return 'hello';
          }
        }
        t = await createTestApp({ handlers: [Picky] });
        const bad = await t.connect({ user: 'bad' });
        await t.idle();
        assert.equal(bad.closed, true);
        assert.equal(bad.closeCode, CloseCode.INTERNAL_ERROR);
        assert.equal(bad.closeCode, 1011);
        assert.equal(bad.connection!.open, false);
        assert.deepEqual(handled, []);
        assert.deepEqual(bad.received, []);
        assert.equal(t.app.openConnections.length, 0);
        assert.ok(
          t.logs.some((l) => l.level === 'error'),
          'the failure is logged',
        );

        const good = await t.connect({ user: 'good' });
        const reply = await good.request('hi', {});
        assert.equal(reply.data, 'hello');
        assert.deepEqual(handled, ['hi']);
        assert.equal(t.app.openConnections.length, 1);
      });
    }

    it('an envelope sent while a failing @OnConnect hook is pending is never handled', async () => {
      const hookGate = deferred();
      gates.push(hookGate);
      const handled: string[] = [];
      class Slow {
        @OnConnect() async check(): Promise<void> {
          await hookGate.promise;
          throw new Error('refused late');
        }
        @On('hi') hi(): void {
          handled.push('hi');
        }
      }
      t = await createTestApp({ handlers: [Slow] });
      const c = await t.connect();
      c.send('hi', {}, { id: 1 });
      await settle(5);
      hookGate.resolve();
      await t.idle();
      assert.equal(c.closeCode, 1011);
      assert.deepEqual(handled, []);
      assert.deepEqual(c.received, []);
      assert.equal(t.app.stats().pending, 0, 'the queued envelope is dropped');
    });

    it('@OnDisconnect sees connection.subscriptions still listing what it had, after the app removed them', async () => {
      const seen: Array<{
        topics: string[];
        open: boolean;
        subscribersNews: number;
        same: boolean;
      }> = [];
      const client: { connection?: Connection } = {};
      @Injectable()
      class Rooms {
        constructor(readonly app: Carom) {}
        @OnDisconnect()
        left(connection: Connection): void {
          seen.push({
            topics: [...connection.subscriptions],
            open: connection.open,
            subscribersNews: this.app.subscribers('news').length,
            same: connection === client.connection,
          });
        }
      }
      t = await createTestApp({
        handlers: [Rooms],
        senders: [NewsSender],
        topics: ['room.*'],
      });
      const c = await t.connect();
      client.connection = c.connection;
      await c.subscribe('news', 'room.*');
      assert.equal(seen.length, 0);
      c.close();
      await t.idle();
      assert.equal(seen.length, 1);
      assert.deepEqual([...seen[0]!.topics].sort(), ['news', 'room.*']);
      assert.equal(seen[0]!.open, false);
      assert.equal(seen[0]!.subscribersNews, 0, 'the app no longer sends it anything');
      assert.equal(seen[0]!.same, true);
      assert.equal(t.app.openConnections.length, 0);
      assert.equal(t.app.stats().subscriptions.exact, 0);
      assert.equal(t.app.stats().subscriptions.patterns, 0);
    });

    it('@OnDisconnect runs once per connection, also when the server shuts down', async () => {
      const left: string[] = [];
      class Bye {
        @OnDisconnect() bye(connection: Connection): void {
          left.push(String(connection.user));
        }
      }
      t = await createTestApp({ handlers: [Bye] });
      const a = await t.connect({ user: 'a' });
      await t.connect({ user: 'b' });
      a.close();
      a.close();
      await t.close();
      assert.deepEqual([...left].sort(), ['a', 'b']);
    });
  });

  describe('the context a handler sees', () => {
    class TextDto {
      @IsString() text!: string;
    }
    class Recorder {
      readonly contexts: Context[] = [];
      readonly payloads: unknown[] = [];
      @On('rec') rec(data: TextDto, ctx: Context): void {
        this.payloads.push(data);
        this.contexts.push(ctx);
      }
      @On('raw') raw(_data: unknown, ctx: Context): void {
        this.contexts.push(ctx);
      }
    }

    it('carries the connection, event, id, timestamp and the raw data', async () => {
      const recorder = new Recorder();
      t = await createTestApp({ handlers: [recorder] });
      const c = await t.connect();
      const iso = '2026-01-01T00:00:00.250Z';
      const reply = await c.request('rec', { text: 'hi', extra: 1 }, { id: 'abc', timestamp: iso });
      assert.equal(reply.event, 'ack');
      const ctx = recorder.contexts[0]!;
      assert.equal(ctx.connection, c.connection);
      assert.equal(ctx.event, 'rec');
      assert.equal(ctx.id, 'abc');
      assert.equal(ctx.timestamp, Date.UTC(2026, 0, 1, 0, 0, 0, 250));
      assert.deepEqual(ctx.rawData, { text: 'hi', extra: 1 }, 'rawData is before stripping');
      assert.deepEqual({ ...(recorder.payloads[0] as object) }, { text: 'hi' });
    });

    it('numeric ids and epoch-ms timestamps; no id and no timestamp give undefined', async () => {
      const recorder = new Recorder();
      // Staleness off: the last envelope is stamped earlier than the first.
      t = await createTestApp({ handlers: [recorder], staleness: { scope: 'off' } });
      const c = await t.connect();
      const ms = Date.UTC(2026, 0, 1, 0, 0, 1, 500);
      await c.request('raw', [1, 2], { id: 17, timestamp: ms });
      c.send('raw', 'text', { timestamp: null });
      c.send('raw');
      await t.idle();
      const [first, second, third] = recorder.contexts;
      assert.equal(first!.id, 17);
      assert.equal(first!.timestamp, ms);
      assert.deepEqual(first!.rawData, [1, 2]);
      assert.equal(second!.id, undefined);
      assert.equal(second!.timestamp, undefined);
      assert.equal(second!.rawData, 'text');
      assert.deepEqual(third!.rawData, {}, 'missing data is {}');
      assert.equal(third!.timestamp, t.clock.now());
    });

    it("reads bounce-ws's offset-less local timestamps with microseconds, and offsets", async () => {
      const recorder = new Recorder();
      t = await createTestApp({
        handlers: [recorder],
        staleness: { scope: 'off' },
        startTime: Date.UTC(2026, 0, 1, 12),
      });
      const c = await t.connect();
      await c.request('raw', {}, { timestamp: '2026-01-01T01:02:03.123456' });
      await c.request('raw', {}, { timestamp: '2026-01-01T05:00:00+02:00' });
      const local = new Date(2026, 0, 1, 1, 2, 3).getTime() + 123.456;
      assert.ok(Math.abs(recorder.contexts[0]!.timestamp! - local) < 1e-6);
      assert.equal(recorder.contexts[1]!.timestamp, Date.UTC(2026, 0, 1, 3, 0, 0));
    });

    it('each connection has its own Connection with its own id and state', async () => {
      const recorder = new Recorder();
      t = await createTestApp({ handlers: [recorder] });
      const a = await t.connect();
      const b = await t.connect();
      await a.request('raw', {});
      await b.request('raw', {});
      const [ca, cb] = recorder.contexts;
      assert.equal(ca!.connection, a.connection);
      assert.equal(cb!.connection, b.connection);
      assert.notEqual(ca!.connection.id, cb!.connection.id);
      ca!.connection.state.set('k', 1);
      assert.equal(cb!.connection.state.has('k'), false);
    });
  });

  describe('users and authentication', () => {
    class WhoAmI {
      readonly connected: unknown[] = [];
      @OnConnect() hello(connection: Connection): void {
        this.connected.push(connection.user);
      }
      @On('whoami') who(_data: unknown, ctx: Context): unknown {
        return ctx.connection.user ?? null;
      }
    }

    it('connection.user is what t.connect({user}) gives, and authenticate is skipped', async () => {
      let asked = 0;
      const who = new WhoAmI();
      t = await createTestApp({
        handlers: [who],
        authenticate: () => {
          asked++;
          return false;
        },
      });
      const c = await t.connect({ user: { name: 'ann', roles: ['admin'] } });
      assert.equal(c.closed, false);
      assert.deepEqual(c.connection!.user, { name: 'ann', roles: ['admin'] });
      const reply = await c.request('whoami', {});
      assert.deepEqual(reply.data, { name: 'ann', roles: ['admin'] });
      assert.equal(asked, 0);
      assert.deepEqual(who.connected, [{ name: 'ann', roles: ['admin'] }]);
    });

    it('without authenticate every client connects with an undefined user', async () => {
      const who = new WhoAmI();
      t = await createTestApp({ handlers: [who] });
      const c = await t.connect();
      assert.equal(c.connection!.user, undefined);
      assert.equal((await c.request('whoami', {})).data, null);
    });

    it('connection.user is what authenticate returns for the handshake headers and URL', async () => {
      const requests: Array<{ url: unknown; auth: unknown }> = [];
      const who = new WhoAmI();
      t = await createTestApp({
        handlers: [who],
        authenticate: async (req) => {
          requests.push({ url: req.url, auth: req.headers.authorization });
          await Promise.resolve();
          if (req.headers.authorization === 'Bearer good') return { name: 'ann' };
          if (req.url?.includes('token=xyz')) return { name: 'bob' };
          return false;
        },
      });
      const ann = await t.connect({ headers: { Authorization: 'Bearer good' } });
      assert.deepEqual(ann.connection!.user, { name: 'ann' });
      assert.deepEqual((await ann.request('whoami', {})).data, { name: 'ann' });
      const bob = await t.connect({ url: '/ws?token=xyz' });
      assert.deepEqual(bob.connection!.user, { name: 'bob' });
      assert.deepEqual(requests, [
        { url: '/ws', auth: 'Bearer good' },
        { url: '/ws?token=xyz', auth: undefined },
      ]);
      assert.deepEqual(who.connected, [{ name: 'ann' }, { name: 'bob' }]);
    });

    for (const [what, result] of [
      ['false', false],
      ['null', null],
      ['undefined', undefined],
    ] as const) {
      it(`authenticate returning ${what} closes the client with 1008 'unauthorized' before any hook runs`, async () => {
        const who = new WhoAmI();
        t = await createTestApp({ handlers: [who], authenticate: () => result });
        const c = await t.connect({ headers: { authorization: 'Bearer nope' } });
        assert.equal(c.closed, true);
        assert.equal(c.closeCode, CloseCode.POLICY_VIOLATION);
        assert.equal(c.closeCode, 1008);
        assert.equal(c.closeReason, 'unauthorized');
        assert.equal(c.connection, undefined);
        assert.deepEqual(who.connected, [], 'no @OnConnect hook ran');
        assert.equal(t.app.openConnections.length, 0);
        assert.deepEqual(c.received, []);
      });
    }

    it("ConnectionRefused('bad token') closes with 1008 and that reason", async () => {
      const who = new WhoAmI();
      t = await createTestApp({
        handlers: [who],
        authenticate: async (req) => {
          await Promise.resolve();
          if (req.headers.authorization !== 'Bearer good') throw new ConnectionRefused('bad token');
          return 'ann';
        },
      });
      const refused = await t.connect({ headers: { authorization: 'Bearer forged' } });
      assert.equal(refused.closeCode, 1008);
      assert.equal(refused.closeReason, 'bad token');
      assert.deepEqual(who.connected, []);
      const ok = await t.connect({ headers: { authorization: 'Bearer good' } });
      assert.equal(ok.closed, false);
      assert.equal((await ok.request('whoami', {})).data, 'ann');
      assert.deepEqual(who.connected, ['ann']);
    });

    it('ConnectionRefused without a reason says unauthorized', async () => {
      t = await createTestApp({
        authenticate: () => {
          throw new ConnectionRefused();
        },
      });
      const c = await t.connect();
      assert.equal(c.closeCode, 1008);
      assert.equal(c.closeReason, 'unauthorized');
    });

    it('an authenticate that throws another error refuses with a generic reason and logs it', async () => {
      const who = new WhoAmI();
      t = await createTestApp({
        handlers: [who],
        authenticate: () => {
          throw new Error('token service at 10.0.0.7 is down');
        },
      });
      const c = await t.connect();
      assert.equal(c.closeCode, 1008);
      assert.equal(c.closeReason, 'unauthorized');
      assert.deepEqual(who.connected, []);
      assert.ok(t.logs.some((l) => l.level === 'error'));
    });
  });
});
