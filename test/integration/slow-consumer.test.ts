/**
 * A client that stops reading must not make the server hold its frames without
 * bound: past maxBufferedBytes it is closed (1013) and leaves the app, and the
 * other clients keep receiving everything.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Carom,
  OnDisconnect,
  Injectable,
  type CaromLogger,
  type Connection,
} from '../../src/index.js';
import { Frame, type Peer, type PeerAcceptor } from '../../src/transport/index.js';
import { WsTransport } from '../../src/transport/ws-server.js';
import { eventually } from '../support/wait.js';
import { connect, terminateAll, type Client } from './helpers.js';

@Injectable()
class Departures {
  readonly codes: string[] = [];
  @OnDisconnect()
  gone(connection: Connection): void {
    this.codes.push(connection.id);
  }
}

describe('a client that stops reading', () => {
  let app: Carom | undefined;
  afterEach(async () => {
    terminateAll();
    await app?.close();
    app = undefined;
  });

  it('is closed past maxBufferedBytes while the others keep receiving', async () => {
    app = new Carom({
      topics: ['big'],
      handlers: [Departures],
      maxBufferedBytes: 256 * 1024,
      logLevel: 'fatal',
    });
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `ws://127.0.0.1:${port}/ws`;
    const fast: Client = await connect(url);
    const slow: Client = await connect(url);
    for (const c of [fast, slow]) {
      c.send({ event: 'subscribe', data: { events: ['big'] }, id: 1 });
      await c.next((e) => e.event === 'ack');
    }
    assert.equal(app.subscribers('big').length, 2);

    // The slow client's socket stops reading: its kernel buffers fill, then the server's.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const body = 'x'.repeat(64 * 1024);
    let sent = 0;
    for (let i = 0; i < 2000 && app.subscribers('big').length === 2; i++) {
      app.publish('big', { seq: i, body });
      sent++;
      if (i % 8 === 7) await new Promise((r) => setImmediate(r));
    }
    assert.equal(app.subscribers('big').length, 1, 'the slow client left the app');
    assert.equal(app.stats().connections, 1);
    assert.equal(app.get(Departures).codes.length, 1, 'its disconnect hooks ran');

    // The fast client got every message, in order.
    await eventually(() => fast.dataOf('big').length === sent, `all ${sent} messages`, 20_000);
    assert.deepEqual(
      fast.dataOf('big').map((d: { seq: number }) => d.seq),
      Array.from({ length: sent }, (_, i) => i),
    );

    // Once it reads again, it finds the 1013 close behind what was already queued for it.
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await slow.closed;
    assert.equal(closed.code, 1013);
    assert.match(closed.reason, /too slow/);
  });

  it('is not limited with maxBufferedBytes: 0', () => {
    assert.doesNotThrow(() => new Carom({ maxBufferedBytes: 0, logLevel: 'fatal' }));
    assert.throws(() => new Carom({ maxBufferedBytes: -1 }), /maxBufferedBytes/);
  });
});

describe('the ws transport and a slow consumer', () => {
  it('reports the close to the core once: at the cut, not again when the socket closes', async () => {
    const closes: number[] = [];
    let peer: Peer | undefined;
    const acceptor: PeerAcceptor = {
      maxPayload: 1024,
      admit: async () => ({ ok: true, user: undefined }),
      accept: (p) => {
        peer = p;
        return {
          onText: () => undefined,
          onBinary: () => undefined,
          onClose: (code) => void closes.push(code),
        };
      },
    };
    const quiet: CaromLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const transport = new WsTransport(acceptor, {
      path: '/ws',
      heartbeatMs: 0,
      maxBufferedBytes: 64 * 1024,
      maxConnections: 10,
      maxConnectionsPerAddress: 10,
      clientAddress: undefined,
      allowedOrigins: undefined,
      handshakeTimeoutMs: 1000,
      logger: quiet,
    });
    const server = createServer();
    transport.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
      const slow = await connect(url);
      await eventually(() => peer !== undefined, 'the peer is accepted');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const frame = new Frame(JSON.stringify({ event: 'big', data: 'x'.repeat(64 * 1024) }));
      for (let i = 0; i < 2000 && closes.length === 0; i++) {
        peer!.send(frame);
        if (i % 8 === 7) await new Promise((r) => setImmediate(r));
      }
      assert.deepEqual(closes, [1013], 'cut as too slow');
      slow.ws.terminate();
      await slow.closedWithin();
      // The socket's own 'close' has come and gone by now.
      await eventually(() => transport.sockets === 0, 'the socket is released');
      assert.deepEqual(closes, [1013], 'reported once');
    } finally {
      transport.close(1001, 'done');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
