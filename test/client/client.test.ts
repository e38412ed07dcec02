/**
 * carom/client under Node (over the `ws` package) against real carom apps on
 * 127.0.0.1: listening, requests and their errors, states, reconnection to a
 * new app on the same port with resubscription and queued emits, refusals.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { IsNotEmpty, IsString } from 'class-validator';
import {
  Carom,
  Handler,
  Injectable,
  On,
  Payload,
  Sender,
  Topic,
  ConnectionRefused,
  readToken,
  type CaromOptions,
  type HandshakeRequest,
} from '../../src/index.js';
import {
  CaromClient,
  RequestError,
  connect,
  type ClientOptions,
  type ClientState,
  type CloseInfo,
  type ServerEnvelope,
  type ServerError,
} from '../../src/client/index.js';
import { eventually, within } from '../support/wait.js';
import { ackLists } from '../support/subscription-ack.js';

/**
 * Fast reconnection, so that tests do not sit through the default backoff; an
 * app's close() ends connections with 1001, after which the client waits up to
 * drainDelayMs.
 */
const FAST = { initialDelayMs: 20, maxDelayMs: 100, drainDelayMs: 20 } as const;

/** One state change as `onState` reported it. */
interface Transition {
  readonly state: ClientState;
  readonly info: CloseInfo | undefined;
}

/** Records every state change of `client` from now on. */
function record(client: CaromClient<any>): Transition[] {
  const log: Transition[] = [];
  client.onState((state, info) => log.push({ state, info }));
  return log;
}

/** The states of a log with repeats collapsed (each failed retry reports `reconnecting` again). */
function states(log: readonly Transition[]): ClientState[] {
  const out: ClientState[] = [];
  for (const t of log) if (out[out.length - 1] !== t.state) out.push(t.state);
  return out;
}

/** Waits until the client is in `state`. */
function reach(client: CaromClient<any>, state: ClientState): Promise<void> {
  return eventually(
    () => client.state === state,
    `waiting for state '${state}' (now '${client.state}')`,
  );
}

/** Asserts that `promise` rejects with a RequestError of `code`, and returns the error. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<RequestError> {
  let caught: unknown;
  await within(
    promise.then(
      (value) => {
        throw new Error(`expected a ${code} rejection, resolved with ${JSON.stringify(value)}`);
      },
      (err: unknown) => {
        caught = err;
      },
    ),
    `waiting for a ${code} rejection`,
  );
  assert.ok(caught instanceof RequestError, `expected a RequestError, got ${String(caught)}`);
  assert.equal(caught.name, 'RequestError');
  assert.equal(caught.code, code, `code (message: ${caught.message})`);
  return caught;
}

// ---------------------------------------------------------------------------
// The server side: a service, a handler class with a DTO, a controller, senders
// ---------------------------------------------------------------------------

/** What one app's handlers saw; a gate that holds the `slow` handler until released. */
@Injectable()
class Inbox {
  readonly chats: string[] = [];
  readonly logged: number[] = [];
  slowCalls = 0;
  private open: () => void = () => undefined;
  readonly gate = new Promise<void>((resolve) => {
    this.open = resolve;
  });

  release(): void {
    this.open();
  }
}

class ChatDto {
  @IsString()
  @IsNotEmpty()
  text!: string;
}

@On('chat')
class ChatHandler extends Handler<ChatDto, { ok: boolean; text: string }> {
  constructor(private readonly inbox: Inbox) {
    super();
  }

  handle(@Payload() data: ChatDto) {
    this.inbox.chats.push(data.text);
    return { ok: true, text: data.text };
  }
}

@Injectable()
class Api {
  constructor(private readonly inbox: Inbox) {}

  /** Records `n`; acks with null. */
  @On('log')
  log(data: { n: number }) {
    this.inbox.logged.push(data.n);
  }

  /** Never answers until the test releases the gate. */
  @On('slow')
  slow() {
    this.inbox.slowCalls++;
    return this.inbox.gate;
  }
}

@Topic('news')
class NewsSender extends Sender<{ n: number }> {}

@Topic('alerts')
class AlertSender extends Sender<{ level: string }> {}

const apps: Carom[] = [];
const clients: CaromClient<any>[] = [];

/** A listening app (on `port`, or a free one) with the handlers and senders above. */
async function serve(options: CaromOptions = {}, port = 0) {
  const app = new Carom({
    handlers: [ChatHandler, Api],
    providers: [Inbox],
    senders: [NewsSender, AlertSender],
    topics: ['room.*'],
    logLevel: 'fatal',
    ...options,
  });
  apps.push(app);
  const address = await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    inbox: app.get(Inbox),
    port: address.port,
    url: `ws://127.0.0.1:${address.port}/ws`,
  };
}

/** A client that afterEach closes. */
function client(url: string, options: ClientOptions = {}): CaromClient {
  const c = connect(url, options);
  clients.push(c);
  return c;
}

/** Collects the data of `events` as [event, data] pairs, in arrival order. */
function collect(c: CaromClient, events: string[]): Array<[string, unknown]> {
  const got: Array<[string, unknown]> = [];
  for (const event of events) c.on(event, (data) => got.push([event, data]));
  return got;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const app of apps.splice(0)) {
    app.get(Inbox).release();
    await app.close();
  }
});

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe('carom/client: listening with on()', () => {
  it('calls one handler with the published data and the envelope', async () => {
    const { app, url } = await serve();
    const c = client(url);
    await within(c.ready(), 'opening');
    await c.subscribe(['news']);
    const got: Array<[unknown, ServerEnvelope]> = [];
    c.on('news', (data, envelope) => got.push([data, envelope]));
    assert.equal(await app.get(NewsSender).send({ n: 1 }), 1);
    await eventually(() => got.length === 1, 'the news');
    const [data, envelope] = got[0]!;
    assert.deepEqual(data, { n: 1 });
    assert.equal(envelope.event, 'news');
    assert.deepEqual(envelope.data, { n: 1 });
    assert.equal(typeof envelope.timestamp, 'string');
    assert.equal(envelope.id, undefined);
  });

  it('calls several handlers of one event; the function on() returns, and off(), stop one each', async () => {
    const { app, url } = await serve();
    const c = client(url);
    await within(c.ready(), 'opening');
    await c.subscribe(['news', 'alerts']);
    const first: unknown[] = [];
    const second: unknown[] = [];
    const alerts: unknown[] = [];
    const stopFirst = c.on('news', (d) => first.push(d));
    const secondFn = (d: unknown) => second.push(d);
    c.on('news', secondFn);
    c.on('alerts', (d) => alerts.push(d));
    const news = app.get(NewsSender);

    await news.send({ n: 1 });
    await app.get(AlertSender).send({ level: 'low' });
    await eventually(() => alerts.length === 1, 'the alert');
    assert.deepEqual(first, [{ n: 1 }]);
    assert.deepEqual(second, [{ n: 1 }]);
    assert.deepEqual(alerts, [{ level: 'low' }], 'news handlers see no alerts and vice versa');

    stopFirst();
    await news.send({ n: 2 });
    await eventually(() => second.length === 2, 'the second news');
    assert.deepEqual(first, [{ n: 1 }], 'the stopped handler is not called');

    c.off('news', secondFn);
    const third: unknown[] = [];
    c.on('news', (d) => third.push(d));
    await news.send({ n: 3 });
    await eventually(() => third.length === 1, 'the third news');
    assert.deepEqual(second, [{ n: 1 }, { n: 2 }], 'off() stops the handler');
    assert.deepEqual(first, [{ n: 1 }]);
  });
});

describe('carom/client: subscribe, emit, request', () => {
  it('subscribe resolves with the list the ack carries, and unsubscribe with what remains', async () => {
    const { app, url } = await serve();
    const c = client(url);
    await within(c.ready(), 'opening');
    assert.deepEqual(ackLists(await c.subscribe(['news'])), { events: ['news'], excluded: [] });
    assert.deepEqual((await c.subscribe(['room.*', 'alerts'])).events.sort(), [
      'alerts',
      'news',
      'room.*',
    ]);
    assert.deepEqual(c.subscriptions.sort(), ['alerts', 'news', 'room.*']);
    assert.equal(app.subscribers('room.kitchen').length, 1);
    assert.deepEqual((await c.unsubscribe(['alerts'])).events.sort(), ['news', 'room.*']);
    assert.equal(app.subscribers('alerts').length, 0);
    assert.deepEqual(c.subscriptions.sort(), ['news', 'room.*']);
  });

  it('a subscribe made before the connection opens is sent once it opens', async () => {
    const { app, url } = await serve();
    const c = client(url);
    assert.equal(c.state, 'connecting');
    assert.deepEqual((await within(c.subscribe(['news']), 'subscribing')).events, ['news']);
    assert.equal(app.subscribers('news').length, 1);
  });

  it('emit is fire-and-forget and reaches the handler', async () => {
    const { inbox, url } = await serve();
    const c = client(url);
    await within(c.ready(), 'opening');
    assert.equal(c.emit('log', { n: 7 }), undefined);
    c.emit('chat', { text: 'hello' });
    await eventually(() => inbox.logged.length === 1 && inbox.chats.length === 1, 'the emits');
    assert.deepEqual(inbox.logged, [7]);
    assert.deepEqual(inbox.chats, ['hello']);
    assert.equal(c.dropped, 0);
  });

  it('an emit after close() is dropped, counted and reported', async () => {
    const { inbox, url } = await serve();
    const c = client(url);
    await within(c.ready(), 'opening');
    const reported: string[] = [];
    c.onDrop((event) => reported.push(event));
    c.close();
    c.emit('log', { n: 1 });
    assert.equal(c.dropped, 1);
    assert.deepEqual(reported, ['log']);
    assert.deepEqual(inbox.logged, []);
  });

  it('request resolves with the ack data (null when the handler returns nothing)', async () => {
    const { inbox, url } = await serve();
    const c = client(url);
    assert.deepEqual(await within(c.request('chat', { text: 'hi' }), 'the chat ack'), {
      ok: true,
      text: 'hi',
    });
    assert.equal(await within(c.request('log', { n: 1 }), 'the log ack'), null);
    assert.deepEqual(inbox.chats, ['hi']);
    assert.deepEqual(inbox.logged, [1]);
  });

  it('request rejects with VALIDATION_FAILED, the message and details of the error envelope', async () => {
    const { inbox, url } = await serve();
    const c = client(url);
    const err = await rejectsWith(c.request('chat', { text: 5 }), 'VALIDATION_FAILED');
    assert.equal(err.event, 'chat');
    assert.match(err.message, /text/);
    assert.ok(Array.isArray(err.details), `details: ${JSON.stringify(err.details)}`);
    const details = err.details as Array<{ property: string; constraints: Record<string, string> }>;
    assert.deepEqual(
      details.map((d) => d.property),
      ['text'],
    );
    assert.ok('isString' in details[0]!.constraints, JSON.stringify(details));
    assert.deepEqual(inbox.chats, [], 'the handler did not run');
    // The connection is still usable.
    assert.deepEqual(await within(c.request('chat', { text: 'ok' }), 'a good chat'), {
      ok: true,
      text: 'ok',
    });
  });

  it('request rejects with UNKNOWN_EVENT for an event without a handler', async () => {
    const { url } = await serve();
    const c = client(url);
    const err = await rejectsWith(c.request('nope', {}), 'UNKNOWN_EVENT');
    assert.equal(err.event, 'nope');
    assert.match(err.message, /nope/);
  });

  it('request rejects with TIMEOUT when no reply comes within timeoutMs', async () => {
    const { inbox, url } = await serve();
    const c = client(url);
    // Open first: the 30 ms are for the reply, not for the handshake and the welcome.
    await within(c.ready(), 'opening');
    const err = await rejectsWith(c.request('slow', {}, { timeoutMs: 30 }), 'TIMEOUT');
    assert.equal(err.event, 'slow');
    assert.equal(inbox.slowCalls, 1);
    assert.equal(c.state, 'open');
  });

  it('requestTimeoutMs sets the default timeout', async () => {
    const { url } = await serve();
    const c = client(url, { requestTimeoutMs: 30 });
    await rejectsWith(c.request('slow', {}), 'TIMEOUT');
  });
});

describe('carom/client: states, errors, close', () => {
  it('onState reports connecting -> open -> closed on close()', async () => {
    const { url } = await serve();
    const c = client(url);
    assert.equal(c.state, 'connecting');
    const log = record(c);
    await within(c.ready(), 'opening');
    assert.equal(c.state, 'open');
    c.close();
    assert.equal(c.state, 'closed');
    assert.deepEqual(states(log), ['open', 'closed']);
    assert.equal(log.length, 2);
    const info = log[1]!.info;
    assert.equal(info?.code, 1000);
    assert.equal(info?.willReconnect, false);
    c.close();
    assert.equal(log.length, 2, 'closing twice reports nothing more');
    await rejectsWith(c.ready(), 'CLOSED');
    await rejectsWith(c.request('chat', { text: 'late' }), 'CLOSED');
  });

  it('the function onState returns stops the listener', async () => {
    const { url } = await serve();
    const c = client(url);
    const seen: ClientState[] = [];
    const stop = c.onState((s) => seen.push(s));
    await within(c.ready(), 'opening');
    stop();
    c.close();
    assert.deepEqual(seen, ['open']);
  });

  it('close() rejects pending requests with CLOSED', async () => {
    const { inbox, url } = await serve();
    const c = client(url);
    const pending = c.request('slow', {});
    await eventually(() => inbox.slowCalls === 1, 'the slow handler starting');
    c.close();
    const err = await rejectsWith(pending, 'CLOSED');
    assert.equal(err.event, 'slow');
  });

  it('close() while reconnecting stops the retries', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: FAST });
    await within(c.ready(), 'opening');
    const log = record(c);
    await first.app.close();
    await reach(c, 'reconnecting');
    c.close();
    assert.equal(c.state, 'closed');
    const after = log.length;
    let attempts = 0;
    await serve(
      {
        authenticate: () => {
          attempts++;
          return {};
        },
      },
      first.port,
    );
    // A bounded observation window, several times the longest retry delay.
    await delay(400);
    assert.equal(attempts, 0, 'the closed client connected again');
    assert.equal(c.state, 'closed');
    assert.equal(log.length, after, 'no state change after close()');
  });

  it('onError receives error envelopes that answer no request; request errors do not reach it', async () => {
    const { url } = await serve();
    const c = client(url);
    const errors: ServerError[] = [];
    c.onError((e) => errors.push(e));
    await rejectsWith(c.request('nope', {}), 'UNKNOWN_EVENT');
    c.emit('missing', { x: 1 });
    await eventually(() => errors.length === 1, 'the error envelope');
    assert.equal(errors[0]!.code, 'UNKNOWN_EVENT');
    assert.equal(errors[0]!.event, 'missing');
    assert.match(errors[0]!.message, /missing/);
    // A round trip after it: nothing else arrived on onError.
    await within(c.request('chat', { text: 'after' }), 'a round trip');
    assert.equal(errors.length, 1);
  });

  it('the function onError returns stops the listener', async () => {
    const { url } = await serve();
    const c = client(url);
    const errors: ServerError[] = [];
    const stop = c.onError((e) => errors.push(e));
    await within(c.ready(), 'opening');
    c.emit('missing', {});
    await eventually(() => errors.length === 1, 'the first error');
    stop();
    c.emit('missing', {});
    await within(c.request('chat', { text: 'barrier' }), 'a round trip');
    assert.equal(errors.length, 1);
  });
});

/** The token a handshake carried in its `carom.token.` subprotocol entry, decoded. */
function protocolToken(request: HandshakeRequest): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  const offered = String(header ?? '')
    .split(',')
    .map((p) => p.trim());
  const entry = offered.find((p) => p.startsWith('carom.token.'));
  if (entry === undefined) return undefined;
  return Buffer.from(entry.slice('carom.token.'.length), 'base64url').toString('utf8');
}

describe('carom/client: authentication', () => {
  it('offers carom first and the token in a carom.token.<base64url> subprotocol entry, not in the URL', async () => {
    const seen: HandshakeRequest[] = [];
    const { url } = await serve({
      authenticate: (request) => {
        seen.push(request);
        return { name: 'ann' };
      },
    });
    const token = 's3cret &=?/ token, é ✓ 🙂';
    const c = client(url, { token });
    await within(c.ready(), 'opening');
    const plain = client(url);
    await within(plain.ready(), 'opening without a token');
    assert.equal(seen.length, 2);
    const offered = String(seen[0]!.headers['sec-websocket-protocol']).split(/\s*,\s*/);
    assert.equal(offered[0], 'carom');
    assert.equal(offered.length, 3);
    assert.match(offered[1]!, /^carom\.token\.[A-Za-z0-9_-]+$/, 'base64url without padding');
    assert.equal(offered[2], `carom.client.${c.clientId}`);
    assert.equal(protocolToken(seen[0]!), token);
    assert.doesNotMatch(seen[0]!.url ?? '', /token/);
    assert.equal(
      seen[1]!.headers['sec-websocket-protocol'],
      `carom,carom.client.${plain.clientId}`,
    );
    assert.equal(protocolToken(seen[1]!), undefined);
  });

  it("with tokenIn: 'query', sends the token in the query string, where readToken finds it", async () => {
    const seen: Array<{ token: string | undefined; url: string | undefined }> = [];
    const authenticate = (request: HandshakeRequest) => {
      seen.push({ token: readToken(request), url: request.url });
      return { name: 'ann' };
    };
    const { url } = await serve({ authenticate });
    const c = client(url, { token: 's3cret &=?/ token', tokenIn: 'query' });
    await within(c.ready(), 'opening');
    const other = client(`${url}?room=blue`, { token: 'second', tokenIn: 'query' });
    await within(other.ready(), 'opening the second');
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.token, 's3cret &=?/ token');
    assert.equal(seen[1]!.token, 'second');
    assert.equal(new URLSearchParams(seen[1]!.url!.split('?')[1]).get('room'), 'blue');
  });

  it('calls a token function (sync or async) on every connect, so a reconnect carries a fresh token', async () => {
    const seen: Array<string | undefined> = [];
    const authenticate = (request: HandshakeRequest) => {
      seen.push(protocolToken(request));
      return {};
    };
    const first = await serve({ authenticate });
    let n = 0;
    const sync = client(first.url, { reconnect: FAST, token: () => `sync-${++n}` });
    let m = 0;
    const async = client(first.url, {
      reconnect: FAST,
      token: async () => {
        await delay(1);
        return `async-${++m}`;
      },
    });
    await within(Promise.all([sync.ready(), async.ready()]), 'opening');
    await first.app.close();
    await reach(sync, 'reconnecting');
    await reach(async, 'reconnecting');
    await serve({ authenticate }, first.port);
    await within(Promise.all([sync.ready(), async.ready()]), 'reopening');
    // Every attempt calls the function, the ones that found no server listening too.
    assert.deepEqual(
      seen.filter((t) => t?.startsWith('sync')),
      ['sync-1', `sync-${n}`],
    );
    assert.deepEqual(
      seen.filter((t) => t?.startsWith('async')),
      ['async-1', `async-${m}`],
    );
    assert.ok(n >= 2 && m >= 2);
  });

  it('a refusal ends in closed with 1008 and its reason, no reconnect; ready() and requests reject REFUSED', async () => {
    let attempts = 0;
    const { url } = await serve({
      authenticate: () => {
        attempts++;
        throw new ConnectionRefused('token expired');
      },
    });
    const c = client(url, { reconnect: FAST, token: 'wrong' });
    const log = record(c);
    const asked = rejectsWith(c.request('chat', { text: 'before' }), 'REFUSED');
    const ready = rejectsWith(c.ready(), 'REFUSED');
    await reach(c, 'closed');
    const last = log[log.length - 1]!;
    assert.equal(last.state, 'closed');
    assert.equal(last.info?.code, 1008);
    assert.equal(last.info?.reason, 'token expired');
    assert.equal(last.info?.willReconnect, false);
    const err = await ready;
    assert.match(err.message, /token expired/);
    assert.deepEqual(err.details, { code: 1008, reason: 'token expired' });
    await asked;
    await rejectsWith(c.request('chat', { text: 'after' }), 'REFUSED');
    await rejectsWith(c.ready(), 'REFUSED');
    // A bounded observation window, several times the longest retry delay.
    await delay(400);
    assert.equal(attempts, 1, 'the refused client tried again');
    assert.equal(c.state, 'closed');
    assert.ok(!states(log).includes('reconnecting'), JSON.stringify(states(log)));
  });

  it('authenticate returning false is a refusal with the reason unauthorized', async () => {
    const { url } = await serve({ authenticate: () => false });
    const c = client(url, { reconnect: FAST });
    const err = await rejectsWith(c.ready(), 'REFUSED');
    assert.match(err.message, /unauthorized/);
    assert.equal(c.state, 'closed');
  });
});

describe('carom/client: reconnecting to a new app on the same port', () => {
  it('goes reconnecting -> open and resubscribes: exact names, a pattern, * with an exclusion', async () => {
    const first = await serve();
    const a = client(first.url, { reconnect: FAST });
    const b = client(first.url, { reconnect: FAST });
    const aLog = record(a);
    const bLog = record(b);
    await within(Promise.all([a.ready(), b.ready()]), 'opening both');
    assert.deepEqual((await a.subscribe(['news'])).events, ['news']);
    assert.deepEqual((await a.subscribe(['room.*'])).events.sort(), ['news', 'room.*']);
    assert.deepEqual(ackLists(await b.subscribe(['*'])), { events: ['*'], excluded: [] });
    assert.deepEqual(ackLists(await b.unsubscribe(['alerts'])), {
      events: ['*'],
      excluded: ['alerts'],
    });
    const aGot = collect(a, ['news', 'alerts', 'room.a']);
    const bGot = collect(b, ['news', 'alerts', 'room.a']);

    await first.app.close();
    await reach(a, 'reconnecting');
    await reach(b, 'reconnecting');
    const lost = aLog.find((t) => t.state === 'reconnecting')!;
    assert.equal(lost.info?.code, 1001);
    assert.equal(lost.info?.willReconnect, true);

    const second = await serve({}, first.port);
    await within(Promise.all([a.ready(), b.ready()]), 'reopening both');
    assert.deepEqual(states(aLog), ['open', 'reconnecting', 'open']);
    assert.deepEqual(states(bLog), ['open', 'reconnecting', 'open']);
    assert.deepEqual(a.subscriptions.sort(), ['news', 'room.*']);

    // A round trip on each connection: everything sent before it has been handled.
    await within(a.request('chat', { text: 'a' }), 'a round trip on a');
    await within(b.request('chat', { text: 'b' }), 'a round trip on b');
    assert.equal(second.app.subscribers('news').length, 2);
    assert.equal(second.app.subscribers('room.a').length, 2);
    assert.equal(second.app.subscribers('alerts').length, 0);

    await second.app.get(AlertSender).send({ level: 'high' });
    await second.app.get(NewsSender).send({ n: 1 });
    assert.equal(second.app.publish('room.a', { r: 1 }), 2);
    await eventually(() => aGot.length >= 2 && bGot.length >= 2, 'the publishes');
    const expected = [
      ['news', { n: 1 }],
      ['room.a', { r: 1 }],
    ];
    assert.deepEqual(aGot, expected);
    assert.deepEqual(bGot, expected, 'the exclusion of alerts under * was restored');
  });

  it('restores exactly what the server held: an exclusion lifted with its pattern stays lifted', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: FAST });
    await c.subscribe(['room.*']);
    await c.unsubscribe(['room.a']); // room.a excluded from room.*
    await c.unsubscribe(['room.*']); // the server drops the exclusion with its pattern
    await c.subscribe(['room.*']); // room.a is delivered again
    assert.equal(first.app.subscribers('room.a').length, 1, 'before the loss');

    await first.app.close();
    await reach(c, 'reconnecting');
    const second = await serve({}, first.port);
    await within(c.ready(), 'reopening');
    await within(c.request('chat', { text: 'barrier' }), 'a round trip');
    assert.equal(second.app.subscribers('room.b').length, 1);
    assert.equal(
      second.app.subscribers('room.a').length,
      1,
      'room.a should still be delivered after the reconnect, as it was before',
    );
  });

  it('does not keep, nor restore after a reconnect, names the server refused', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: FAST });
    await c.subscribe(['news']);
    const err = await rejectsWith(c.subscribe(['alerts', 'nope']), 'UNKNOWN_EVENT');
    assert.match(err.message, /nope/);
    assert.equal(first.app.subscribers('alerts').length, 1, 'the declared name took effect');
    assert.deepEqual(c.subscriptions.sort(), ['alerts', 'news']);

    const errors: ServerError[] = [];
    c.onError((e) => errors.push(e));
    await first.app.close();
    await reach(c, 'reconnecting');
    const second = await serve({}, first.port);
    await within(c.ready(), 'reopening');
    await within(c.request('chat', { text: 'barrier' }), 'a round trip');
    assert.equal(second.app.subscribers('alerts').length, 1);
    assert.deepEqual(errors, [], 'the restore asked again for a refused name');
  });

  it('queues emits made while disconnected and delivers them in order after reconnecting', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: FAST });
    await within(c.ready(), 'opening');
    c.emit('log', { n: 0 });
    await eventually(() => first.inbox.logged.length === 1, 'the first emit');
    await first.app.close();
    await reach(c, 'reconnecting');
    c.emit('log', { n: 1 });
    c.emit('log', { n: 2 });
    c.emit('log', { n: 3 });
    assert.equal(c.dropped, 0);
    const second = await serve({}, first.port);
    await within(c.ready(), 'reopening');
    c.emit('log', { n: 4 });
    await eventually(() => second.inbox.logged.length === 4, 'the queued emits');
    assert.deepEqual(second.inbox.logged, [1, 2, 3, 4]);
    assert.deepEqual(first.inbox.logged, [0]);
    assert.equal(c.dropped, 0);
  });

  it('with maxQueue 3, five emits while away deliver the last three and count two dropped', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: FAST, maxQueue: 3 });
    await within(c.ready(), 'opening');
    await first.app.close();
    await reach(c, 'reconnecting');
    const reported: Array<[string, unknown, number]> = [];
    c.onDrop((event, data, dropped) => reported.push([event, data, dropped]));
    for (let n = 1; n <= 5; n++) c.emit('log', { n });
    assert.equal(c.dropped, 2);
    assert.deepEqual(reported, [
      ['log', { n: 1 }, 1],
      ['log', { n: 2 }, 2],
    ]);
    const second = await serve({}, first.port);
    await within(c.request('chat', { text: 'barrier' }), 'a round trip after reconnecting');
    assert.deepEqual(second.inbox.logged, [3, 4, 5]);
    assert.equal(c.dropped, 2);
  });

  it('rejects the requests pending when the connection is lost with DISCONNECTED, and works after', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: FAST });
    const pending = c.request('slow', {});
    await eventually(() => first.inbox.slowCalls === 1, 'the slow handler starting');
    const closing = first.app.close();
    const err = await rejectsWith(pending, 'DISCONNECTED');
    assert.equal(err.event, 'slow');
    await closing;
    await reach(c, 'reconnecting');
    await serve({}, first.port);
    assert.deepEqual(await within(c.request('chat', { text: 'back' }), 'a request after'), {
      ok: true,
      text: 'back',
    });
  });

  it('a request made while reconnecting is sent once the connection is back', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: FAST });
    await within(c.ready(), 'opening');
    await first.app.close();
    await reach(c, 'reconnecting');
    const reply = c.request('chat', { text: 'queued' });
    const second = await serve({}, first.port);
    assert.deepEqual(await within(reply, 'the reply'), { ok: true, text: 'queued' });
    assert.deepEqual(second.inbox.chats, ['queued']);
  });

  it('a request made while reconnecting still rejects with TIMEOUT when nothing comes back', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: FAST });
    await within(c.ready(), 'opening');
    await first.app.close();
    await reach(c, 'reconnecting');
    const err = await rejectsWith(
      c.request('chat', { text: 'lost' }, { timeoutMs: 50 }),
      'TIMEOUT',
    );
    assert.equal(err.event, 'chat');
    assert.equal(c.state, 'reconnecting');
  });
});
