import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import {
  Carom,
  ConnectionRefused,
  On,
  OnConnect,
  Sender,
  Topic,
  type CaromOptions,
  type Connection,
  type Context,
} from '../../src/index.js';
import { eventually, WAIT_MS, within } from '../support/wait.js';
import { connect, terminateAll, upgradeStatus, type Client } from './helpers.js';

@Topic('news')
class NewsSender extends Sender<{ n: number }> {}

/** A controller: echoes requests and remembers every connection the app saw open. */
class Api {
  readonly connected: string[] = [];

  @On('echo')
  echo(data: unknown, ctx: Context) {
    return { echo: data, user: ctx.connection.user ?? null };
  }

  @OnConnect()
  opened(connection: Connection) {
    this.connected.push(connection.id);
  }
}

const apps: Carom[] = [];
const servers: Server[] = [];

function newApp(options: CaromOptions = {}): Carom {
  const app = new Carom({
    handlers: [Api],
    senders: [NewsSender],
    logLevel: 'fatal',
    ...options,
  });
  apps.push(app);
  return app;
}

/** An app listening on 127.0.0.1 with a free port, and its WebSocket URL. */
async function listening(options: CaromOptions = {}) {
  const app = newApp(options);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    address,
    http: `http://127.0.0.1:${address.port}`,
    ws: `ws://127.0.0.1:${address.port}/ws`,
  };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
}

afterEach(async () => {
  terminateAll();
  await within(Promise.all(apps.splice(0).map((a) => a.close())), 'closing the apps');
  await within(Promise.all(servers.splice(0).map(closeServer)), 'closing the servers');
});

/** Sends `echo` with an id and checks the connection still answers. */
async function assertAnswers(client: Client, id: string | number = 'still-there'): Promise<void> {
  const reply = await client.request({ event: 'echo', data: { ok: true }, id });
  assert.equal(reply.event, 'ack', JSON.stringify(reply));
  assert.deepEqual(reply.data.echo, { ok: true });
  assert.equal(client.ws.readyState, client.ws.OPEN);
}

describe('listen', () => {
  it('binds 127.0.0.1 on a free port and serves WebSockets on /ws', async () => {
    const { address, ws } = await listening();
    assert.equal(address.address, '127.0.0.1');
    assert.ok(address.port > 0);
    const client = await connect(ws);
    await assertAnswers(client);
  });

  it('answers upgrades on other paths with 404', async () => {
    const { address } = await listening();
    const base = `ws://127.0.0.1:${address.port}`;
    assert.equal(await upgradeStatus(`${base}/`), 404);
    assert.equal(await upgradeStatus(`${base}/other`), 404);
    assert.equal(await upgradeStatus(`${base}/ws/more`), 404);
    assert.equal(await upgradeStatus(`${base}/wss`), 404);
  });

  it('answers a plain HTTP GET on /ws with 426 and other paths with 404', async () => {
    const { http } = await listening();
    const onPath = await fetch(`${http}/ws`);
    assert.equal(onPath.status, 426);
    await onPath.text();
    const withQuery = await fetch(`${http}/ws?token=x`);
    assert.equal(withQuery.status, 426);
    await withQuery.text();
    const elsewhere = await fetch(`${http}/index.html`);
    assert.equal(elsewhere.status, 404);
    await elsewhere.text();
  });
});

describe('messaging over a real socket', () => {
  it('subscribes and receives what the app publishes; others do not', async () => {
    const { app, ws } = await listening();
    const alice = await connect(ws);
    const bob = await connect(ws);
    const ack = await alice.request({ event: 'subscribe', data: { events: ['news'] }, id: 1 });
    assert.equal(ack.event, 'ack');
    assert.deepEqual(ack.data, { events: ['news'] });

    assert.equal(app.publish('news', { n: 1 }), 1);
    assert.equal(await app.get(NewsSender).send({ n: 2 }), 1);
    const first = await alice.nextOf('news');
    const second = await alice.nextOf('news');
    assert.deepEqual([first.data, second.data], [{ n: 1 }, { n: 2 }]);
    assert.match(first.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(!Number.isNaN(Date.parse(first.timestamp)));
    assert.equal(first.id, undefined);

    // Bob's reply is written after anything published before he asked.
    await assertAnswers(bob);
    assert.deepEqual(bob.dataOf('news'), []);

    const unsub = await alice.request({ event: 'unsubscribe', data: { events: ['news'] }, id: 2 });
    assert.deepEqual(unsub.data, { events: [] });
    assert.equal(app.publish('news', { n: 3 }), 0);
  });

  it('answers a request with an ack echoing its id, and an unknown event with an error', async () => {
    const { ws } = await listening();
    const client = await connect(ws);
    const numeric = await client.request({ event: 'echo', data: { a: [1, 2] }, id: 7 });
    assert.deepEqual(numeric, {
      event: 'ack',
      id: 7,
      data: { echo: { a: [1, 2] }, user: null },
      timestamp: numeric.timestamp,
    });
    const text = await client.request({ event: 'echo', id: 'req-1' });
    assert.equal(text.id, 'req-1');
    assert.deepEqual(text.data, { echo: {}, user: null });

    const unknown = await client.request({ event: 'nobody-handles-this', id: 8 });
    assert.equal(unknown.event, 'error');
    assert.equal(unknown.data.code, 'UNKNOWN_EVENT');
    assert.equal(unknown.data.event, 'nobody-handles-this');
    await assertAnswers(client);
  });

  it('answers every kind of bad frame with an error envelope and keeps the connection open', async () => {
    const { app, ws } = await listening();
    const client = await connect(ws);
    client.ws.send('{"event": "echo", "data": ');
    client.ws.send(Buffer.from('{"event":"echo"}'), { binary: true });
    client.ws.send('[{"event":"echo"}]');
    client.ws.send('"echo"');
    client.send({ event: 'echo', id: { nested: 1 } });
    client.send({ event: 'echo', id: 'x'.repeat(65) });
    client.send({ event: 'echo', id: 1.5 });
    client.send({ event: '', id: 9 });
    client.send({ event: 'echo', timestamp: 'yesterday', id: 10 });
    await assertAnswers(client);

    const errors = client.messages.filter((e) => e.event === 'error');
    assert.deepEqual(
      errors.map((e) => e.data.code),
      [
        'BAD_JSON',
        'BAD_JSON',
        'BAD_ENVELOPE',
        'BAD_ENVELOPE',
        'BAD_ENVELOPE',
        'BAD_ENVELOPE',
        'BAD_ENVELOPE',
        'BAD_ENVELOPE',
        'BAD_ENVELOPE',
      ],
    );
    for (const e of errors) {
      assert.equal(typeof e.data.message, 'string');
      assert.ok(e.data.message.length > 0);
      assert.ok(!Number.isNaN(Date.parse(e.timestamp)));
    }
    // The two with a usable id echo it; bad ids are not echoed.
    assert.deepEqual(
      errors.map((e) => e.id),
      [undefined, undefined, undefined, undefined, undefined, undefined, undefined, 9, 10],
    );
    assert.equal(app.stats().connections, 1);
  });

  it('closes a connection that sends an oversize frame with 1009; another keeps working', async () => {
    const { app, ws } = await listening({ maxPayload: 1024 });
    const big = await connect(ws);
    const other = await connect(ws);
    // Just under the limit is fine.
    const near = JSON.stringify({ event: 'echo', data: { s: 'y'.repeat(900) }, id: 1 });
    assert.ok(Buffer.byteLength(near) <= 1024);
    const reply = big.next((e) => e.id === 1);
    big.ws.send(near);
    assert.equal((await reply).event, 'ack');

    big.send({ event: 'echo', data: { s: 'x'.repeat(2000) }, id: 2 });
    const closed = await big.closedWithin();
    assert.equal(closed.code, 1009);
    assert.equal(big.messages.filter((e) => e.id === 2).length, 0);

    await assertAnswers(other);
    await eventually(() => app.stats().connections === 1, 'server forgets the closed connection');
  });
});

describe('authentication at the handshake', () => {
  const users: Record<string, string> = { 'alice-token': 'alice', 'bob-token': 'bob' };

  function tokenOf(request: {
    url?: string | undefined;
    headers: Record<string, string | string[] | undefined>;
  }): string | undefined {
    const query = new URL(request.url ?? '/', 'http://x').searchParams.get('token');
    if (query) return query;
    const auth = request.headers['authorization'];
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
    const cookie = request.headers['cookie'];
    if (typeof cookie === 'string') {
      for (const part of cookie.split(';')) {
        const [k, v] = part.trim().split('=');
        if (k === 'token') return v;
      }
    }
    return undefined;
  }

  const authenticate: CaromOptions['authenticate'] = (request) => {
    const token = tokenOf(request);
    if (token === undefined) return false;
    const user = users[token];
    if (!user) throw new ConnectionRefused('unknown token');
    return user;
  };

  async function userOf(client: Client): Promise<unknown> {
    const reply = await client.request({ event: 'echo', id: 'who' });
    assert.equal(reply.event, 'ack');
    return reply.data.user;
  }

  it('reads a token from the query string', async () => {
    const { ws } = await listening({ authenticate });
    const client = await connect(`${ws}?token=alice-token`);
    assert.equal(await userOf(client), 'alice');
  });

  it('reads a token from a header', async () => {
    const { ws } = await listening({ authenticate });
    const client = await connect(ws, { headers: { Authorization: 'Bearer bob-token' } });
    assert.equal(await userOf(client), 'bob');
  });

  it('reads a token from a cookie', async () => {
    const { ws } = await listening({ authenticate });
    const client = await connect(ws, { headers: { Cookie: 'theme=dark; token=alice-token' } });
    assert.equal(await userOf(client), 'alice');
  });

  it('accepts a refused client, closes it with 1008 and the reason, and the app never sees it', async () => {
    const { app, ws } = await listening({ authenticate });
    const missing = await connect(ws);
    assert.deepEqual(await missing.closedWithin(), { code: 1008, reason: 'unauthorized' });
    const wrong = await connect(`${ws}?token=mallory`);
    assert.deepEqual(await wrong.closedWithin(), { code: 1008, reason: 'unknown token' });
    assert.deepEqual(missing.messages, []);
    assert.deepEqual(wrong.messages, []);

    assert.deepEqual(app.get(Api).connected, []);
    assert.equal(app.stats().connections, 0);
    assert.equal(app.openConnections.length, 0);

    // An accepted client afterwards is the first the app sees.
    const alice = await connect(`${ws}?token=alice-token`);
    assert.equal(await userOf(alice), 'alice');
    assert.equal(app.get(Api).connected.length, 1);
    assert.equal(app.stats().connections, 1);
  });
  it('closes with 1008 and a reason cut to fit a close frame when the refusal is long and non-ASCII', async () => {
    const reason = 'Zugang verweigert: ungültiges Token für diesen Bereich. '.repeat(3);
    assert.ok(reason.length <= 200 && Buffer.byteLength(reason) > 123);
    const { app, ws } = await listening({
      authenticate: (request) => {
        if (request.url?.includes('token=ok')) return 'ok';
        throw new ConnectionRefused(reason);
      },
    });
    const refused = await connect(ws);
    const closed = await refused.closedWithin();
    assert.equal(closed.code, 1008);
    assert.ok(closed.reason.length > 0, 'the reason is not empty');
    assert.ok(Buffer.byteLength(closed.reason) <= 123, 'the reason fits a close frame');
    assert.ok(reason.startsWith(closed.reason), `'${closed.reason}' is a prefix of the reason`);
    assert.equal(app.stats().connections, 0);
    const accepted = await connect(`${ws}?token=ok`);
    assert.equal(await userOf(accepted), 'ok');
  });
});

describe('shutdown', () => {
  it('app.close() closes every client with 1001 and stops listening', async () => {
    const { app, ws, address } = await listening();
    const clients = await Promise.all([connect(ws), connect(ws), connect(ws)]);
    await clients[0]!.request({ event: 'subscribe', data: { events: ['news'] }, id: 1 });
    assert.equal(app.stats().connections, 3);
    await within(app.close(), 'app.close()');
    for (const client of clients) {
      assert.equal((await client.closedWithin()).code, 1001);
    }
    assert.equal(app.stats().connections, 0);
    assert.deepEqual(app.stats().subscriptions, { exact: 0, patterns: 0, exclusions: 0 });
    await assert.rejects(connect(`ws://127.0.0.1:${address.port}/ws`));
  });

  it('app.close() during a handshake still being authenticated admits nobody and resolves', async () => {
    let entered!: () => void;
    const authenticating = new Promise<void>((resolve) => (entered = resolve));
    let release!: (user: string) => void;
    const gate = new Promise<string>((resolve) => (release = resolve));
    const { app, ws } = await listening({
      authenticate: () => {
        entered();
        return gate;
      },
    });
    const outcome = connect(ws).then(
      (client) => client,
      (err: Error) => err,
    );
    await within(authenticating, 'authenticate being called');
    const closing = app.close();
    release('late');
    await within(closing, 'app.close() with a handshake pending');
    const client = await outcome;
    if (!(client instanceof Error)) {
      // Accepted after all: it must be closed as every other client is.
      assert.equal((await client.closedWithin()).code, 1001);
    }
    assert.equal(app.stats().connections, 0);
  });

  it('a process running a server exits by itself after app.close()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carom-exit-'));
    // Compiled to build/test/integration: the built package is build/src.
    const entry = new URL('../../src/index.js', import.meta.url).href;
    const script = join(dir, 'server.mjs');
    await writeFile(
      script,
      `import { Carom, On, Topic, TimedSender } from ${JSON.stringify(entry)};
class Tick extends TimedSender {
  createMessageData() { return { tick: true }; }
}
Topic('tick', { everyMs: 20 })(Tick);
class Shutdown {
  handle() {
    setImmediate(() => void app.close());
    return 'closing';
  }
}
On('shutdown')(Shutdown);
const app = new Carom({ handlers: [Shutdown], senders: [Tick], logLevel: 'fatal', heartbeatMs: 1000 });
const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ port }) + '\\n');
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      let stdout = '';
      const port = await within(
        new Promise<number>((resolve, reject) => {
          child.stdout.on('data', (d: Buffer) => {
            stdout += d.toString();
            const line = stdout.split('\n').find((l) => l.startsWith('{'));
            if (line) resolve((JSON.parse(line) as { port: number }).port);
          });
          child.once('exit', (code) => reject(new Error(`child exited (${code}): ${stderr}`)));
        }),
        'the child reporting its port',
        15_000,
      );
      const client = await connect(`ws://127.0.0.1:${port}/ws`);
      const sub = await client.request({ event: 'subscribe', data: { events: ['tick'] }, id: 1 });
      assert.equal(sub.event, 'ack');
      await client.nextOf('tick');
      const reply = await client.request({ event: 'shutdown', id: 2 });
      assert.deepEqual(reply.data, 'closing');
      assert.equal((await client.closedWithin()).code, 1001);
      const [code, signal] = await within(exited, 'the child exiting by itself', 15_000);
      assert.equal(signal, null, stderr);
      assert.equal(code, 0, stderr);
    } finally {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('attach', () => {
  it('serves WebSockets on an existing node:http server that keeps its own routes', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else {
        res.writeHead(404).end('nope');
      }
    });
    servers.push(server);
    const app = newApp();
    assert.equal(app.attach(server), app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok');
    const missing = await fetch(`http://127.0.0.1:${port}/missing`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), 'nope');

    const client = await connect(`ws://127.0.0.1:${port}/ws`);
    await assertAnswers(client);
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${port}/elsewhere`), 404);

    // Closing the app closes its sockets but not a server it did not create.
    await app.close();
    assert.equal((await client.closedWithin()).code, 1001);
    assert.equal(server.listening, true);
    const after = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(after.status, 200);
    assert.equal(await after.text(), 'ok');
  });
});

describe('burst', () => {
  it('delivers 500 publishes to 50 subscribers complete and in order', async () => {
    const { app, ws } = await listening();
    const clients: Client[] = [];
    for (let i = 0; i < 50; i++) clients.push(await connect(ws));
    await Promise.all(
      clients.map(async (c, i) => {
        const ack = await c.request({ event: 'subscribe', data: { events: ['news'] }, id: i });
        assert.equal(ack.event, 'ack');
      }),
    );
    const expected: number[] = [];
    for (let n = 0; n < 500; n++) {
      expected.push(n);
      assert.equal(app.publish('news', { n }), 50);
      // Some in one event-loop turn, some across turns.
      if (n % 37 === 36) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(
      clients.map((c) => c.next((e) => e.event === 'news' && e.data.n === 499, WAIT_MS * 2)),
    );
    for (const c of clients) {
      assert.deepEqual(
        c.dataOf('news').map((d: { n: number }) => d.n),
        expected,
      );
    }
  });
});

describe('heartbeat', () => {
  it('terminates a client that does not answer pings; one that answers stays', async () => {
    const { app, ws } = await listening({ heartbeatMs: 50 });
    const silent = await connect(ws, { autoPong: false });
    const normal = await connect(ws);
    let silentPings = 0;
    let normalPings = 0;
    silent.ws.on('ping', () => silentPings++);
    normal.ws.on('ping', () => normalPings++);

    const closed = await silent.closedWithin();
    assert.equal(closed.code, 1006);
    assert.ok(silentPings >= 1);
    await eventually(() => app.stats().connections === 1, 'server forgets the silent client');

    // Several more intervals pass for the client that answers.
    const seen = normalPings;
    await eventually(() => normalPings >= seen + 5, 'five more pings to the normal client');
    assert.equal(normal.ws.readyState, normal.ws.OPEN);
    await assertAnswers(normal);
    assert.equal(app.stats().connections, 1);
  });
});
