/**
 * carom/metrics over real sockets: an app on 127.0.0.1, its metrics served by
 * `metricsHandler` on a port of their own, scraped over HTTP after a known
 * sequence of connects, messages, errors, refusals and closes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Carom, Handler, Injectable, On, Sender, Topic } from '../../src/index.js';
import { BrokerHub } from '../../src/testing/index.js';
import { caromMetrics, metricsHandler, type CaromMetrics } from '../../src/metrics/index.js';
import { connect, terminateAll, upgradeStatus, type Client } from './helpers.js';
import { pythonIsoformat } from '../support/timestamps.js';
import { eventually } from '../support/wait.js';

@Topic('news')
class NewsSender extends Sender<{ n: number }> {}

@On('post', { dto: false })
class PostHandler extends Handler<{ n: number }, string> {
  constructor(private readonly news: NewsSender) {
    super();
  }

  handle(data: { n: number }): string {
    this.news.send(data);
    return 'posted';
  }
}

@On('fail', { dto: false })
class FailHandler extends Handler {
  handle(): never {
    throw new Error('boom');
  }
}

/** Holds the `slow` handler until the test lets it go. */
@Injectable()
class Gate {
  release: () => void = () => undefined;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
}

@On('slow', { dto: false })
class SlowHandler extends Handler {
  constructor(private readonly gate: Gate) {
    super();
  }

  async handle(): Promise<string> {
    await this.gate.opened;
    return 'done';
  }
}

/** Every sample of a Prometheus text exposition, keyed by its series (`name{labels}`). */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

async function scrape(url: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    text: await res.text(),
  };
}

const servers: Server[] = [];
const apps: Carom[] = [];

async function serve(metrics: CaromMetrics): Promise<string> {
  const server = createServer(metricsHandler(metrics));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  terminateAll();
  for (const app of apps.splice(0)) await app.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
after(() => terminateAll());

let lastId = 0;

/** Sends an envelope with an id and waits for its answer (an ack or an error). */
async function ask(client: Client, event: string, data: unknown, extra: object = {}) {
  const id = ++lastId;
  client.send({ event, data, id, ...extra });
  return client.next((e) => (e as { id?: unknown }).id === id);
}

describe('carom/metrics', () => {
  it('a scrape over HTTP shows the figures of a known sequence of connects, messages, errors and closes', async () => {
    const registry = new Registry();
    const metrics = await caromMetrics({ registry });
    const app = new Carom({
      handlers: [PostHandler, FailHandler],
      senders: [NewsSender],
      observers: [metrics],
      logLevel: 'silent',
      rateLimit: { messages: 20, perMs: 600_000 },
    });
    apps.push(app);
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    const ws = `ws://127.0.0.1:${port}/ws`;
    const base = await serve(metrics);

    const a = await connect(ws);
    const b = await connect(ws);
    const c = await connect(ws);
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${port}/nope`), 404);

    await ask(a, 'subscribe', { events: ['news'] });
    await ask(b, 'subscribe', { events: ['news'] });
    await ask(a, 'post', { n: 1 });
    await ask(a, 'post', { n: 2 });
    const now = Date.now();
    await ask(a, 'post', { n: 3 }, { timestamp: pythonIsoformat(now) });
    const stale = await ask(a, 'post', { n: 4 }, { timestamp: pythonIsoformat(now - 5000) });
    assert.equal(stale.data.code, 'STALE');
    const failed = await ask(a, 'fail', null);
    assert.equal(failed.data.code, 'HANDLER_ERROR');
    // A hostile client's made-up names: each refused, none a label of its own.
    for (let i = 0; i < 5; i++) {
      assert.equal((await ask(b, `evil-${i}-${'x'.repeat(i)}`, null)).data.code, 'UNKNOWN_EVENT');
    }
    c.send({ nonsense: true });
    c.ws.send('not json');
    await c.next((e) => e.event === 'error' && e.data.code === 'BAD_JSON');
    // c has 20 tokens: two frames spent, 18 pings answered, then 3 refused.
    for (let i = 0; i < 21; i++) c.send({ event: 'carom.ping', data: null, id: 1000 + i });
    await eventually(
      () =>
        c.messages.filter((e) => e.event === 'error' && e.data.code === 'RATE_LIMITED').length ===
        3,
      'three pings refused by the rate limit',
    );
    b.ws.close(1000);
    c.ws.close(4001, 'bye');
    await b.closed;
    await c.closed;
    await eventually(() => app.openConnections.length === 1, 'two connections closed');

    const { status, type, text } = await scrape(`${base}/metrics`);
    assert.equal(status, 200);
    assert.match(type, /^text\/plain; version=0\.0\.4/);
    const got = parse(text);
    const expected: Record<string, number> = {
      carom_connections: 1,
      carom_connections_opened_total: 3,
      'carom_connections_closed_total{code="1000"}': 1,
      'carom_connections_closed_total{code="4xxx"}': 1,
      'carom_handshakes_refused_total{reason="notFound"}': 1,
      'carom_handshakes_refused_total{reason="origin"}': 0,
      'carom_envelopes_received_total{event="subscribe"}': 2,
      'carom_envelopes_received_total{event="post"}': 4,
      'carom_envelopes_received_total{event="fail"}': 1,
      'carom_envelopes_received_total{event="(other)"}': 5,
      'carom_envelopes_received_total{event="carom.ping"}': 18,
      'carom_frames_sent_total{event="news"}': 6,
      'carom_errors_sent_total{code="STALE"}': 1,
      'carom_errors_sent_total{code="HANDLER_ERROR"}': 1,
      'carom_errors_sent_total{code="UNKNOWN_EVENT"}': 5,
      'carom_errors_sent_total{code="BAD_ENVELOPE"}': 1,
      'carom_errors_sent_total{code="BAD_JSON"}': 1,
      'carom_errors_sent_total{code="RATE_LIMITED"}': 3,
      'carom_envelopes_dropped_total{reason="stale"}': 1,
      'carom_envelopes_dropped_total{reason="rate_limited"}': 3,
      'carom_handler_duration_seconds_count{event="post",outcome="ok"}': 3,
      'carom_handler_duration_seconds_count{event="post",outcome="error"}': 1,
      'carom_handler_duration_seconds_count{event="fail",outcome="error"}': 1,
      'carom_handler_duration_seconds_count{event="(other)",outcome="error"}': 5,
      'carom_handler_duration_seconds_count{event="carom.ping",outcome="ok"}': 18,
      'carom_handler_duration_seconds_count{event="subscribe",outcome="ok"}': 2,
      carom_inbound_pending: 0,
      carom_buffered_bytes: 0,
      carom_slow_consumer_closes_total: 0,
      'carom_broker_messages_total{kind="relayed"}': 0,
      'carom_broker_messages_total{kind="lost"}': 0,
    };
    for (const [series, value] of Object.entries(expected)) {
      assert.equal(got.get(series), value, `${series} in:\n${text}`);
    }
    assert.doesNotMatch(text, /evil/, 'a made-up event name is never a label');
    // The same figures in code.
    const values = await metrics.values();
    for (const [series, value] of Object.entries(expected))
      assert.equal(values[series], value, series);

    assert.equal((await scrape(`${base}/other`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  });

  it("shows a connection's queued envelopes, a full queue, the bytes waiting for a reader that stopped, and its close", async () => {
    const metrics = await caromMetrics({ registry: new Registry() });
    const app = new Carom({
      handlers: [SlowHandler],
      providers: [Gate],
      topics: ['big'],
      observers: [metrics],
      maxInFlight: 1,
      maxQueued: 2,
      maxBufferedBytes: 256 * 1024,
      logLevel: 'silent',
    });
    apps.push(app);
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `ws://127.0.0.1:${port}/ws`;

    const waiting = await connect(url);
    for (let id = 1; id <= 4; id++) waiting.send({ event: 'slow', data: null, id });
    const full = await waiting.next((e) => e.event === 'error');
    assert.equal(full.data.code, 'RATE_LIMITED');
    let values = await metrics.values();
    assert.equal(values.carom_inbound_pending, 3, 'one being handled, two queued');
    assert.equal(values['carom_envelopes_dropped_total{reason="queue_full"}'], 1);
    app.get(Gate).release();
    for (let i = 0; i < 3; i++) await waiting.next((e) => e.event === 'ack');
    values = await metrics.values();
    assert.equal(values.carom_inbound_pending, 0);
    assert.equal(values['carom_handler_duration_seconds_count{event="slow",outcome="ok"}'], 3);

    const slow = await connect(url);
    slow.send({ event: 'subscribe', data: { events: ['big'] }, id: 1 });
    await slow.next((e) => e.event === 'ack');
    // Its socket stops reading: the kernel's buffers fill, then the server's, then it is cut.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const body = 'x'.repeat(64 * 1024);
    let mostWaiting = 0;
    for (let i = 0; i < 2000 && app.subscribers('big').length === 1; i++) {
      app.publish('big', { seq: i, body });
      if (i % 8 === 7) {
        await new Promise((r) => setImmediate(r));
        mostWaiting = Math.max(mostWaiting, (await metrics.values()).carom_buffered_bytes ?? 0);
      }
    }
    assert.equal(app.subscribers('big').length, 0, 'the slow client was cut');
    assert.ok(mostWaiting > 0, 'bytes were seen waiting before the cut');
    values = await metrics.values();
    assert.equal(values.carom_slow_consumer_closes_total, 1);
    assert.equal(values['carom_connections_closed_total{code="1013"}'], 1);
  });

  it('counts what the broker relays to the other nodes and receives from them', async () => {
    const hub = new BrokerHub();
    const made = await Promise.all(
      [0, 1].map((i) => caromMetrics({ registry: new Registry(), prefix: `n${i}_` })),
    );
    const nodes = made.map((metrics) => {
      const app = new Carom({
        broker: hub.broker(),
        topics: ['news'],
        observers: [metrics],
        logLevel: 'silent',
      });
      apps.push(app);
      return app.start();
    });
    await Promise.all(nodes.map((n) => n.ready()));
    nodes[0]!.publish('news', { n: 1 });
    nodes[0]!.publish('news', { n: 2 });
    // A command for a connection of a node that is not there cannot be relayed: lost.
    nodes[0]!.to('gone:c1').close(1000, 'bye');
    await hub.settled();
    const [one, two] = await Promise.all(made.map((m) => m.values()));
    assert.equal(one!['n0_broker_messages_total{kind="relayed"}'], 2);
    assert.equal(two!['n1_broker_messages_total{kind="received"}'], 2);
    assert.equal(one!['n0_broker_messages_total{kind="lost"}'], 1);
    // Published with no subscriber here: counted under the event, with no frame written.
    assert.equal(one!['n0_frames_sent_total{event="news"}'], 0);
  });

  it('refuses to watch two apps, and two metrics of one name in one registry', async () => {
    const registry = new Registry();
    const metrics = await caromMetrics({ registry });
    apps.push(new Carom({ observers: [metrics], logLevel: 'silent' }));
    assert.throws(() => new Carom({ observers: [metrics], logLevel: 'silent' }), {
      code: 'CAROM_ERR_OBSERVER_BOUND',
    });
    await assert.rejects(caromMetrics({ registry }), /already been registered/);
  });
});
