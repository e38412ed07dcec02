/**
 * Refused handshakes are logged with their reason, `authenticate`'s refusals
 * included, and a flood of them is bounded by the transport's log budget: the
 * budget's clock is a fake one here, so the period never ends by itself.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Carom, ConnectionRefused, type CaromLogger } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { acceptorOf } from '../../src/transport/index.js';
import { WsTransport, type WsTransportOptions } from '../../src/transport/ws-server.js';
import { within } from '../support/wait.js';

class Lines implements CaromLogger {
  readonly lines: { level: string; text: string }[] = [];
  debug(text: unknown) {
    this.lines.push({ level: 'debug', text: String(text) });
  }
  info(text: unknown) {
    this.lines.push({ level: 'info', text: String(text) });
  }
  warn(text: unknown) {
    this.lines.push({ level: 'warn', text: String(text) });
  }
  error(text: unknown) {
    this.lines.push({ level: 'error', text: String(text) });
  }
  matching(pattern: RegExp): string[] {
    return this.lines.filter((l) => pattern.test(l.text)).map((l) => `${l.level} ${l.text}`);
  }
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Served {
  readonly url: string;
  readonly log: Lines;
  readonly transport: WsTransport;
}

/** A transport of the app's, built by hand so the test gives it a clock and a budget. */
async function serve(app: Carom, extra: Partial<WsTransportOptions> = {}): Promise<Served> {
  const log = new Lines();
  const transport = new WsTransport(acceptorOf(app), {
    path: '/ws',
    heartbeatMs: 0,
    maxBufferedBytes: 0,
    maxConnections: 100,
    maxConnectionsPerAddress: 100,
    clientAddress: undefined,
    allowedOrigins: undefined,
    handshakeTimeoutMs: 5000,
    logger: log,
    ...extra,
  });
  const server: Server = createServer();
  transport.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    transport.close(1001, 'test over');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/ws`, log, transport };
}

/** Resolves with the HTTP status of an upgrade the server refuses. */
function refusedStatus(url: string, options: WebSocket.ClientOptions): Promise<number> {
  const ws = new WebSocket(url, options);
  return within(
    new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        ws.terminate();
        resolve(res.statusCode ?? 0);
      });
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('error', reject);
    }),
    'a refused upgrade',
  );
}

/** Resolves with the close code and reason of a socket refused after the upgrade. */
function closedWith(url: string, options: WebSocket.ClientOptions): Promise<[number, string]> {
  const ws = new WebSocket(url, options);
  ws.on('error', () => undefined);
  return within(
    new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, String(reason)]))),
    'a socket closed by the server',
  );
}

describe('refused handshakes in the log', () => {
  it("logs authenticate's refusal with its reason and the address", async () => {
    const app = new Carom({
      logLevel: 'silent',
      authenticate: (request) => {
        if (request.headers.authorization !== 'Bearer ok') throw new ConnectionRefused('bad token');
        return 'ok';
      },
    });
    const s = await serve(app);
    assert.deepEqual(await closedWith(s.url, { headers: { authorization: 'Bearer no' } }), [
      1008,
      'bad token',
    ]);
    assert.deepEqual(s.log.matching(/authenticate/), [
      'info handshake from 127.0.0.1 refused by authenticate (1008): "bad token"',
    ]);
    assert.equal(s.transport.refusals.unauthorized, 1);
  });

  it('logs at most the budget of a flood, then one line with how many were not logged', async () => {
    const clock = new FakeClock();
    const s = await serve(new Carom({ logLevel: 'silent' }), {
      clock,
      logBudget: { lines: 3, perMs: 1000 },
    });
    for (let i = 0; i < 8; i++) {
      assert.equal(await refusedStatus(s.url, { origin: 'https://evil.example' }), 403);
    }
    assert.equal(s.transport.refusals.origin, 8, 'every refusal is counted');
    assert.equal(s.log.matching(/refused \(403\)/).length, 3);
    assert.deepEqual(s.log.matching(/not logged/), []);

    await clock.advance(1000);
    assert.deepEqual(s.log.matching(/not logged/), [
      'warn 5 more handshake lines were not logged (at most 3 per 1000 ms)',
    ]);
    assert.equal(await refusedStatus(s.url, { origin: 'https://evil.example' }), 403);
    assert.equal(s.log.matching(/refused \(403\)/).length, 4, 'a new period logs again');
  });

  it('reports what it dropped when the transport closes', async () => {
    const clock = new FakeClock();
    const s = await serve(new Carom({ logLevel: 'silent' }), {
      clock,
      logBudget: { lines: 1, perMs: 1000 },
    });
    for (let i = 0; i < 3; i++) await refusedStatus(s.url, { origin: 'https://evil.example' });
    s.transport.close(1001, 'closing');
    assert.deepEqual(s.log.matching(/not logged/), [
      'warn 2 more handshake lines were not logged (at most 1 per 1000 ms)',
    ]);
    assert.equal(clock.pendingTimers, 0);
  });
});
