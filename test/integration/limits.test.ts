/**
 * The per-client limits of issue 8 over real sockets, with raw JSON frames from
 * a `ws` client: subscriptions per connection, subscription names, nesting
 * depth, timestamps ahead of the clock, values validated per payload, the rate
 * limit, the queue bound, run-time channels, the client heartbeat and draining
 * on `close({ graceMs })`. After each refusal another connection is served.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Carom, CloseCode, ErrorCode, Injectable, On, type CaromOptions } from '../../src/index.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { failOnEscapes } from '../support/no-escapes.js';
import type { Envelope } from '../support/envelope.js';
import { eventually, within } from '../support/wait.js';
import { connect, terminateAll, upgradeStatus, type Client } from './helpers.js';
import { ListHandler, RawListHandler } from '../support/list-handlers.js';

failOnEscapes();

const apps: Carom[] = [];
afterEach(async () => {
  terminateAll();
  await within(Promise.all(apps.splice(0).map((a) => a.close())), 'closing the apps', 10_000);
});

class Echo {
  @On('echo', { dto: false })
  echo(data: unknown): unknown {
    return data;
  }
}

async function serve(options: CaromOptions = {}): Promise<{ app: Carom; url: string }> {
  const app = new Carom({
    handlers: [Echo],
    logLevel: 'fatal',
    heartbeatMs: 0,
    ...options,
  });
  apps.push(app);
  const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `ws://127.0.0.1:${port}/ws` };
}

function assertError(reply: Envelope, code: string, id: string | number, event?: string): void {
  assert.equal(reply.event, 'error', JSON.stringify(reply).slice(0, 300));
  assert.equal(reply.id, id);
  assert.equal(reply.data.code, code, reply.data.message);
  if (event !== undefined) assert.equal(reply.data.event, event);
}

/** A fresh connection is served: its ping is acked. */
async function anotherIsServed(url: string): Promise<void> {
  const other = await connect(url);
  const reply = await other.request({ event: 'carom.ping', id: 'other' });
  assert.equal(reply.event, 'ack', JSON.stringify(reply));
  other.ws.close();
}

/** Keeps the length of every raw frame the client receives. */
function frameLengths(c: Client): number[] {
  const lengths: number[] = [];
  c.ws.on('message', (data) => lengths.push((data as Buffer).length));
  return lengths;
}

function nested(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

describe('maxSubscriptions over a real socket', () => {
  const topics = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

  it('past the limit: LIMIT_EXCEEDED naming the refused; another connection has its own allowance', async () => {
    const { url, app } = await serve({ maxSubscriptions: 5, topics });
    const c = await connect(url);
    const first = await c.request({
      event: 'subscribe',
      id: 's1',
      data: { events: ['a', 'b', 'c'] },
    });
    assert.equal(first.event, 'ack');
    assert.equal(first.id, 's1');
    const reply = await c.request({
      event: 'subscribe',
      id: 's2',
      data: { events: ['d', 'e', 'f', 'g'] },
    });
    assertError(reply, ErrorCode.LIMIT_EXCEEDED, 's2', 'subscribe');
    assert.deepEqual(
      reply.data.details.rejected.map((r: { name: string }) => r.name),
      ['f', 'g'],
    );
    assert.ok(
      reply.data.details.rejected.every(
        (r: { code: string }) => r.code === ErrorCode.LIMIT_EXCEEDED,
      ),
    );
    assert.equal(app.subscribers('e').length, 1);
    assert.equal(app.subscribers('f').length, 0);
    const other = await connect(url);
    const ok = await other.request({
      event: 'subscribe',
      id: 'o',
      data: { events: topics.slice(0, 5) },
    });
    assert.equal(ok.event, 'ack', JSON.stringify(ok));
  });

  it('a list longer than the limit is refused whole', async () => {
    const { url, app } = await serve({ maxSubscriptions: 5, topics });
    const c = await connect(url);
    for (const action of ['subscribe', 'unsubscribe']) {
      const reply = await c.request({
        event: action,
        id: `${action}-6`,
        data: { events: topics.slice(0, 6) },
      });
      assertError(reply, ErrorCode.LIMIT_EXCEEDED, `${action}-6`, action);
      assert.equal(reply.data.details.limit, 5);
    }
    const s = app.stats().subscriptions;
    assert.equal(s.exact + s.patterns + s.exclusions, 0);
    await anotherIsServed(url);
  });

  it('an exclusion counts', async () => {
    const { url, app } = await serve({ maxSubscriptions: 5, topics });
    const c = await connect(url);
    const all = await c.request({
      event: 'subscribe',
      id: 1,
      data: { events: ['*', 'a', 'b', 'c'] },
    });
    assert.equal(all.event, 'ack', JSON.stringify(all));
    const ex = await c.request({ event: 'unsubscribe', id: 2, data: { events: ['d'] } });
    assert.equal(ex.event, 'ack', 'the exclusion is the fifth entry');
    assert.equal(app.stats().subscriptions.exclusions, 1);
    const refused = await c.request({ event: 'unsubscribe', id: 3, data: { events: ['e'] } });
    assertError(refused, ErrorCode.LIMIT_EXCEEDED, 3, 'unsubscribe');
    assert.deepEqual(
      refused.data.details.rejected.map((r: { name: string }) => r.name),
      ['e'],
    );
    assert.equal(app.subscribers('e').length, 1, 'still covered by *');
    await anotherIsServed(url);
  });
});

describe('subscription names over a real socket', () => {
  const bad: ReadonlyArray<readonly [string, unknown]> = [
    ['longer than maxEventLength', 'x'.repeat(201)],
    ['with a control character', 'chat\nroom'],
    ['not a string', 5],
    ['empty', ''],
  ];

  for (const action of ['subscribe', 'unsubscribe']) {
    it(`${action}: bad names are BAD_ENVELOPE with a small reply`, async () => {
      const { url, app } = await serve({ topics: ['chat'] });
      const c = await connect(url);
      const lengths = frameLengths(c);
      for (const [what, name] of bad) {
        const id = `${action} ${what}`;
        const reply = await c.request({ event: action, id, data: { events: ['chat', name] } });
        assertError(reply, ErrorCode.BAD_ENVELOPE, id, action);
      }
      assert.equal(app.subscribers('chat').length, 0, 'nothing of a refused request applied');
      assert.equal(lengths.length, bad.length);
      for (const n of lengths) assert.ok(n < 2048, `a reply of ${n} bytes`);
      await anotherIsServed(url);
    });

    it(`${action}: a 900 KB name, and a 900 KB name of dots, are BAD_ENVELOPE with a small reply`, async () => {
      const { url } = await serve({ topics: ['chat'] });
      const c = await connect(url);
      const lengths = frameLengths(c);
      const long = await c.request({
        event: action,
        id: 'long',
        data: { events: ['z'.repeat(900_000)] },
      });
      assertError(long, ErrorCode.BAD_ENVELOPE, 'long', action);
      assert.match(long.data.message, /longer than 200/);
      const dots = await c.request({
        event: action,
        id: 'dots',
        data: { events: [`${'a.'.repeat(450_000)}*`] },
      });
      assertError(dots, ErrorCode.BAD_ENVELOPE, 'dots', action);
      const bare = await c.request({
        event: action,
        id: 'bare',
        data: { events: ['.'.repeat(900_000)] },
      });
      assertError(bare, ErrorCode.BAD_ENVELOPE, 'bare', action);
      assert.equal(lengths.length, 3);
      for (const n of lengths) assert.ok(n < 2048, `a reply of ${n} bytes`);
      const ping = await c.request({ event: 'carom.ping', id: 'still' });
      assert.equal(ping.event, 'ack');
      await anotherIsServed(url);
    });
  }
});

describe('maxDepth over a real socket', () => {
  it('33 levels are BAD_ENVELOPE and the connection stays open; 32 are accepted', async () => {
    const { url } = await serve();
    const c = await connect(url);
    const deep = await c.request({ event: 'echo', id: 'deep', data: nested(33) });
    assertError(deep, ErrorCode.BAD_ENVELOPE, 'deep', 'echo');
    assert.match(deep.data.message, /deeper than 32/);
    const edge = await c.request({ event: 'echo', id: 'edge', data: nested(32) });
    assert.equal(edge.event, 'ack', JSON.stringify(edge).slice(0, 300));
    assert.deepEqual(edge.data, nested(32));
    await anotherIsServed(url);
  });
});

class Notes {
  readonly handled: string[] = [];
  @On('note', { dto: false })
  note(data: { by: string }): string {
    this.handled.push(data.by);
    return data.by;
  }
}

describe('maxClockSkewMs over a real socket', () => {
  it('a year-9999 timestamp is BAD_ENVELOPE; under global staleness another client is still handled', async () => {
    const { url, app } = await serve({ handlers: [Notes], staleness: { scope: 'global' } });
    const attacker = await connect(url);
    const honest = await connect(url);
    const futureReply = attacker.next((e) => e.id === 'future');
    attacker.send({
      event: 'note',
      id: 'future',
      data: { by: 'attacker' },
      timestamp: '9999-12-31T23:59:59.999Z',
    });
    const future = await futureReply;
    assertError(future, ErrorCode.BAD_ENVELOPE, 'future', 'note');
    assert.match(future.data.message, /ahead of the server's clock/);
    const honestReply = honest.next((e) => e.id === 'now');
    honest.send({
      event: 'note',
      id: 'now',
      data: { by: 'honest' },
      timestamp: new Date().toISOString(),
    });
    const reply = await honestReply;
    assert.equal(reply.event, 'ack', JSON.stringify(reply));
    assert.equal(reply.id, 'now');
    assert.deepEqual(app.get(Notes).handled, ['honest']);
  });
});

describe('maxValidatedValues over a real socket', () => {
  const payload = { name: 'big', items: Array.from({ length: 120_000 }, () => [0]) };
  const frameOf = (event: string): string => JSON.stringify({ event, id: 'big', data: payload });
  const frame = frameOf('list');

  interface Timing {
    readonly reply: Envelope;
    readonly replyMs: number;
    readonly bystanderMs: number;
    readonly app: Carom;
  }

  /** Sends the big payload, then a bystander's ping; resolves with both replies and their times. */
  async function measure(options: CaromOptions, text = frame): Promise<Timing> {
    const { url, app } = await serve({ handlers: [ListHandler, RawListHandler], ...options });
    const c = await connect(url);
    const bystander = await connect(url);
    const timed = (p: Promise<Envelope>, from: number) =>
      p.then((e) => ({ e, ms: performance.now() - from }));
    const start = performance.now();
    const replied = timed(
      c.next((e) => e.id === 'big', 30_000),
      start,
    );
    c.ws.send(text);
    // The bystander's ping leaves right after: if validation blocks the loop, it waits.
    const byStart = performance.now();
    const pinged = timed(
      bystander.next((e) => e.id === 'by', 30_000),
      byStart,
    );
    bystander.send({ event: 'carom.ping', id: 'by' });
    const [reply, ping] = await Promise.all([replied, pinged]);
    return { reply: reply.e, replyMs: reply.ms, bystanderMs: ping.ms, app };
  }

  it('a payload of 120,000 nested items within maxPayload is VALIDATION_FAILED and the handler never runs', async (t) => {
    assert.ok(frame.length < 1024 * 1024, `a frame of ${frame.length} bytes, within maxPayload`);
    // Three interleaved rounds, the median of each: one round is skewed by warm-up.
    const rounds = { limited: [] as Timing[], unlimited: [] as Timing[], raw: [] as Timing[] };
    for (let round = 0; round < 3; round++) {
      const limited = await measure({});
      assertError(limited.reply, ErrorCode.VALIDATION_FAILED, 'big', 'list');
      assert.match(limited.reply.data.message, /more than 10000 values/);
      assert.equal(limited.app.get(ListHandler).calls, 0, 'the handler never ran');
      rounds.limited.push(limited);
      const unlimited = await measure({ maxValidatedValues: 1_000_000 });
      assert.equal(unlimited.reply.event, 'ack', JSON.stringify(unlimited.reply).slice(0, 300));
      assert.equal(unlimited.reply.data, 120_000);
      rounds.unlimited.push(unlimited);
      // The same frame to a handler without a DTO: the cost of receiving and decoding it.
      const raw = await measure({}, frameOf('raw.list'));
      assert.equal(raw.reply.data, 120_000);
      rounds.raw.push(raw);
      await Promise.all(apps.splice(0).map((a) => a.close()));
    }
    const median = (xs: Timing[], key: 'replyMs' | 'bystanderMs'): string =>
      xs
        .map((x) => x[key])
        .sort((a, b) => a - b)[1]!
        .toFixed(0);
    const line = (xs: Timing[]): string =>
      `reply ${median(xs, 'replyMs')} ms, bystander's ping ${median(xs, 'bystanderMs')} ms`;
    t.diagnostic(
      `frame of ${frame.length} bytes, median of 3: maxValidatedValues 10000 (default): ${line(rounds.limited)}; ` +
        `1000000: ${line(rounds.unlimited)}; not validated ({ dto: false }): ${line(rounds.raw)}`,
    );
  });
});

class Counter {
  calls = 0;
  @On('count', { dto: false })
  count(): number {
    return ++this.calls;
  }
}

describe('rateLimit over a real socket', () => {
  /** Sends 1,500 envelopes without ids, then one with; resolves once everything is accounted for. */
  async function burst(
    options: CaromOptions,
  ): Promise<{ limited: number; handled: number; last: Envelope }> {
    // A queue deep enough that only the rate limit refuses.
    const { url, app } = await serve({ handlers: [Counter], maxQueued: 10_000, ...options });
    const c = await connect(url);
    const frame = JSON.stringify({ event: 'count', data: {} });
    for (let i = 0; i < 1500; i++) c.ws.send(frame);
    const last = await c.request({ event: 'count', id: 'last' });
    const counter = app.get(Counter);
    const limited = (): number =>
      c.messages.filter(
        (e) => e.event === 'error' && e.data.code === ErrorCode.RATE_LIMITED && e.id === undefined,
      ).length;
    // Refusals are sent at once, the queued envelopes are handled later: wait for both.
    const lastLimited = last.event === 'error' ? 1 : 0;
    await eventually(
      () => limited() + counter.calls + lastLimited === 1501,
      `all 1,501 accounted for (${limited()} limited, ${counter.calls} handled)`,
      20_000,
    );
    const result = { limited: limited(), handled: counter.calls, last };
    const other = await connect(url);
    const ok = await other.request({ event: 'count', id: 'other' });
    assert.equal(ok.event, 'ack', 'another connection is served normally');
    return result;
  }

  it('by default (1000 per second) a burst of 1,500 envelopes without ids gets RATE_LIMITED errors', async () => {
    const { limited, handled, last } = await burst({});
    assert.ok(limited > 0, 'some were rate limited');
    assert.ok(limited <= 1500);
    assert.ok(handled >= 1000, `${handled} handled: the burst allowance`);
    assert.equal(last.id, 'last');
    assert.ok(
      last.event === 'ack' || last.data.code === ErrorCode.RATE_LIMITED,
      JSON.stringify(last),
    );
  });

  it('rateLimit: false turns it off', async () => {
    const { limited, handled, last } = await burst({ rateLimit: false });
    assert.equal(limited, 0);
    assert.equal(handled, 1501);
    assert.equal(last.event, 'ack');
    assert.equal(last.data, 1501);
  });
});

class Slow {
  readonly held: Array<Deferred<string>> = [];
  @On('hold', { dto: false })
  hold(): Promise<string> {
    const d = deferred<string>();
    this.held.push(d);
    return d.promise;
  }

  @On('ok', { dto: false })
  ok(): string {
    return 'ok';
  }
}

describe('maxQueued over a real socket', () => {
  it('envelopes past the queue bound behind a held handler are RATE_LIMITED; the queued ones are handled', async () => {
    const { url, app } = await serve({ handlers: [Slow], maxQueued: 3 });
    const c = await connect(url);
    c.send({ event: 'hold', id: 'h' });
    const slow = app.get(Slow);
    await eventually(() => slow.held.length === 1, 'the handler holds');
    const ids = ['q1', 'q2', 'q3', 'q4', 'q5'];
    for (const id of ids) c.send({ event: 'ok', id });
    for (const id of ['q4', 'q5']) {
      const reply = await c.next((e) => e.id === id);
      assertError(reply, ErrorCode.RATE_LIMITED, id, 'ok');
      assert.match(reply.data.message, /3 envelopes are already waiting/);
    }
    await anotherIsServed(url);
    slow.held[0]!.resolve('done');
    assert.equal((await c.next((e) => e.id === 'h')).data, 'done');
    for (const id of ['q1', 'q2', 'q3']) {
      const reply = await c.next((e) => e.id === id);
      assert.equal(reply.event, 'ack');
      assert.equal(reply.data, 'ok');
    }
  });
});

@Injectable()
class ChannelMaker {
  constructor(readonly app: Carom) {}

  @On('make', { dto: false })
  make(data: { name: string }): string {
    this.app.channels.create(data.name);
    return data.name;
  }
}

describe('maxChannels over a real socket', () => {
  it('a handler creating channels past the limit: the client gets LIMIT_EXCEEDED', async () => {
    const { url, app } = await serve({ handlers: [ChannelMaker], maxChannels: 2 });
    const c = await connect(url);
    for (const name of ['room.1', 'room.2']) {
      const reply = await c.request({ event: 'make', id: name, data: { name } });
      assert.equal(reply.event, 'ack', JSON.stringify(reply));
    }
    const over = await c.request({ event: 'make', id: 'room.3', data: { name: 'room.3' } });
    assertError(over, ErrorCode.LIMIT_EXCEEDED, 'room.3', 'make');
    assert.equal(app.channels.size, 2);
    await anotherIsServed(url);
  });
});

describe('carom.ping over a real socket', () => {
  it('with an id is answered with an ack whose data is null', async () => {
    const { url } = await serve();
    const c = await connect(url);
    const raw: string[] = [];
    c.ws.on('message', (data) => raw.push((data as Buffer).toString()));
    const reply = await c.request({ event: 'carom.ping', id: 42 });
    assert.equal(reply.event, 'ack');
    assert.equal(reply.id, 42);
    assert.equal(reply.data, null);
    assert.ok(raw[0]!.includes('"data":null'), raw[0]);
  });
});

describe('app.close({ graceMs }) over real sockets', () => {
  it('answers the request in flight, closes with 1012 or 1001, answers every request, and refuses new connections with 503', async () => {
    const { url, app } = await serve({ handlers: [Slow] });
    const clients: Client[] = [];
    for (let i = 0; i < 6; i++) clients.push(await connect(url));
    await eventually(() => app.openConnections.length === 6, 'six connections');
    const slow = app.get(Slow);
    const busy = clients[0]!;
    busy.send({ event: 'hold', id: 'held' });
    await eventually(() => slow.held.length === 1, 'the handler holds');

    const closing = app.close({ graceMs: 1500 });
    // Every client asks something during the drain: depending on its turn it is
    // handled, or answered UNAVAILABLE; never left unanswered.
    clients.forEach((c, i) => c.send({ event: 'ok', id: `during-${i}` }));
    assert.equal(await upgradeStatus(url), 503, 'a new connection during the drain');
    await new Promise((r) => setTimeout(r, 100));
    slow.held[0]!.resolve('finished');

    const closes = await within(
      Promise.all(clients.map((c) => c.closed)),
      'every client closed',
      10_000,
    );
    await within(closing, 'close resolves', 10_000);
    for (const { code } of closes) {
      assert.ok(
        code === CloseCode.SERVICE_RESTART || code === CloseCode.GOING_AWAY,
        `closed with ${code}`,
      );
    }
    const held = busy.messages.find((e) => e.id === 'held');
    assert.ok(held, 'the request in flight was answered before its socket closed');
    assert.equal(held.event, 'ack');
    assert.equal(held.data, 'finished');
    clients.forEach((c, i) => {
      const reply = c.messages.find((e) => e.id === `during-${i}`);
      assert.ok(reply, `client ${i}'s request was answered before its socket closed`);
      assert.ok(
        (reply.event === 'ack' && reply.data === 'ok') ||
          (reply.event === 'error' && reply.data.code === ErrorCode.UNAVAILABLE),
        JSON.stringify(reply),
      );
    });
  });
});
