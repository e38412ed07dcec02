/**
 * The per-client bounds of issue 8, through the testing kit: subscriptions
 * per connection, subscription names, acks built only when asked, run-time
 * channels, timestamps ahead of the clock, values validated per payload,
 * nesting depth, the client heartbeat, draining on `close({ graceMs })`, and
 * connect hooks that refuse.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  Carom,
  CaromError,
  ClientError,
  CloseCode,
  ErrorCode,
  Injectable,
  On,
  OnConnect,
  type Connection,
} from '../../src/index.js';
import { SubscriptionRequests } from '../../src/core/subscription-requests.js';
import {
  createTestApp,
  settle,
  type ReceivedEnvelope,
  type TestApp,
  type TestAppOptions,
  type TestClient,
} from '../../src/testing/index.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { failOnEscapes } from '../support/no-escapes.js';
import { ListHandler, RawListHandler } from '../support/list-handlers.js';

failOnEscapes();

const T0 = Date.UTC(2026, 0, 1);

const apps: TestApp[] = [];
afterEach(async () => {
  // A test that failed mid-drain leaves close() waiting on the fake clock: move it on.
  await Promise.all(
    apps.splice(0).map(async (a) => {
      const closing = a.close();
      await a.clock.advance(60_000);
      await closing;
    }),
  );
});

async function app(options: TestAppOptions = {}): Promise<TestApp> {
  const t = await createTestApp({ startTime: T0, ...options });
  apps.push(t);
  return t;
}

/** Every frame the client received parses as JSON. */
function frames(client: TestClient): ReceivedEnvelope[] {
  return client.socket.frames.map((text) => JSON.parse(text) as ReceivedEnvelope);
}

function assertError(reply: ReceivedEnvelope, code: string, event?: string): void {
  assert.equal(reply.event, 'error', JSON.stringify(reply).slice(0, 300));
  assert.equal(reply.data.code, code, reply.data.message);
  if (event !== undefined) assert.equal(reply.data.event, event);
}

// ---------------------------------------------------------------------------
// maxSubscriptions
// ---------------------------------------------------------------------------

describe('maxSubscriptions', () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const options: TestAppOptions = { maxSubscriptions: 5, topics: [...names, 'room.*'] };
  const held = (t: TestApp): number => {
    const s = t.app.stats().subscriptions;
    return s.exact + s.patterns + s.exclusions;
  };

  it('past the limit: LIMIT_EXCEEDED naming the refused, the others applied', async () => {
    const t = await app(options);
    const c = await t.connect();
    assert.equal((await c.subscribe('a', 'b', 'c')).event, 'ack');
    const reply = await c.subscribe('d', 'e', 'f', 'g');
    assertError(reply, ErrorCode.LIMIT_EXCEEDED, 'subscribe');
    assert.deepEqual(reply.data.details.rejected, [
      { name: 'f', code: ErrorCode.LIMIT_EXCEEDED },
      { name: 'g', code: ErrorCode.LIMIT_EXCEEDED },
    ]);
    assert.deepEqual(reply.data.details.events.sort(), ['a', 'b', 'c', 'd', 'e']);
    assert.match(reply.data.message, /at most 5/);
    assert.equal(t.app.subscribers('e').length, 1);
    assert.equal(t.app.subscribers('f').length, 0);
    assert.equal(held(t), 5);
    // Another connection has its own allowance.
    const other = await t.connect();
    assert.equal((await other.subscribe('a', 'b', 'c', 'd', 'e')).event, 'ack');
  });

  it('re-subscribing to a held name or pattern does not count', async () => {
    const t = await app(options);
    const c = await t.connect();
    assert.equal((await c.subscribe('a', 'b', 'c', 'd', 'room.*')).event, 'ack');
    const again = await c.subscribe('a', 'room.*', 'd');
    assert.equal(again.event, 'ack', JSON.stringify(again.data));
    assert.equal(held(t), 5);
    assertError(await c.subscribe('e'), ErrorCode.LIMIT_EXCEEDED);
  });

  it('lifting an exclusion does not count', async () => {
    const t = await app(options);
    const c = await t.connect();
    assert.equal((await c.subscribe('room.*')).event, 'ack');
    const ex = await c.unsubscribe('room.1', 'room.2', 'room.3', 'room.4');
    assert.equal(ex.event, 'ack');
    assert.deepEqual(ex.data.excluded.sort(), ['room.1', 'room.2', 'room.3', 'room.4']);
    assert.equal(held(t), 5);
    const lift = await c.subscribe('room.1');
    assert.equal(lift.event, 'ack', JSON.stringify(lift.data));
    assert.equal(held(t), 5);
    assert.equal(t.app.subscribers('room.1').length, 1);
    assertError(await c.subscribe('a'), ErrorCode.LIMIT_EXCEEDED);
  });

  it('an exclusion made by unsubscribe under * counts, and is refused at the limit', async () => {
    const t = await app(options);
    const c = await t.connect();
    assert.equal((await c.subscribe('*', 'a', 'b', 'c')).event, 'ack');
    assert.equal((await c.unsubscribe('d')).event, 'ack', 'an exclusion, the fifth entry');
    assert.equal(t.app.stats().subscriptions.exclusions, 1);
    const refused = await c.unsubscribe('e', 'f');
    assertError(refused, ErrorCode.LIMIT_EXCEEDED, 'unsubscribe');
    assert.deepEqual(
      refused.data.details.rejected.map((r: { name: string }) => r.name),
      ['e', 'f'],
    );
    assert.deepEqual(refused.data.details.excluded, ['d']);
    assert.equal(t.app.subscribers('e').length, 1, 'still covered by *');
    // Unsubscribing a pattern or a held name frees room.
    assert.equal((await c.unsubscribe('a')).event, 'ack');
  });

  it('unsubscribing a held exact name that a pattern covers is applied at the limit', async () => {
    const t = await app(options);
    const c = await t.connect();
    assert.equal((await c.subscribe('*', 'a', 'b', 'c', 'd')).event, 'ack');
    // 'a' leaves the exact names and becomes an exclusion under '*': one entry for another.
    const reply = await c.unsubscribe('a');
    assert.equal(reply.event, 'ack', JSON.stringify(reply.data));
    assert.deepEqual(reply.data.excluded, ['a']);
    assert.equal(t.app.subscribers('a').length, 0);
    assert.equal(held(t), 5);
  });

  it('a list longer than the limit is refused whole', async () => {
    const t = await app(options);
    const c = await t.connect();
    for (const action of ['subscribe', 'unsubscribe']) {
      const reply = await c.request(action, { events: ['a', 'b', 'c', 'd', 'e', 'f'] });
      assertError(reply, ErrorCode.LIMIT_EXCEEDED, action);
      assert.equal(reply.data.details.limit, 5);
    }
    assert.equal(held(t), 0);
  });

  it('a client cannot hold more than the default (1000)', async () => {
    const t = await app({ topics: ['n.*'] });
    const c = await t.connect();
    const first = Array.from({ length: 1000 }, (_, i) => `n.${i}`);
    assert.equal((await c.request('subscribe', { events: first }, { id: 'x' })).event, 'ack');
    const reply = await c.request('subscribe', { events: ['n.1000'] });
    assertError(reply, ErrorCode.LIMIT_EXCEEDED);
  });
});

// ---------------------------------------------------------------------------
// Subscription names
// ---------------------------------------------------------------------------

describe('subscription names', () => {
  const bad: ReadonlyArray<readonly [string, unknown]> = [
    ['longer than maxEventLength', 'x'.repeat(201)],
    ['with a control character', 'chat\nroom'],
    ['with DEL', 'chat\u007f'],
    ['with a C1 control', 'chat\u0085'],
    ['empty', ''],
    ['a number', 5],
    ['null', null],
    ['an object', { name: 'chat' }],
    ['an array', ['chat']],
    ['a misplaced *', 'a*b'],
  ];

  for (const action of ['subscribe', 'unsubscribe']) {
    for (const [what, name] of bad) {
      it(`${action}: a name ${what} is BAD_ENVELOPE`, async () => {
        const t = await app({ topics: ['chat'] });
        const c = await t.connect();
        const reply = await c.request(action, { events: ['chat', name] });
        assertError(reply, ErrorCode.BAD_ENVELOPE, action);
        assert.ok(c.socket.frames[0]!.length < 1000);
        // Nothing of the request is applied.
        assert.equal(t.app.subscribers('chat').length, 0);
        assert.equal(c.closed, false);
      });
    }

    it(`${action}: a 1 MB name is refused and not echoed back`, async () => {
      const t = await app({ topics: ['chat'] });
      const c = await t.connect();
      const reply = await c.request(action, { events: ['z'.repeat(1_000_000)] });
      assertError(reply, ErrorCode.BAD_ENVELOPE, action);
      assert.ok(c.socket.frames[0]!.length < 1000, `reply of ${c.socket.frames[0]!.length} chars`);
      assert.match(reply.data.message, /longer than 200/);
    });

    it(`${action}: a 1 MB name of 499,000 dots is refused on its length`, async () => {
      const t = await app({ topics: ['chat'] });
      const c = await t.connect();
      const name = `${'a.'.repeat(499_000)}*`;
      const reply = await c.request(action, { events: [name] });
      assertError(reply, ErrorCode.BAD_ENVELOPE, action);
      assert.match(reply.data.message, /longer than 200/);
      assert.ok(c.socket.frames[0]!.length < 1000);
      assert.equal((await c.request('carom.ping')).event, 'ack', 'still served');
    });

    it(`${action}: a list of 1000 bad names gets a bounded message`, async () => {
      const t = await app();
      const c = await t.connect();
      const events = Array.from({ length: 1000 }, (_, i) => `${i}\u0001`.padEnd(300, 'x'));
      const reply = await c.request(action, { events });
      assertError(reply, ErrorCode.BAD_ENVELOPE, action);
      assert.ok(c.socket.frames[0]!.length < 4000, `reply of ${c.socket.frames[0]!.length} chars`);
      assert.ok(reply.data.details.problems.length <= 10);
    });
  }

  it('data.events missing, empty or not an array is BAD_ENVELOPE', async () => {
    const t = await app({ topics: ['chat'] });
    const c = await t.connect();
    for (const data of [{}, { events: [] }, { events: 'chat' }, null, 'chat', [['chat']]]) {
      for (const action of ['subscribe', 'unsubscribe']) {
        assertError(await c.request(action, data), ErrorCode.BAD_ENVELOPE, action);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Acks of subscribe / unsubscribe
// ---------------------------------------------------------------------------

describe('subscription acks', () => {
  /** Counts `SubscriptionRequests.list` calls while `fn` runs. */
  async function listCalls(fn: () => Promise<void>): Promise<number> {
    const original = SubscriptionRequests.prototype.list;
    let calls = 0;
    SubscriptionRequests.prototype.list = function (this: SubscriptionRequests, session) {
      calls++;
      return original.call(this, session);
    };
    try {
      await fn();
    } finally {
      SubscriptionRequests.prototype.list = original;
    }
    return calls;
  }

  it('without an id: no ack, and the list is not built', async () => {
    const t = await app({ topics: ['a', 'b', 'room.*'] });
    const c = await t.connect();
    const calls = await listCalls(async () => {
      c.send('subscribe', { events: ['a', 'room.*'] });
      c.send('unsubscribe', { events: ['room.1'] });
      c.send('subscribe', { events: ['b'] });
      await t.idle();
    });
    assert.equal(calls, 0);
    assert.deepEqual(frames(c), []);
    assert.equal(t.app.subscribers('b').length, 1);
    assert.equal(t.app.subscribers('room.1').length, 0);
  });

  it('with an id: the ack lists the subscriptions and exclusions', async () => {
    const t = await app({ topics: ['a', 'b', 'room.*'] });
    const c = await t.connect();
    let reply: ReceivedEnvelope | undefined;
    const calls = await listCalls(async () => {
      reply = await c.subscribe('a', 'room.*');
    });
    assert.equal(calls, 1);
    assert.equal(reply!.event, 'ack');
    assert.deepEqual(reply!.data, { events: ['a', 'room.*'] });
    const un = await c.unsubscribe('room.1');
    assert.deepEqual(un.data, { events: ['a', 'room.*'], excluded: ['room.1'] });
  });

  it('a refusal without an id is still answered, without the list', async () => {
    const t = await app({ topics: ['a'], maxSubscriptions: 1 });
    const c = await t.connect();
    const calls = await listCalls(async () => {
      c.send('subscribe', { events: ['a'] });
      c.send('subscribe', { events: ['a.*'] });
      await t.idle();
    });
    assert.equal(calls, 0);
    const [error] = frames(c);
    assertError(error!, ErrorCode.LIMIT_EXCEEDED, 'subscribe');
    assert.equal(error!.data.details.events, undefined);
    assert.deepEqual(error!.data.details.rejected, [
      { name: 'a.*', code: ErrorCode.LIMIT_EXCEEDED },
    ]);
  });
});

// ---------------------------------------------------------------------------
// maxChannels
// ---------------------------------------------------------------------------

@Injectable()
class ChannelMaker {
  constructor(readonly app: Carom) {}

  @On('make', { dto: false })
  make(data: { name: string }): string {
    this.app.channels.create(data.name);
    return data.name;
  }
}

describe('maxChannels', () => {
  it('channels.create past the limit throws LIMIT_EXCEEDED; deleting one frees a slot', async () => {
    const t = await app({ maxChannels: 2 });
    t.app.channels.create('room.a');
    t.app.channels.create('room.b');
    assert.throws(
      () => t.app.channels.create('room.c'),
      (err: unknown) =>
        err instanceof CaromError &&
        err.code === ErrorCode.LIMIT_EXCEEDED &&
        /2 channels/.test(err.message),
    );
    assert.equal(t.app.channels.size, 2);
    assert.equal(t.app.channels.has('room.c'), false);
    assert.equal(t.app.channels.delete('room.a'), true);
    t.app.channels.create('room.c');
    assert.deepEqual(t.app.channels.list().sort(), ['room.b', 'room.c']);
  });

  it('a refused create does not use a slot (a taken name, then the limit)', async () => {
    const t = await app({ maxChannels: 2 });
    t.app.channels.create('room.a');
    assert.throws(() => t.app.channels.create('room.a'));
    t.app.channels.create('room.b');
    assert.equal(t.app.channels.size, 2);
  });

  it('from a handler: the client gets LIMIT_EXCEEDED', async () => {
    const t = await app({ maxChannels: 1, handlers: [ChannelMaker] });
    const c = await t.connect();
    assert.equal((await c.request('make', { name: 'room.1' })).event, 'ack');
    const reply = await c.request('make', { name: 'room.2' });
    assertError(reply, ErrorCode.LIMIT_EXCEEDED, 'make');
    assert.match(reply.data.message, /1 channels exist already/);
    t.app.channels.delete('room.1');
    assert.equal((await c.request('make', { name: 'room.2' })).event, 'ack');
  });
});

// ---------------------------------------------------------------------------
// maxClockSkewMs
// ---------------------------------------------------------------------------

class Notes {
  handled: string[] = [];
  @On('note', { dto: false })
  note(data: { by: string }): string {
    this.handled.push(data.by);
    return data.by;
  }
}

describe('maxClockSkewMs', () => {
  it('an envelope stamped in the year 9999 is BAD_ENVELOPE and moves no global watermark', async () => {
    const t = await app({ handlers: [Notes], staleness: { scope: 'global' } });
    const attacker = await t.connect();
    const honest = await t.connect();
    const future = await attacker.request(
      'note',
      { by: 'attacker' },
      { timestamp: '9999-12-31T23:59:59.999Z' },
    );
    assertError(future, ErrorCode.BAD_ENVELOPE, 'note');
    assert.match(future.data.message, /ahead of the server's clock/);
    const epoch = await attacker.request(
      'note',
      { by: 'attacker' },
      { timestamp: Date.UTC(9999, 0, 1) },
    );
    assertError(epoch, ErrorCode.BAD_ENVELOPE, 'note');
    await t.clock.advance(1);
    const reply = await honest.request('note', { by: 'honest' });
    assert.equal(reply.event, 'ack', JSON.stringify(reply.data));
    assert.equal((await attacker.request('note', { by: 'attacker' })).event, 'ack');
    assert.deepEqual(t.app.get(Notes).handled, ['honest', 'attacker']);
    assert.equal(attacker.closed, false);
  });

  it('within the tolerance ahead is accepted; one ms past it is not', async () => {
    const t = await app({ handlers: [Notes], staleness: { scope: 'off' } });
    const c = await t.connect();
    const at = await c.request('note', { by: 'edge' }, { timestamp: T0 + 60_000 });
    assert.equal(at.event, 'ack');
    const ahead = await c.request('note', { by: 'ahead' }, { timestamp: T0 + 30_000 });
    assert.equal(ahead.event, 'ack');
    const past = await c.request('note', { by: 'past' }, { timestamp: T0 + 60_001 });
    assertError(past, ErrorCode.BAD_ENVELOPE);
  });

  it('subscribe, unsubscribe and ping stamped too far ahead are refused too', async () => {
    const t = await app({ topics: ['chat'], maxClockSkewMs: 1000 });
    const c = await t.connect();
    for (const [event, data] of [
      ['subscribe', { events: ['chat'] }],
      ['unsubscribe', { events: ['chat'] }],
      ['carom.ping', undefined],
    ] as const) {
      assertError(
        await c.request(event, data, { timestamp: T0 + 1001 }),
        ErrorCode.BAD_ENVELOPE,
        event,
      );
    }
    assert.equal(t.app.subscribers('chat').length, 0);
    assert.equal(
      (await c.request('subscribe', { events: ['chat'] }, { timestamp: T0 + 1000 })).event,
      'ack',
    );
  });
});

// ---------------------------------------------------------------------------
// maxValidatedValues
// ---------------------------------------------------------------------------

describe('maxValidatedValues', () => {
  it('a payload of 120,000 nested items is VALIDATION_FAILED before validation; the handler never runs', async () => {
    const t = await app({ handlers: [ListHandler, RawListHandler] });
    const c = await t.connect();
    const items = Array.from({ length: 120_000 }, () => [0]);
    const data = { name: 'big', items };
    assert.ok(JSON.stringify(data).length < t.app.maxPayload, 'within maxPayload');
    const reply = await c.request('list', data);
    assertError(reply, ErrorCode.VALIDATION_FAILED, 'list');
    assert.match(reply.data.message, /more than 10000 values/);
    assert.deepEqual(reply.data.details, [
      { property: '', constraints: { maxValues: 'at most 10000 values' } },
    ]);
    assert.equal(t.app.get(ListHandler).calls, 0);
    // Not validated, so not bounded by it: a handler with { dto: false } gets it.
    assert.equal((await c.request('raw.list', data)).data, 120_000);
  });

  it('within the limit the payload is validated as usual', async () => {
    const t = await app({ handlers: [ListHandler], maxValidatedValues: 10 });
    const c = await t.connect();
    // 1 (the object) + 2 (its members) + 7 (items) = 10 values.
    const ok = await c.request('list', { name: 'n', items: [1, 2, 3, 4, 5, 6, 7] });
    assert.equal(ok.event, 'ack', JSON.stringify(ok.data));
    assert.equal(ok.data, 7);
    const bad = await c.request('list', { name: 5, items: [1] });
    assertError(bad, ErrorCode.VALIDATION_FAILED);
    assert.deepEqual(
      bad.data.details.map((d: { property: string }) => d.property),
      ['name'],
    );
    const over = await c.request('list', { name: 'n', items: [1, 2, 3, 4, 5, 6, 7, 8] });
    assertError(over, ErrorCode.VALIDATION_FAILED);
    assert.match(over.data.message, /more than 10 values/);
    assert.equal(t.app.get(ListHandler).calls, 1);
  });
});

// ---------------------------------------------------------------------------
// maxDepth
// ---------------------------------------------------------------------------

class Echo {
  @On('echo', { dto: false })
  echo(data: unknown): unknown {
    return data;
  }
}

function nested(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

describe('maxDepth', () => {
  it('data deeper than the limit is BAD_ENVELOPE and the connection stays open; at the limit it is accepted', async () => {
    const t = await app({ handlers: [Echo] });
    const c = await t.connect();
    const deep = await c.request('echo', nested(33));
    assertError(deep, ErrorCode.BAD_ENVELOPE, 'echo');
    assert.match(deep.data.message, /deeper than 32/);
    assert.equal(c.closed, false);
    const edge = await c.request('echo', nested(32));
    assert.equal(edge.event, 'ack');
    assert.deepEqual(edge.data, nested(32));
  });

  it('a frame 12,000 levels deep with a \\u escape and "constructor" in it is BAD_ENVELOPE', async () => {
    const t = await app({ handlers: [Echo] });
    const c = await t.connect();
    const text = `{"event":"echo","id":"deep","data":{"constructor":"\\u0041","x":${'['.repeat(12_000)}${']'.repeat(12_000)}}}`;
    const reply = c.next();
    c.sendRaw(text);
    const r = await reply;
    assertError(r, ErrorCode.BAD_ENVELOPE, 'echo');
    assert.equal(r.id, 'deep');
    assert.equal((await c.request('echo', { fine: true })).event, 'ack');
  });

  it('a smaller maxDepth is honoured, inside subscribe data too', async () => {
    const t = await app({ handlers: [Echo], maxDepth: 3, topics: ['chat'] });
    const c = await t.connect();
    assert.equal((await c.request('echo', nested(3))).event, 'ack');
    assertError(await c.request('echo', nested(4)), ErrorCode.BAD_ENVELOPE);
    assertError(
      await c.request('subscribe', { events: ['chat'], extra: nested(3) }),
      ErrorCode.BAD_ENVELOPE,
    );
    assert.equal(c.closed, false);
  });
});

// ---------------------------------------------------------------------------
// carom.ping
// ---------------------------------------------------------------------------

describe('carom.ping', () => {
  it('with an id is answered with an ack whose data is null; without one, with nothing', async () => {
    const t = await app();
    const c = await t.connect();
    const reply = await c.request('carom.ping', undefined, { id: 42 as unknown as string });
    assert.equal(reply.event, 'ack');
    assert.equal(reply.id, 42);
    assert.equal(reply.data, null);
    assert.ok(c.socket.frames[0]!.includes('"data":null'));
    c.clear();
    c.send('carom.ping');
    await t.idle();
    assert.deepEqual(frames(c), []);
  });
});

// ---------------------------------------------------------------------------
// close({ graceMs })
// ---------------------------------------------------------------------------

class Slow {
  readonly held: Array<Deferred<string>> = [];
  @On('hold', { dto: false })
  hold(): Promise<string> {
    const d = deferred<string>();
    this.held.push(d);
    return d.promise;
  }

  @On('ok')
  ok(): string {
    return 'ok';
  }
}

describe('app.close({ graceMs })', () => {
  it('a request in flight is answered, then its connection closes with 1012; new envelopes get UNAVAILABLE', async () => {
    const t = await app({ handlers: [Slow] });
    const c = await t.connect();
    c.send('hold', undefined, { id: 'h1' });
    c.send('ok', undefined, { id: 'queued' });
    await settle();
    const closing = t.app.close({ graceMs: 1000 });
    await t.clock.advance(0);
    assert.equal(c.closed, false, 'waits for what is in flight');
    const late = await c.request('ok', undefined, { id: 'late' });
    assertError(late, ErrorCode.UNAVAILABLE, 'ok');
    t.app.get(Slow).held[0]!.resolve('done');
    await settle(5);
    const replies = frames(c).map((e) => [e.id, e.event, e.event === 'ack' ? e.data : e.data.code]);
    assert.deepEqual(replies, [
      ['late', 'error', ErrorCode.UNAVAILABLE],
      ['h1', 'ack', 'done'],
      ['queued', 'ack', 'ok'],
    ]);
    assert.equal(c.closeCode, CloseCode.SERVICE_RESTART);
    assert.equal(c.closeReason, 'server restarting');
    await closing;
  });

  it('connections are closed one after another over the period, not all at once', async () => {
    const t = await app({ handlers: [Slow] });
    const clients: TestClient[] = [];
    for (let i = 0; i < 10; i++) clients.push(await t.connect());
    const closing = t.app.close({ graceMs: 1000 });
    let done = false;
    void closing.then(() => (done = true));
    const counts: number[] = [];
    for (let step = 0; step <= 10; step++) {
      await t.clock.advance(step === 0 ? 0 : 100);
      counts.push(clients.filter((c) => c.closed).length);
    }
    await closing;
    assert.ok(done);
    // Non-decreasing, never all at once, all of them by the end of the period.
    for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! >= counts[i - 1]!, String(counts));
    assert.ok(counts[0]! < clients.length / 2, `closed at once: ${counts.join(',')}`);
    assert.ok(new Set(counts).size >= 5, `too few steps: ${counts.join(',')}`);
    assert.equal(counts.at(-1), clients.length);
    // Spread over 80% of the period: all are gone by 800 ms.
    assert.equal(counts[8], clients.length, counts.join(','));
    for (const c of clients) assert.equal(c.closeCode, CloseCode.SERVICE_RESTART);
  });

  it('what is left at the end closes with 1001 and its queued envelopes get UNAVAILABLE', async () => {
    const t = await app({ handlers: [Slow] });
    const idle = await t.connect();
    const stuck = await t.connect();
    stuck.send('hold', undefined, { id: 'h' });
    stuck.send('ok', undefined, { id: 'q1' });
    stuck.send('ok', undefined, { id: 'q2' });
    await settle();
    const closing = t.app.close({ graceMs: 1000 });
    await t.clock.advance(999);
    assert.equal(idle.closeCode, CloseCode.SERVICE_RESTART);
    assert.equal(stuck.closed, false);
    await t.clock.advance(1);
    await closing;
    assert.equal(stuck.closeCode, CloseCode.GOING_AWAY);
    assert.deepEqual(
      frames(stuck).map((e) => [e.id, e.data.code]),
      [
        ['q1', ErrorCode.UNAVAILABLE],
        ['q2', ErrorCode.UNAVAILABLE],
      ],
    );
    // The handler finishing late writes nothing to the closed connection.
    t.app.get(Slow).held[0]!.resolve('late');
    await settle();
    assert.equal(frames(stuck).length, 2);
  });

  it('graceMs must be 0 or a positive number', async () => {
    const t = await app();
    await assert.rejects(t.app.close({ graceMs: -1 }), /graceMs/);
    await assert.rejects(t.app.close({ graceMs: Number.NaN }), /graceMs/);
  });

  it('a connection made during the drain is refused with 1001', async () => {
    const t = await app({ handlers: [Slow] });
    const first = await t.connect();
    const closing = t.app.close({ graceMs: 1000 });
    const late = await t.connect();
    assert.equal(late.closeCode, CloseCode.GOING_AWAY);
    assert.equal(first.closed, false);
    await t.clock.advance(1000);
    await closing;
    assert.equal(first.closeCode, CloseCode.SERVICE_RESTART);
  });
});

// ---------------------------------------------------------------------------
// Connect hooks that refuse
// ---------------------------------------------------------------------------

class Gate {
  @OnConnect()
  check(connection: Connection): void {
    if (connection.user === 'banned') throw new ClientError('banned');
    if (connection.user === 'broken') throw new Error('db down at 10.0.0.5');
  }
}

class AsyncGate {
  @OnConnect()
  async check(connection: Connection): Promise<void> {
    await null;
    if (connection.user === 'banned') throw new ClientError('banned');
    if (connection.user === 'broken') throw new Error('db down at 10.0.0.5');
  }
}

describe('connect hooks', () => {
  for (const gate of [Gate, AsyncGate]) {
    it(`${gate.name}: a ClientError closes with 1008 and its message; logged`, async () => {
      const t = await app({ handlers: [gate, Slow] });
      const c = await t.connect({ user: 'banned' });
      await settle();
      assert.equal(c.closeCode, CloseCode.POLICY_VIOLATION);
      assert.equal(c.closeReason, 'banned');
      assert.ok(
        t.logs.some((l) => l.args.some((a) => typeof a === 'string' && /refused.*banned/.test(a))),
      );
      assert.deepEqual(frames(c), [], 'nothing else is sent');
      const ok = await t.connect({ user: 'fine' });
      assert.equal((await ok.request('ok')).data, 'ok');
    });

    it(`${gate.name}: a plain Error closes with 1011 without its message; logged`, async () => {
      const t = await app({ handlers: [gate, Slow] });
      const c = await t.connect({ user: 'broken' });
      await settle();
      assert.equal(c.closeCode, CloseCode.INTERNAL_ERROR);
      assert.equal(c.closeReason, 'connect hook failed');
      assert.ok(
        t.logs.some(
          (l) =>
            l.level === 'error' &&
            l.args.some((a) => a instanceof Error && /db down/.test(a.message)),
        ),
      );
      const ok = await t.connect({ user: 'fine' });
      assert.equal((await ok.request('ok')).data, 'ok');
    });
  }

  it('envelopes sent while the hook runs are never handled when it refuses', async () => {
    const gate = deferred();
    class HeldGate {
      @OnConnect()
      check(): Promise<void> {
        return gate.promise;
      }
    }
    const t = await app({ handlers: [HeldGate, Slow] });
    const c = await t.connect({ user: 'banned' });
    c.send('ok', undefined, { id: 'early' });
    c.send('hold', undefined, { id: 'early2' });
    await settle();
    assert.deepEqual(frames(c), [], 'waiting for the hook');
    gate.reject(new ClientError('banned'));
    await settle();
    assert.equal(c.closeCode, CloseCode.POLICY_VIOLATION);
    assert.deepEqual(frames(c), []);
    assert.equal(t.app.get(Slow).held.length, 0, 'no handler ran');
    assert.equal(t.app.stats().pending, 0);
  });
});
