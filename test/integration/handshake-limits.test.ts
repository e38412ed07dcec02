import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  Carom,
  ConfigurationError,
  On,
  forwardedAddress,
  readToken,
  tokenProtocol,
  type CaromLogger,
  type CaromOptions,
  type HandshakeRequest,
} from '../../src/index.js';
import type { Peer, PeerAcceptor } from '../../src/transport/index.js';
import { WsTransport } from '../../src/transport/ws-server.js';
import { deferred } from '../support/deferred.js';
import { eventually, within } from '../support/wait.js';
import { Client, connect, terminateAll } from './helpers.js';
import { destroyRaw, rawSend, rawUpgrade } from './raw-upgrade.js';

class Api {
  @On('echo')
  echo(data: unknown) {
    return data;
  }
}

/** A logger that keeps every line, to assert on what refusals log. */
class Lines implements CaromLogger {
  readonly lines: { level: string; text: string }[] = [];
  debug(...args: unknown[]) {
    this.lines.push({ level: 'debug', text: args.map(String).join(' ') });
  }
  info(...args: unknown[]) {
    this.lines.push({ level: 'info', text: args.map(String).join(' ') });
  }
  warn(...args: unknown[]) {
    this.lines.push({ level: 'warn', text: args.map(String).join(' ') });
  }
  error(...args: unknown[]) {
    this.lines.push({ level: 'error', text: args.map(String).join(' ') });
  }
  matching(pattern: RegExp): { level: string; text: string }[] {
    return this.lines.filter((l) => pattern.test(l.text));
  }
}

const apps: Carom[] = [];
const servers: Server[] = [];

interface Served {
  readonly app: Carom;
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly transport: WsTransport;
  readonly log: Lines;
  readonly authenticated: HandshakeRequest[];
}

/**
 * An app attached to a server of the test's own (so that the test can count the
 * server's sockets), on 127.0.0.1 and a free port. `authenticate` records every
 * request it sees before running the test's own.
 */
async function serve(options: CaromOptions = {}): Promise<Served> {
  const log = new Lines();
  const authenticated: HandshakeRequest[] = [];
  const auth = options.authenticate;
  const app = new Carom({
    handlers: [Api],
    heartbeatMs: 0,
    ...options,
    logger: log,
    authenticate: (request) => {
      authenticated.push(request);
      return auth ? auth(request) : true;
    },
  });
  apps.push(app);
  const server = createServer();
  servers.push(server);
  app.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    app,
    server,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    transport: transportOf(app),
    log,
    authenticated,
  };
}

function transportOf(app: Carom): WsTransport {
  // The test reads the transport's counters; they are not part of the app's API.
  return (app as unknown as { transport: WsTransport }).transport;
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );
}

/** Resolves once the server holds `n` sockets; fails after the bounded wait. */
async function serverHolds(server: Server, n: number, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  let held = await connections(server);
  while (held !== n) {
    if (Date.now() > deadline)
      throw new Error(`${what}: the server holds ${held} sockets, not ${n}`);
    await new Promise((r) => setTimeout(r, 10));
    held = await connections(server);
  }
}

interface Refused {
  readonly status: number;
  readonly body: string;
  readonly connection: string | undefined;
  readonly contentType: string | undefined;
}

/** Attempts an upgrade the server should refuse; resolves with its HTTP answer. */
function refused(
  url: string,
  options: WebSocket.ClientOptions = {},
  protocols: string[] = [],
): Promise<Refused> {
  const ws = new WebSocket(url, protocols, options);
  ws.on('error', () => undefined);
  const answer = new Promise<Refused>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body,
          connection: res.headers.connection,
          contentType: res.headers['content-type'],
        });
        ws.terminate();
      });
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`${url} accepted the upgrade`));
    });
    ws.once('error', reject);
  });
  return within(answer, `upgrading ${url}`);
}

const offering = new Set<WebSocket>();

/** Opens a client that offers `protocols`, and waits until it is open. */
async function connectOffering(url: string, protocols: string[]): Promise<Client> {
  const ws = new WebSocket(url, protocols);
  offering.add(ws);
  const client = new Client(ws);
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    `opening ${url} offering ${protocols.join(', ')}`,
  );
  return client;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
}

afterEach(async () => {
  terminateAll();
  destroyRaw();
  for (const ws of offering) ws.terminate();
  offering.clear();
  await within(Promise.all(apps.splice(0).map((a) => a.close())), 'closing the apps');
  await within(Promise.all(servers.splice(0).map(closeServer)), 'closing the servers');
});

describe('allowedOrigins', () => {
  it('by default lets in pages of the same host and clients without Origin, and refuses others with 403 before authenticate', async () => {
    const s = await serve();
    await connect(s.url);
    await connect(s.url, { origin: `http://127.0.0.1:${s.port}` });
    assert.equal(s.authenticated.length, 2);

    const answer = await refused(s.url, { origin: 'https://evil.example' });
    assert.equal(answer.status, 403);
    assert.equal(answer.connection, 'close');
    assert.match(answer.contentType ?? '', /^text\/plain/);
    assert.match(answer.body, /origin/);
    // Another port, another scheme's default port, another name for the same host: all others.
    assert.equal((await refused(s.url, { origin: `http://127.0.0.1:${s.port + 1}` })).status, 403);
    assert.equal((await refused(s.url, { origin: `http://localhost:${s.port}` })).status, 403);
    assert.equal((await refused(s.url, { origin: 'null' })).status, 403);
    assert.equal(s.authenticated.length, 2, 'authenticate never ran for a refused origin');
    assert.equal(s.transport.refusals.origin, 4);
    const [line] = s.log.matching(/evil\.example/);
    assert.ok(line, JSON.stringify(s.log.lines));
    assert.equal(line.level, 'warn');
    assert.match(line.text, /127\.0\.0\.1/);
    assert.match(line.text, /403/);
  });

  it('compares a list case-insensitively, default ports left out', async () => {
    const s = await serve({ allowedOrigins: ['https://App.Example.com', 'http://127.0.0.1:3000'] });
    await connect(s.url, { origin: 'https://app.example.com' });
    await connect(s.url, { origin: 'HTTPS://APP.EXAMPLE.COM:443' });
    await connect(s.url, { origin: 'http://127.0.0.1:3000' });
    await connect(s.url); // no Origin: not a browser
    for (const origin of [
      'http://app.example.com',
      'https://app.example.com:8443',
      'https://app.example.com.evil.example',
      'https://evil.example',
      `http://127.0.0.1:${s.port}`,
    ]) {
      assert.equal((await refused(s.url, { origin })).status, 403, origin);
    }
    assert.equal(s.authenticated.length, 4);
  });

  it("'*' lets every origin in", async () => {
    const s = await serve({ allowedOrigins: '*' });
    await connect(s.url, { origin: 'https://anywhere.example' });
    await connect(s.url, { origin: 'null' });
  });

  it('a function decides; one that throws or returns a promise refuses, and says why', async () => {
    const seen: string[] = [];
    const s = await serve({
      allowedOrigins: (origin, request) => {
        seen.push(`${origin} ${request.url}`);
        if (origin === 'https://boom.example') throw new Error('policy store down');
        if (origin === 'https://later.example') return Promise.resolve(true) as never;
        return origin.endsWith('.good.example');
      },
    });
    await connect(s.url, { origin: 'https://a.good.example' });
    assert.equal((await refused(s.url, { origin: 'https://bad.example' })).status, 403);
    assert.equal((await refused(s.url, { origin: 'https://boom.example' })).status, 403);
    assert.equal((await refused(s.url, { origin: 'https://later.example' })).status, 403);
    assert.deepEqual(seen.slice(0, 2), ['https://a.good.example /ws', 'https://bad.example /ws']);
    assert.equal(s.authenticated.length, 1);
    assert.equal(s.log.matching(/policy store down/)[0]?.level, 'warn');
    assert.equal(s.log.matching(/promise/).length, 1);
  });

  it('refuses to start with a list entry that is not an origin', () => {
    assert.throws(
      () => new Carom({ allowedOrigins: ['https://app.example.com/path'], logLevel: 'fatal' }),
      ConfigurationError,
    );
    assert.throws(
      () => new Carom({ allowedOrigins: ['app.example.com'], logLevel: 'fatal' }),
      /origin/,
    );
  });
});

describe('maxConnections and maxConnectionsPerAddress', () => {
  it('answers 503 past maxConnections, and lets a new one in once a socket closes', async () => {
    const s = await serve({ maxConnections: 3 });
    const open: Client[] = [];
    for (let i = 0; i < 3; i++) open.push(await connect(s.url));
    const answer = await refused(s.url);
    assert.equal(answer.status, 503);
    assert.equal(answer.connection, 'close');
    assert.match(answer.body, /too many connections/);
    assert.equal(s.transport.refusals.maxConnections, 1);
    assert.equal(s.log.matching(/refused \(503\)/)[0]?.level, 'info');

    open[0]!.ws.close();
    await open[0]!.closedWithin();
    await eventually(() => s.transport.sockets === 2, 'the closed socket gives its place back');
    await connect(s.url);
    assert.equal((await refused(s.url)).status, 503);
    assert.equal(s.app.stats().connections, 3);
  });

  it('answers 429 past maxConnectionsPerAddress, per clientAddress, and connection.remoteAddress is that address', async () => {
    const s = await serve({
      maxConnectionsPerAddress: 2,
      clientAddress: (r) => r.headers['x-client'] as string | undefined,
    });
    const from = (who: string) => ({ headers: { 'x-client': who } });
    const a1 = await connect(s.url, from('a'));
    await connect(s.url, from('a'));
    const answer = await refused(s.url, from('a'));
    assert.equal(answer.status, 429);
    assert.match(answer.body, /this address/);
    await connect(s.url, from('b'));
    // Without the header: the socket's own address, a third one.
    await connect(s.url);
    assert.deepEqual(s.app.openConnections.map((c) => c.remoteAddress).sort(), [
      '127.0.0.1',
      'a',
      'a',
      'b',
    ]);

    a1.ws.close();
    await a1.closedWithin();
    await eventually(() => s.transport.sockets === 3, 'the closed socket gives its place back');
    await connect(s.url, from('a'));
    assert.equal((await refused(s.url, from('a'))).status, 429);
    assert.equal(s.transport.refusals.maxConnectionsPerAddress, 2);
  });

  it('counts handshakes waiting on authenticate against the limits', async () => {
    const gate = deferred<boolean>();
    const s = await serve({ maxConnections: 2, authenticate: () => gate.promise });
    const first = rawUpgrade(s.port);
    const second = rawUpgrade(s.port);
    await eventually(() => s.transport.handshakes === 2, 'two handshakes pending');
    assert.equal((await refused(s.url)).status, 503);
    gate.resolve(true);
    await eventually(() => /^HTTP\/1\.1 101/.test(first.received()), 'first upgraded');
    await eventually(() => /^HTTP\/1\.1 101/.test(second.received()), 'second upgraded');
    assert.equal(s.transport.sockets, 2);
  });

  it('a clientAddress that throws refuses with 400, before authenticate, and logs it', async () => {
    const s = await serve({
      clientAddress: () => {
        throw new Error('no header');
      },
    });
    const answer = await refused(s.url);
    assert.equal(answer.status, 400);
    assert.equal(s.authenticated.length, 0);
    assert.equal(s.transport.refusals.badAddress, 1);
    assert.equal(s.transport.sockets, 0);
    assert.match(s.log.matching(/no header/)[0]?.text ?? '', /clientAddress/);
  });

  it('a clientAddress that returns a non-address refuses with 400', async () => {
    let value: unknown = 42;
    const s = await serve({ clientAddress: () => value as string });
    assert.equal((await refused(s.url)).status, 400);
    value = 'x'.repeat(1000);
    assert.equal((await refused(s.url)).status, 400);
    value = '';
    assert.equal((await refused(s.url)).status, 400);
    assert.equal(s.transport.refusals.badAddress, 3);
    assert.equal(s.authenticated.length, 0);
  });

  it('forwardedAddress behind one proxy takes the right-most X-Forwarded-For entry', async () => {
    const s = await serve({
      maxConnectionsPerAddress: 1,
      clientAddress: (r) => forwardedAddress(r),
    });
    // The client wrote 6.6.6.6 itself; the proxy appended the address it saw.
    await connect(s.url, { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' } });
    assert.equal(s.app.openConnections[0]?.remoteAddress, '203.0.113.7');
    const forged = { headers: { 'x-forwarded-for': '6.6.6.7, 203.0.113.7' } };
    assert.equal((await refused(s.url, forged)).status, 429);
    await connect(s.url, { headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' } });
  });
});

describe('handshakeTimeoutMs and hang-ups', () => {
  it('releases at once the sockets of 50 clients that hang up while authenticate never settles', async () => {
    const never = deferred<boolean>();
    const s = await serve({ authenticate: () => never.promise, handshakeTimeoutMs: 60_000 });
    const clients = Array.from({ length: 50 }, () => rawUpgrade(s.port));
    await eventually(() => s.transport.handshakes === 50, 'fifty handshakes pending');
    await serverHolds(s.server, 50, 'before the hang-ups');
    // A few send a byte first: on a paused socket their FIN would sit unread behind it.
    for (let i = 0; i < 50; i += 10) clients[i]!.socket.write('x');
    clients.forEach((c, i) => (i % 2 === 0 ? c.socket.end() : c.socket.destroy()));
    await serverHolds(s.server, 0, 'after the hang-ups');
    assert.equal(s.transport.sockets, 0);
    assert.equal(s.transport.handshakes, 0);
    assert.equal(s.transport.hungUp, 50);
    // What authenticate says after the client left is ignored.
    never.resolve(true);
    await new Promise((r) => setImmediate(r));
    assert.equal(s.app.stats().connections, 0);
    assert.equal(s.transport.sockets, 0);
  });

  it('refuses with 503 an authenticate that does not settle within handshakeTimeoutMs, and destroys its socket', async () => {
    const never = deferred<boolean>();
    const s = await serve({ authenticate: () => never.promise, handshakeTimeoutMs: 300 });
    const raw = rawUpgrade(s.port);
    const answer = await raw.answer();
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.connection, 'close');
    assert.match(answer.body, /took too long/);
    assert.equal(s.transport.refusals.timeout, 1);
    await serverHolds(s.server, 0, 'after the timeout');
    assert.equal(s.transport.sockets, 0);
    assert.match(s.log.matching(/handshakeTimeoutMs/)[0]?.text ?? '', /127\.0\.0\.1/);
    never.resolve(true);
    await new Promise((r) => setImmediate(r));
    assert.equal(s.app.stats().connections, 0);
  });

  it('listen drops an upgrade request whose headers never complete', async () => {
    const app = new Carom({ handlers: [Api], logLevel: 'fatal', handshakeTimeoutMs: 300 });
    apps.push(app);
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    const raw = rawSend(
      port,
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n`,
    );
    await within(raw.closed, 'the server closes the unfinished request');
  });

  it('refuses pending handshakes with 503 when the app closes', async () => {
    const never = deferred<boolean>();
    const s = await serve({ authenticate: () => never.promise });
    const raw = rawUpgrade(s.port);
    await eventually(() => s.transport.handshakes === 1, 'the handshake is pending');
    const closing = s.app.close();
    assert.equal((await raw.answer()).status, 503);
    await within(closing, 'the app closes');
    assert.equal(s.transport.sockets, 0);
  });

  it('refuses with 400 a client that sends a flood before its answer', async () => {
    const never = deferred<boolean>();
    const s = await serve({ authenticate: () => never.promise });
    const raw = rawUpgrade(s.port);
    await eventually(() => s.transport.handshakes === 1, 'the handshake is pending');
    raw.socket.write(Buffer.alloc(64 * 1024, 0x61));
    assert.equal((await raw.answer()).status, 400);
    assert.equal(s.transport.refusals.earlyData, 1);
    await serverHolds(s.server, 0, 'after the refusal');
  });
});

describe('a logger that throws', () => {
  it('does not stop a refusal, nor the server', async () => {
    const app = new Carom({
      handlers: [Api],
      heartbeatMs: 0,
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: () => {
          throw new Error('log sink down');
        },
        error: () => undefined,
      },
    });
    apps.push(app);
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `ws://127.0.0.1:${port}/ws`;
    assert.equal((await refused(url, { origin: 'https://evil.example' })).status, 403);
    await connect(url);
  });
});

describe('malformed handshakes', () => {
  it('every one is answered by ws and its socket released', async () => {
    const s = await serve();
    const cases: [Record<string, string>, string, number][] = [
      [{ 'Sec-WebSocket-Key': 'short' }, 'GET', 400],
      [{ 'Sec-WebSocket-Version': '12' }, 'GET', 400],
      [{ 'Sec-WebSocket-Protocol': 'a, a' }, 'GET', 400],
      [{ 'Sec-WebSocket-Protocol': 'carom, ' }, 'GET', 400],
      [{}, 'POST', 405],
    ];
    for (const [headers, method, status] of cases) {
      const answer = await rawUpgrade(s.port, headers, '/ws', method).answer();
      assert.equal(answer.status, status, JSON.stringify(headers));
    }
    await serverHolds(s.server, 0, 'after the malformed handshakes');
    assert.equal(s.transport.sockets, 0);
    assert.equal(s.transport.refusals.invalid, cases.length);
    // The server still serves.
    await connect(s.url);
  });
});

describe('the carom subprotocol', () => {
  it('selects carom, reads the token entry and never echoes it', async () => {
    const s = await serve({ authenticate: (r) => readToken(r) === 'sécret' });
    const client = await connectOffering(s.url, ['carom', tokenProtocol('sécret')]);
    assert.equal(client.ws.protocol, 'carom');
    assert.equal(s.app.stats().connections, 1);
    const raw = rawUpgrade(s.port, {
      'Sec-WebSocket-Protocol': `${tokenProtocol('sécret')}, carom`,
    });
    await eventually(() => /\r\n\r\n/.test(raw.received()), 'the 101 arrives');
    assert.match(raw.received(), /^HTTP\/1\.1 101/);
    assert.match(raw.received(), /\r\nSec-WebSocket-Protocol: carom\r\n/i);
    assert.doesNotMatch(raw.received(), /carom\.token/);
  });

  it('without carom, selects the first offered that is not a token, or none', async () => {
    const s = await serve();
    const chat = await connectOffering(s.url, [tokenProtocol('t'), 'chat', 'other']);
    assert.equal(chat.ws.protocol, 'chat');
    const plain = await connect(s.url);
    assert.equal(plain.ws.protocol, '');
    const raw = rawUpgrade(s.port, { 'Sec-WebSocket-Protocol': tokenProtocol('t') });
    await eventually(() => /\r\n\r\n/.test(raw.received()), 'the 101 arrives');
    assert.match(raw.received(), /^HTTP\/1\.1 101/);
    assert.doesNotMatch(raw.received(), /Sec-WebSocket-Protocol/i);
  });
});

describe('WsTransport', () => {
  it("gives each Peer the agreed subprotocol and the client's address", async () => {
    const peers: Peer[] = [];
    const acceptor: PeerAcceptor = {
      maxPayload: 1024,
      admit: async () => ({ ok: true, user: 'u' }),
      accept: (peer) => {
        peers.push(peer);
        return { onText: () => undefined, onBinary: () => undefined, onClose: () => undefined };
      },
    };
    const transport = new WsTransport(acceptor, {
      path: '/ws',
      heartbeatMs: 0,
      maxBufferedBytes: 0,
      maxConnections: 10,
      maxConnectionsPerAddress: 10,
      clientAddress: undefined,
      allowedOrigins: undefined,
      handshakeTimeoutMs: 1000,
      logger: new Lines(),
    });
    const server = createServer();
    servers.push(server);
    transport.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
    try {
      await connectOffering(url, ['carom', tokenProtocol('x')]);
      await connectOffering(url, ['bounce']);
      await connect(url);
      assert.deepEqual(
        peers.map((p) => [p.protocol, p.remoteAddress]),
        [
          ['carom', '127.0.0.1'],
          ['bounce', '127.0.0.1'],
          ['', '127.0.0.1'],
        ],
      );
    } finally {
      transport.close(1001, 'done');
    }
  });
});
