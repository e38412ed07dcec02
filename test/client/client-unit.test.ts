/**
 * carom/client over a fake WebSocket, on mocked timers: decoding hostile
 * frames, throwing listeners, the welcome, refusals, the subprotocol token,
 * the connect timeout, backoff, the heartbeat and drain delays.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ClientErrorCode, RequestError, type ClientState } from '../../src/client/index.js';
import { base64url } from '../../src/client/token.js';
import { fakeClients, lastId, settle, URL } from './fake-client.js';

const { setup, opened } = fakeClients();

/** Lets pending promise callbacks run (setImmediate is not mocked). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Fake timers and clock for one test. */
function fakeTime(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
}

function assertRequestError(error: unknown, code: string): RequestError {
  assert.ok(error instanceof RequestError, `expected a RequestError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

describe('carom/client decoding: frames that are not envelopes', () => {
  const hostile: Array<[string, unknown]> = [
    ['null', 'null'],
    ['a number', '5'],
    ['an array', '[1,2]'],
    ['a string', '"hello"'],
    ['not JSON', '{"event":'],
    ['an empty object', '{}'],
    ['a numeric event', '{"event":5,"data":{}}'],
    ['a null event', '{"event":null}'],
    ['an object id', '{"event":"ack","id":{"a":1},"data":1}'],
    ['a binary frame', new Uint8Array([1, 2, 3]).buffer],
    ['a Buffer-like object', { length: 3 }],
    ['undefined', undefined],
    ['an unsolicited error with null data', '{"event":"error","data":null}'],
    ['an unsolicited error with string data', '{"event":"error","data":"boom"}'],
    ['an unsolicited error with a numeric code', '{"event":"error","data":{"code":7}}'],
  ];

  for (const [what, frame] of hostile) {
    it(`${what}: ignored, reported as BAD_FRAME, and the client goes on`, async () => {
      const { c, last, errors } = opened();
      const seen: unknown[] = [];
      c.on('news', (d) => seen.push(d));
      assert.doesNotThrow(() => last().deliver(frame));
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.code, 'BAD_FRAME');
      assert.equal(typeof errors[0]!.message, 'string');
      assert.equal(c.state, 'open');
      const reply = c.request('chat', { text: 'after' });
      last().json({ event: 'ack', id: lastId(last()), data: { ok: true }, timestamp: 't' });
      assert.deepEqual(await reply, { ok: true });
      last().json({ event: 'news', data: 1, timestamp: 't' });
      assert.deepEqual(seen, [1]);
    });
  }

  it('a frame over maxPayload is dropped and reported; one at maxPayload is delivered', () => {
    const { c, last, errors } = opened({ maxPayload: 100 });
    const seen: unknown[] = [];
    c.on('news', (d) => seen.push(d));
    const base = JSON.stringify({ event: 'news', data: '', timestamp: 't' });
    const exactly = JSON.stringify({
      event: 'news',
      data: 'x'.repeat(100 - base.length),
      timestamp: 't',
    });
    assert.equal(exactly.length, 100);
    last().deliver(exactly);
    last().deliver(exactly.replace('"x', '"xx'));
    assert.equal(seen.length, 1);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'BAD_FRAME');
    assert.match(errors[0]!.message, /maxPayload/);
    assert.ok(String(errors[0]!.details).length <= 120, 'the report quotes a bounded preview');
  });

  it('a huge frame (8 MiB) is refused before JSON.parse', () => {
    const { last, errors } = opened();
    last().deliver(`{"event":"news","data":"${'x'.repeat(8 * 1024 * 1024)}"}`);
    assert.equal(errors[0]?.code, 'BAD_FRAME');
  });

  it('passes maxPayload (default 1 MiB) to the WebSocket constructor, for ws', () => {
    const { last } = setup();
    assert.deepEqual(last().options, { maxPayload: 1024 * 1024 });
    const other = setup({ maxPayload: 4096 });
    assert.deepEqual(other.last().options, { maxPayload: 4096 });
  });

  it('an ack or error with an id nobody waits for goes where it did: error to onError', () => {
    const { last, errors } = opened();
    last().json({ event: 'error', id: 99, data: { code: 'X', message: 'late' }, timestamp: 't' });
    assert.deepEqual(errors, [{ code: 'X', message: 'late' }]);
  });
});

describe('carom/client decoding: replies', () => {
  const badErrors: Array<[string, unknown]> = [
    ['null', null],
    ['a string', 'boom'],
    ['a number', 5],
    ['an array', [1]],
    ['an object without a code', { message: 'no code' }],
    ['a numeric code', { code: 5, message: 'x' }],
  ];
  for (const [what, data] of badErrors) {
    it(`an error reply whose data is ${what} rejects the request with BAD_REPLY`, async () => {
      const { c, last, errors } = opened();
      const reply = settle(c.request('chat', {}));
      last().json({ event: 'error', id: lastId(last()), data, timestamp: 't' });
      const err = assertRequestError((await reply).error, 'BAD_REPLY');
      assert.equal(err.event, 'chat');
      assert.deepEqual(err.details, data);
      assert.deepEqual(errors, []);
    });
  }

  it('an error reply with a code and no message takes the code as message', async () => {
    const { c, last } = opened();
    const reply = settle(c.request('chat', {}));
    last().json({ event: 'error', id: lastId(last()), data: { code: 'NOPE' }, timestamp: 't' });
    const err = assertRequestError((await reply).error, 'NOPE');
    assert.equal(err.message, 'NOPE');
    assert.equal(err.event, 'chat');
  });

  for (const data of [null, 5, {}, { events: 'news' }, { events: [1] }]) {
    it(`a subscribe ack with data ${JSON.stringify(data)} rejects with BAD_REPLY`, async () => {
      const { c, last } = opened();
      const reply = settle(c.subscribe(['news']));
      last().json({ event: 'ack', id: lastId(last()), data, timestamp: 't' });
      assertRequestError((await reply).error, 'BAD_REPLY');
      const un = settle(c.unsubscribe(['news']));
      last().json({ event: 'ack', id: lastId(last()), data, timestamp: 't' });
      assertRequestError((await un).error, 'BAD_REPLY');
    });
  }

  it('a subscribe error with malformed details.rejected rejects with its code, not a TypeError', async () => {
    const { c, last } = opened();
    for (const details of [null, 5, { rejected: 5 }, { rejected: [null, 5, { name: 7 }] }]) {
      const reply = settle(c.subscribe(['news']));
      const data = { code: 'UNKNOWN_EVENT', message: 'x', details };
      last().json({ event: 'error', id: lastId(last()), data, timestamp: 't' });
      assertRequestError((await reply).error, 'UNKNOWN_EVENT');
    }
    assert.deepEqual(c.subscriptions, ['news']);
  });
});

describe('carom/client: listeners that throw', () => {
  it('an on() listener that throws: the others run, onError gets LISTENER_ERROR with what it threw', () => {
    const { c, last, errors } = opened();
    const boom = new Error('listener bug');
    const seen: string[] = [];
    c.on('news', () => seen.push('first'));
    c.on('news', () => {
      throw boom;
    });
    c.on('news', () => seen.push('third'));
    assert.doesNotThrow(() => last().json({ event: 'news', data: {}, timestamp: 't' }));
    assert.deepEqual(seen, ['first', 'third']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'LISTENER_ERROR');
    assert.equal(errors[0]!.event, 'news');
    assert.match(errors[0]!.message, /listener bug/);
    assert.equal(errors[0]!.details, boom);
  });

  it('a hostile thrown value (a Proxy that throws on every trap) is reported too', () => {
    const { c, last, errors } = opened();
    const trap = () => {
      throw new Error('trap');
    };
    const hostile = new Proxy(
      {},
      { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap },
    );
    c.on('news', () => {
      throw hostile;
    });
    assert.doesNotThrow(() => last().json({ event: 'news', data: {}, timestamp: 't' }));
    assert.equal(errors[0]?.code, 'LISTENER_ERROR');
    assert.equal(typeof errors[0]?.message, 'string');
  });

  it('onState and onDrop listeners that throw are reported and the client goes on', () => {
    const { c, last, errors } = setup({ maxQueue: 1 });
    c.onState(() => {
      throw new Error('state bug');
    });
    c.onDrop(() => {
      throw new Error('drop bug');
    });
    const after: ClientState[] = [];
    c.onState((s) => after.push(s));
    last().accept('carom').welcome();
    assert.equal(c.state, 'open');
    assert.deepEqual(after, ['open'], 'the listener after the throwing one ran');
    assert.equal(errors[0]?.code, 'LISTENER_ERROR');
    assert.match(errors[0]!.message, /onState.*state bug/);
    c.close();
    c.emit('log', {});
    assert.equal(c.dropped, 1);
    assert.match(errors.at(-1)!.message, /onDrop.*drop bug/);
  });

  it('an onError listener that throws is swallowed; the other onError listeners still run', () => {
    const { c, last, errors } = opened();
    c.onError(() => {
      throw new Error('error listener bug');
    });
    const later: string[] = [];
    c.onError((e) => later.push(e.code));
    assert.doesNotThrow(() => last().deliver('null'));
    assert.deepEqual(later, ['BAD_FRAME']);
    assert.equal(errors.length, 1);
  });
});

describe('carom/client: subprotocol and token', () => {
  it('offers carom and carom.client.<id> without a token, and carom.token.<base64url> between them with one', () => {
    const plain = setup();
    assert.deepEqual(plain.last().protocols, ['carom', `carom.client.${plain.c.clientId}`]);
    const token = 'héllo ✓ 🙂 &=?';
    const { last, c } = setup({ token });
    const [first, entry = '', id] = last().protocols as string[];
    assert.equal(first, 'carom');
    assert.equal(id, `carom.client.${c.clientId}`);
    assert.ok(entry?.startsWith('carom.token.'), 'a token entry is offered');
    const encoded = entry.slice('carom.token.'.length);
    assert.match(encoded, /^[A-Za-z0-9_-]*$/);
    assert.equal(Buffer.from(encoded, 'base64url').toString('utf8'), token);
    assert.equal(last().url, URL, 'the token is not in the URL');
  });

  it('base64url agrees with Buffer for every padding length and for multi-byte text', () => {
    for (const text of [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      '\u00ff\u00fe',
      '🙂🙂🙂',
      '?>?>',
      'x'.repeat(70_000),
    ]) {
      assert.equal(
        base64url(text),
        Buffer.from(text, 'utf8').toString('base64url'),
        text.slice(0, 9),
      );
    }
  });

  it("tokenIn: 'query' puts the token in the query string and offers carom and the client's id", () => {
    const { last, c } = setup({ token: 'a b&c', tokenIn: 'query' });
    assert.equal(last().url, `${URL}?token=a%20b%26c`);
    assert.deepEqual(last().protocols, ['carom', `carom.client.${c.clientId}`]);
  });

  it('calls a token function on every connect attempt', async (t) => {
    fakeTime(t);
    let n = 0;
    const { last, sockets } = setup({
      token: async () => `t${++n}`,
      reconnect: { initialDelayMs: 10, jitter: 0 },
    });
    await flush();
    assert.equal(sockets.length, 1);
    assert.equal(Buffer.from(last().protocols![1]!.slice(12), 'base64url').toString(), 't1');
    last().drop(1006);
    t.mock.timers.tick(10);
    await flush();
    assert.equal(sockets.length, 2);
    assert.equal(Buffer.from(last().protocols![1]!.slice(12), 'base64url').toString(), 't2');
  });

  it('a token function that throws is reported as TOKEN_FAILED and the client retries', async (t) => {
    fakeTime(t);
    let calls = 0;
    const { c, sockets, errors } = setup({
      token: () => {
        calls++;
        if (calls === 1) throw new Error('refresh failed');
        return 'ok';
      },
      reconnect: { initialDelayMs: 10, jitter: 0 },
    });
    await flush();
    assert.equal(sockets.length, 0);
    assert.equal(c.state, 'reconnecting');
    assert.equal(errors[0]?.code, 'TOKEN_FAILED');
    assert.match(errors[0]!.message, /refresh failed/);
    t.mock.timers.tick(10);
    await flush();
    assert.equal(sockets.length, 1);
  });
});

describe('carom/client: the welcome', () => {
  it('with protocol carom, stays connecting until carom.welcome, then opens with its connection id', () => {
    const { c, last } = setup();
    c.emit('log', { n: 1 });
    last().accept('carom');
    assert.equal(c.state, 'connecting');
    assert.equal(c.connectionId, undefined);
    assert.deepEqual(last().frames, [], 'nothing is sent before the welcome');
    last().welcome('c7');
    assert.equal(c.state, 'open');
    assert.equal(c.connectionId, 'c7');
    assert.deepEqual(
      last().sent.map((e) => e.event),
      ['log'],
    );
  });

  it('a second welcome changes nothing; a welcome without a string id opens with no id', () => {
    const { c, last } = opened();
    last().welcome('c9');
    assert.equal(c.connectionId, 'c1');
    const other = setup();
    other.last().accept('carom').welcome(42);
    assert.equal(other.c.state, 'open');
    assert.equal(other.c.connectionId, undefined);
  });

  it('with no agreed subprotocol (an older server), opens at the socket open event', () => {
    const { c, last } = setup();
    last().accept('');
    assert.equal(c.state, 'open');
    assert.equal(c.connectionId, undefined);
  });

  it('forgets the connection id when the connection is lost, and takes the new one after the reconnect', (t) => {
    fakeTime(t);
    const { c, last } = opened({ reconnect: { initialDelayMs: 10, jitter: 0 } });
    last().drop(1006);
    assert.equal(c.connectionId, undefined);
    t.mock.timers.tick(10);
    last().accept('carom').welcome('c2');
    assert.equal(c.connectionId, 'c2');
  });
});

describe('carom/client: refusals', () => {
  it('a 1008 before the welcome: closed with the reason, no retry, ready() and requests reject REFUSED', async (t) => {
    fakeTime(t);
    const { c, last, sockets, log } = setup({ reconnect: { initialDelayMs: 10 } });
    const ready = settle(c.ready());
    const asked = settle(c.request('chat', {}));
    last().accept('carom');
    last().drop(1008, 'room is full');
    assert.equal(c.state, 'closed');
    assert.deepEqual(log.at(-1), {
      state: 'closed',
      info: { code: 1008, reason: 'room is full', willReconnect: false },
    });
    const err = assertRequestError((await ready).error, 'REFUSED');
    assert.match(err.message, /room is full/);
    assert.deepEqual(err.details, { code: 1008, reason: 'room is full' });
    assertRequestError((await asked).error, 'REFUSED');
    assertRequestError((await settle(c.request('chat', {}))).error, 'REFUSED');
    assertRequestError((await settle(c.ready())).error, 'REFUSED');
    t.mock.timers.tick(60_000);
    assert.equal(sockets.length, 1, 'no retry after a refusal');
  });

  it('emits queued when the client is refused are dropped and reported, not kept for ever', () => {
    const { c, last } = setup();
    const dropped: unknown[] = [];
    c.onDrop((event, data) => dropped.push([event, data]));
    c.emit('log', { n: 1 });
    c.emit('log', { n: 2 });
    last().accept('carom').drop(1008, 'unauthorized');
    assert.deepEqual(dropped, [
      ['log', { n: 1 }],
      ['log', { n: 2 }],
    ]);
    assert.equal(c.dropped, 2);
  });

  it('a 1008 after open rejects the pending requests with REFUSED', async () => {
    const { c, last } = opened();
    const asked = settle(c.request('chat', {}));
    last().drop(1008, 'kicked');
    assertRequestError((await asked).error, 'REFUSED');
    assert.equal(c.state, 'closed');
  });
});

describe('carom/client: connect timeout', () => {
  it('a socket that never opens is closed after connectTimeoutMs and the attempt retried', (t) => {
    fakeTime(t);
    const { c, sockets, log } = setup({
      connectTimeoutMs: 1000,
      reconnect: { initialDelayMs: 10, jitter: 0 },
    });
    t.mock.timers.tick(999);
    assert.equal(c.state, 'connecting');
    t.mock.timers.tick(1);
    assert.equal(c.state, 'reconnecting');
    assert.deepEqual(log.at(-1)?.info, {
      code: 4000,
      reason: 'connect timeout',
      willReconnect: true,
    });
    assert.ok(sockets[0]!.closedWith, 'the socket was closed');
    assert.equal(sockets[0]!.onclose, null, 'and detached');
    t.mock.timers.tick(10);
    assert.equal(sockets.length, 2);
  });

  it('a server that accepts with carom and never sends the welcome times out the same way', (t) => {
    fakeTime(t);
    const { c, last, sockets } = setup({
      connectTimeoutMs: 500,
      reconnect: { initialDelayMs: 10, jitter: 0 },
    });
    last().accept('carom');
    t.mock.timers.tick(500);
    assert.equal(c.state, 'reconnecting');
    assert.deepEqual(sockets[0]!.closedWith, { code: 4000, reason: 'connect timeout' });
    t.mock.timers.tick(10);
    last().accept('carom').welcome();
    assert.equal(c.state, 'open');
    t.mock.timers.tick(10_000);
    assert.equal(c.state, 'open', 'no timeout once open');
  });

  it('a token function that never settles is bounded by connectTimeoutMs too', async (t) => {
    fakeTime(t);
    let calls = 0;
    const { c, sockets } = setup({
      connectTimeoutMs: 100,
      token: () => {
        calls++;
        return new Promise<string>(() => undefined);
      },
      reconnect: { initialDelayMs: 10, jitter: 0 },
    });
    t.mock.timers.tick(100);
    assert.equal(c.state, 'reconnecting');
    t.mock.timers.tick(10);
    await flush();
    assert.equal(calls, 2);
    assert.equal(sockets.length, 0);
  });

  it('connectTimeoutMs 0 waits for ever', (t) => {
    fakeTime(t);
    const { c } = setup({ connectTimeoutMs: 0 });
    t.mock.timers.tick(3_600_000);
    assert.equal(c.state, 'connecting');
  });
});

describe('carom/client: backoff', () => {
  it('does not reset when a server accepts and closes at once: the delays keep growing', (t) => {
    fakeTime(t);
    const { sockets, last } = setup({
      reconnect: { initialDelayMs: 100, factor: 2, maxDelayMs: 100_000, jitter: 0 },
    });
    const delays: number[] = [];
    let at = 0;
    for (let attempt = 0; attempt < 6; attempt++) {
      last().accept('carom').welcome();
      last().drop(1011, 'connect hook failed');
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before && waited < 100_000) {
        t.mock.timers.tick(10);
        waited += 10;
      }
      delays.push(Date.now() - at);
      at = Date.now();
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200]);
  });

  it('starts again from initialDelayMs after a connection that stayed open stableAfterMs', (t) => {
    fakeTime(t);
    const { sockets, last } = setup({
      reconnect: { initialDelayMs: 100, factor: 2, jitter: 0, stableAfterMs: 1000 },
    });
    for (let i = 0; i < 3; i++) {
      last().accept('').drop(1006);
      t.mock.timers.tick(100 * 2 ** i);
    }
    assert.equal(sockets.length, 4);
    last().accept('');
    t.mock.timers.tick(1000);
    last().drop(1006);
    t.mock.timers.tick(99);
    assert.equal(sockets.length, 4);
    t.mock.timers.tick(1);
    assert.equal(sockets.length, 5, 'the delay went back to 100 ms');
  });
});

describe('carom/client: a backoff policy of your own', () => {
  it('waits what reconnect.backoff returns, with the attempt number and the close', (t) => {
    fakeTime(t);
    const calls: Array<[number, number, string]> = [];
    const { sockets, last } = setup({
      reconnect: {
        backoff: (attempt, close) => {
          calls.push([attempt, close.code, close.reason]);
          return [30, 70][attempt - 1] ?? 500;
        },
      },
    });
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      last().accept('').drop(1011, `bye ${i}`);
      const before = sockets.length;
      const from = Date.now();
      while (sockets.length === before) t.mock.timers.tick(1);
      waits.push(Date.now() - from);
    }
    assert.deepEqual(waits, [30, 70, 500]);
    assert.deepEqual(calls, [
      [1, 1011, 'bye 0'],
      [2, 1011, 'bye 1'],
      [3, 1011, 'bye 2'],
    ]);
  });

  for (const [what, policy] of [
    [
      'throws',
      () => {
        throw new Error('no idea');
      },
    ],
    ['returns NaN', () => Number.NaN],
    ['returns a negative delay', () => -5],
  ] as const) {
    it(`a policy that ${what} is reported as BACKOFF_FAILED and the retry waits maxDelayMs`, (t) => {
      fakeTime(t);
      const { sockets, last, errors } = setup({ reconnect: { backoff: policy, maxDelayMs: 400 } });
      last().accept('').drop(1006);
      assert.deepEqual(
        errors.map((e) => e.code),
        [ClientErrorCode.BACKOFF_FAILED],
      );
      assert.match(errors[0]!.message, /reconnect\.backoff/);
      t.mock.timers.tick(399);
      assert.equal(sockets.length, 1);
      t.mock.timers.tick(1);
      assert.equal(sockets.length, 2);
    });
  }
});

describe('carom/client: drain', () => {
  for (const code of [1012, 1001]) {
    it(`after a close with ${code}, waits a random delay within drainDelayMs, then backs off normally`, (t) => {
      fakeTime(t);
      t.mock.method(Math, 'random', () => 0.5);
      const { c, sockets, last, log } = opened({
        reconnect: { initialDelayMs: 100, jitter: 0, drainDelayMs: 4000 },
      });
      last().drop(code, 'server restarting');
      assert.equal(log.at(-1)?.info?.willReconnect, true);
      t.mock.timers.tick(1999);
      assert.equal(sockets.length, 1);
      t.mock.timers.tick(1);
      assert.equal(sockets.length, 2, 'reconnected after 0.5 × drainDelayMs');
      last().drop(1006);
      t.mock.timers.tick(100);
      assert.equal(sockets.length, 3, 'the first failure after a drain waits initialDelayMs');
      assert.equal(c.state, 'reconnecting');
    });
  }
});

describe('carom/client: heartbeat', () => {
  it('pings after heartbeatMs of silence and closes with 4000 when nothing answers', (t) => {
    fakeTime(t);
    const { c, last, sockets, log } = opened({
      heartbeatMs: 1000,
      reconnect: { initialDelayMs: 10, jitter: 0 },
    });
    const socket = last();
    t.mock.timers.tick(999);
    assert.deepEqual(socket.frames, []);
    t.mock.timers.tick(1);
    const ping = socket.sent[0]!;
    assert.equal(ping.event, 'carom.ping');
    assert.equal(typeof ping.id, 'number');
    assert.ok((ping.id as number) < 0, 'ping ids never meet request ids');
    t.mock.timers.tick(999);
    assert.equal(c.state, 'open');
    t.mock.timers.tick(1);
    assert.equal(c.state, 'reconnecting');
    assert.deepEqual(socket.closedWith, { code: 4000, reason: 'heartbeat timeout' });
    assert.deepEqual(log.at(-1)?.info, {
      code: 4000,
      reason: 'heartbeat timeout',
      willReconnect: true,
    });
    t.mock.timers.tick(10);
    assert.equal(sockets.length, 2);
  });

  it('any frame keeps the connection; the ping reply (ack, or an old server error) reaches no listener', (t) => {
    fakeTime(t);
    const { c, last, errors } = opened({ heartbeatMs: 1000 });
    const acks: unknown[] = [];
    c.on('ack', (d) => acks.push(d));
    const socket = last();
    for (let round = 0; round < 5; round++) {
      t.mock.timers.tick(1000);
      const ping = socket.sent.at(-1)!;
      assert.equal(ping.event, 'carom.ping');
      t.mock.timers.tick(500);
      const reply =
        round % 2 === 0
          ? { event: 'ack', id: ping.id, data: null, timestamp: 't' }
          : {
              event: 'error',
              id: ping.id,
              data: { code: 'UNKNOWN_EVENT', message: 'x' },
              timestamp: 't',
            };
      socket.json(reply);
    }
    assert.equal(c.state, 'open');
    assert.deepEqual(acks, []);
    assert.deepEqual(errors, []);
    // Steady traffic: no ping at all.
    const count = socket.frames.length;
    for (let i = 0; i < 10; i++) {
      t.mock.timers.tick(900);
      socket.json({ event: 'news', data: i, timestamp: 't' });
    }
    assert.equal(socket.frames.length, count);
    assert.equal(c.state, 'open');
  });

  it('is off by default', (t) => {
    fakeTime(t);
    const { c, last } = opened();
    t.mock.timers.tick(3_600_000);
    assert.deepEqual(last().frames, []);
    assert.equal(c.state, 'open');
  });
});
