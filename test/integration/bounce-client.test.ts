/**
 * A client written for bounce-ws's simple_ping example, pointed at carom's ping
 * example server: plain JSON envelopes, naive local timestamps with six
 * fractional digits as Python's `datetime.now().isoformat()` writes them, no ids.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { start } from '../../examples/ping/server.js';
import type { RunningExample } from '../../examples/serve.js';
import type { Envelope } from '../support/envelope.js';
import { localIsoformat } from '../support/timestamps.js';
import { connect, terminateAll, type Client } from './helpers.js';

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})$/;

/** `datetime.fromisoformat` for the naive form above, read as local time; epoch ms. */
function parseNaive(text: string): number {
  const m = NAIVE.exec(text);
  assert.ok(m, `'${text}' is not a naive isoformat timestamp with microseconds`);
  const [, y, mo, d, h, mi, s, us] = m.map(Number) as number[];
  return new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime() + us! / 1000;
}

/** What the Python client sends: `json.dumps({"event", "data", "timestamp"})`. */
function bounceSend(client: Client, event: string, data: unknown, timestamp: string): void {
  client.ws.send(JSON.stringify({ event, data, timestamp }));
}

function assertServerEnvelope(e: Envelope, event: string, from: number, to: number): void {
  assert.equal(e.event, event);
  assert.deepEqual(e.data, { ping: 'ping' });
  assert.deepEqual(Object.keys(e).sort(), ['data', 'event', 'timestamp']);
  assert.match(e.timestamp, NAIVE);
  const at = parseNaive(e.timestamp);
  // Read as local time it is "now" on this machine (not UTC shifted by the zone offset).
  assert.ok(at >= from - 1000 && at <= to + 1000, `${e.timestamp} is not local now`);
}

describe('a bounce-ws simple_ping client against the ping example', () => {
  let running: RunningExample;
  beforeEach(async () => {
    running = await start(0, '127.0.0.1');
  });
  afterEach(async () => {
    terminateAll();
    await running.close();
  });

  it('subscribes, pings, and receives ping and ping_timed with naive timestamps', async () => {
    const from = Date.now();
    const client = await connect(`ws://127.0.0.1:${running.port}/ws`);
    client.ws.send(
      JSON.stringify({
        event: 'subscribe',
        data: { events: ['ping', 'ping_timed'] },
        timestamp: localIsoformat(Date.now(), 123),
      }),
    );
    bounceSend(client, 'ping', {}, localIsoformat(Date.now(), 456));

    const ping = await client.nextOf('ping');
    const timed = await client.nextOf('ping_timed', 5000);
    const to = Date.now();
    assertServerEnvelope(ping, 'ping', from, to);
    assertServerEnvelope(timed, 'ping_timed', from, to);
    assert.deepEqual(
      client.messages.filter((e) => e.event === 'error'),
      [],
    );
  });

  it('drops a ping older than the last, down to the microsecond, without a word', async () => {
    const client = await connect(`ws://127.0.0.1:${running.port}/ws`);
    const now = Date.now();
    bounceSend(client, 'subscribe', { events: ['ping'] }, localIsoformat(now, 0));
    bounceSend(client, 'ping', {}, localIsoformat(now, 500));
    // One microsecond older than the ping before it: stale.
    bounceSend(client, 'ping', {}, localIsoformat(now, 499));
    bounceSend(client, 'ping', {}, localIsoformat(now, 501));
    // A request with an id is answered after everything sent before it.
    client.ws.send(
      JSON.stringify({ event: 'ping', data: {}, timestamp: localIsoformat(now, 502), id: 'last' }),
    );
    const ack = await client.next((e) => e.id === 'last');
    assert.equal(ack.event, 'ack');
    assert.equal(ack.data, null);
    assert.equal(client.dataOf('ping').length, 3);
    assert.deepEqual(client.dataOf('error'), []);
  });

  it('serves the example page over HTTP on the same port', async () => {
    const res = await fetch(`http://127.0.0.1:${running.port}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const body = await res.text();
    assert.match(body, /<title>carom · ping<\/title>/);
    assert.match(body, /\/ws/);
  });
});
