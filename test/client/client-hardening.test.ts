/**
 * carom/client under Node against small hostile servers on 127.0.0.1: one
 * that accepts and closes at once (backoff), one that accepts TCP and never
 * answers, one that never sends the welcome (connect timeout), one that sends
 * frames over maxPayload, one that stops answering (heartbeat), one that
 * drains with 1012, and one that sends frames that are not envelopes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CaromClient,
  connect,
  type ClientOptions,
  type CloseInfo,
  type ServerError,
} from '../../src/client/index.js';
import { eventually } from '../support/wait.js';

const clients: CaromClient[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const close of closers.splice(0)) await close();
});

function client(url: string, options: ClientOptions = {}): CaromClient {
  const c = connect(url, options);
  clients.push(c);
  return c;
}

/** A raw `ws` server on 127.0.0.1 that hands each connection to `onConnection`. */
async function wsServer(
  onConnection: (ws: WebSocket) => void,
  handleProtocols: (protocols: Set<string>) => string | false = (p) =>
    p.has('carom') ? 'carom' : false,
): Promise<{ url: string; server: WebSocketServer; connections: () => number }> {
  let count = 0;
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols });
  server.on('connection', (ws) => {
    count++;
    ws.on('error', () => undefined);
    onConnection(ws);
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  closers.push(async () => {
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/ws`, server, connections: () => count };
}

function welcome(ws: WebSocket, connection = 'c1'): void {
  ws.send(JSON.stringify({ event: 'carom.welcome', data: { connection }, timestamp: 'now' }));
}

/** Reasons the client reported on its way to `reconnecting`. */
function losses(c: CaromClient): CloseInfo[] {
  const seen: CloseInfo[] = [];
  c.onState((state, info) => {
    if (state === 'reconnecting' && info) seen.push(info);
  });
  return seen;
}

describe('carom/client against a server that accepts and closes at once', () => {
  const variants: Array<[string, (ws: WebSocket) => void]> = [
    ['after its welcome, with 1011', (ws) => (welcome(ws), ws.close(1011, 'connect hook failed'))],
    ['after its welcome, with 1000', (ws) => (welcome(ws), ws.close(1000))],
    ['before any welcome, with 1011', (ws) => ws.close(1011, 'connect hook failed')],
  ];
  for (const [what, onConnection] of variants) {
    it(`${what}: the backoff grows, so 2 s bring few attempts`, async () => {
      const { url, connections } = await wsServer(onConnection);
      const c = client(url, { reconnect: { initialDelayMs: 50, factor: 2, jitter: 0 } });
      // The window is bounded; the assertion is on the count: 50+100+200+400+800 ms of
      // delays fit in 2 s, so about 5 attempts; a backoff that resets at each open makes ~40.
      await delay(2000);
      c.close();
      const attempts = connections();
      assert.ok(attempts >= 3, `${attempts} attempts: the client stopped retrying`);
      assert.ok(attempts < 8, `${attempts} attempts in 2 s: the backoff reset`);
    });
  }
});

describe('carom/client connect timeout', () => {
  it('a server that accepts TCP and never answers: closed after connectTimeoutMs, retried', async () => {
    const sockets: Socket[] = [];
    let closed = 0;
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => closed++);
      socket.resume(); // read the upgrade request and never answer it
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { port } = server.address() as AddressInfo;
    const c = client(`ws://127.0.0.1:${port}/ws`, {
      connectTimeoutMs: 100,
      reconnect: { initialDelayMs: 20, jitter: 0 },
    });
    const lost = losses(c);
    await eventually(() => lost.length >= 1, 'the first timeout');
    assert.deepEqual(lost[0], { code: 4000, reason: 'connect timeout', willReconnect: true });
    await eventually(() => sockets.length >= 2, 'a second attempt');
    await eventually(
      () => sockets[0]!.destroyed || sockets[0]!.readableEnded,
      'the first socket closed',
    );
  });

  it('a server that selects carom and never sends the welcome: the same', async () => {
    const { url, connections } = await wsServer(() => undefined);
    const c = client(url, { connectTimeoutMs: 100, reconnect: { initialDelayMs: 20, jitter: 0 } });
    const lost = losses(c);
    await eventually(() => lost.length >= 1, 'the first timeout');
    assert.equal(lost[0]!.code, 4000);
    await eventually(() => connections() >= 2, 'a second attempt');
    assert.notEqual(c.state, 'open');
  });
});

describe('carom/client maxPayload in Node', () => {
  it('ws closes with 1009 on a frame over maxPayload; a frame within it arrives', async () => {
    const serverSaw: number[] = [];
    const { url } = await wsServer((ws) => {
      welcome(ws);
      ws.on('close', (code) => serverSaw.push(code));
      ws.on('message', () => {
        ws.send(JSON.stringify({ event: 'news', data: 'x'.repeat(500), timestamp: 't' }));
        ws.send(JSON.stringify({ event: 'news', data: 'x'.repeat(5000), timestamp: 't' }));
      });
    });
    const c = client(url, { maxPayload: 2000, reconnect: { initialDelayMs: 5000 } });
    const lost = losses(c);
    const got: string[] = [];
    c.on('news', (d: string) => got.push(d));
    await c.ready();
    c.emit('go', {});
    await eventually(() => lost.length >= 1 && serverSaw.length >= 1, 'the close');
    // ws stops reading once the frame is too long, so the client sees 1006; the server, 1009.
    assert.deepEqual(serverSaw, [1009]);
    assert.deepEqual(
      got.map((d) => d.length),
      [500],
    );
  });
});

describe('carom/client heartbeat', () => {
  it('a server that stops answering (half-open) is detected: closed with 4000, reconnected', async () => {
    const pings: unknown[] = [];
    const { url, connections } = await wsServer((ws) => {
      welcome(ws, `c${connections()}`);
      ws.on('message', (raw) => pings.push(JSON.parse(String(raw))));
    });
    const c = client(url, { heartbeatMs: 50, reconnect: { initialDelayMs: 20, jitter: 0 } });
    const lost = losses(c);
    await eventually(() => lost.length >= 1, 'the heartbeat timeout');
    assert.deepEqual(lost[0], { code: 4000, reason: 'heartbeat timeout', willReconnect: true });
    const ping = pings[0] as { event: string; id: number };
    assert.equal(ping.event, 'carom.ping');
    assert.ok(Number.isSafeInteger(ping.id));
    await eventually(() => connections() >= 2 && c.state === 'open', 'the reconnect');
  });

  it('a server that answers each ping keeps the connection open', async () => {
    let pings = 0;
    const { url } = await wsServer((ws) => {
      welcome(ws);
      ws.on('message', (raw) => {
        const e = JSON.parse(String(raw)) as { event: string; id: number };
        if (e.event !== 'carom.ping') return;
        pings++;
        ws.send(JSON.stringify({ event: 'ack', id: e.id, data: null, timestamp: 't' }));
      });
    });
    const c = client(url, { heartbeatMs: 30 });
    const lost = losses(c);
    const errors: ServerError[] = [];
    c.onError((e) => errors.push(e));
    await c.ready();
    await eventually(() => pings >= 5, 'five pings answered');
    assert.deepEqual(lost, []);
    assert.equal(c.state, 'open');
    assert.deepEqual(errors, []);
  });
});

describe('carom/client drain', () => {
  it('reconnects after a 1012 within drainDelayMs', async () => {
    const { url, connections } = await wsServer((ws) => {
      welcome(ws);
      if (connections() === 1) ws.close(1012, 'server restarting');
    });
    const c = client(url, { reconnect: { drainDelayMs: 50 } });
    const lost = losses(c);
    await eventually(() => connections() === 2 && c.state === 'open', 'the reconnect');
    assert.deepEqual(lost, [{ code: 1012, reason: 'server restarting', willReconnect: true }]);
  });
});

describe('carom/client against a server that sends frames that are not envelopes', () => {
  it('reports each as BAD_FRAME, answers bad error replies with BAD_REPLY, and stays open', async () => {
    const frames = ['null', '5', '[]', '"x"', '{', '{"event":7}', '{"event":"error","data":null}'];
    const { url } = await wsServer((ws) => {
      welcome(ws);
      for (const f of frames) ws.send(f);
      ws.send(Buffer.from([1, 2, 3]));
      ws.on('message', (raw) => {
        const e = JSON.parse(String(raw)) as { id: number };
        ws.send(JSON.stringify({ event: 'error', id: e.id, data: null, timestamp: 't' }));
      });
    });
    const c = client(url);
    const errors: ServerError[] = [];
    c.onError((e) => errors.push(e));
    await c.ready();
    await eventually(() => errors.length === frames.length + 1, 'every report');
    assert.ok(
      errors.every((e) => e.code === 'BAD_FRAME'),
      JSON.stringify(errors),
    );
    await assert.rejects(c.request('chat', {}), { name: 'RequestError', code: 'BAD_REPLY' });
    assert.equal(c.state, 'open');
  });
});
