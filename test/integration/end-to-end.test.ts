/**
 * carom's own client in Node against a real server: the welcome, tokens in the
 * subprotocol (refreshed on reconnect), refusals that are not retried,
 * reconnecting after a drain, and the default origin check.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  Carom,
  ClientError,
  OnConnect,
  On,
  readToken,
  type CaromOptions,
  type Connection,
  type Context,
  type HandshakeRequest,
} from '../../src/index.js';
import {
  connect as caromConnect,
  RequestError,
  type CaromClient,
  type ClientOptions,
  type CloseInfo,
} from '../../src/client/index.js';
import { deferred } from '../support/deferred.js';
import { failOnEscapes } from '../support/no-escapes.js';
import { eventually, within } from '../support/wait.js';
import { terminateAll, upgradeStatus } from './helpers.js';

failOnEscapes();

const apps: Carom[] = [];
const clients: CaromClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  terminateAll();
  await within(Promise.all(apps.splice(0).map((a) => a.close())), 'closing the apps', 10_000);
});

/** Records the connections its hook sees, and can hold or refuse them. */
class Hooks {
  static seen: Connection[] = [];
  static hold: Promise<void> | undefined;
  static refuse: string | undefined;

  @OnConnect()
  async check(connection: Connection): Promise<void> {
    Hooks.seen.push(connection);
    if (Hooks.hold) await Hooks.hold;
    if (Hooks.refuse !== undefined) throw new ClientError(Hooks.refuse);
  }
}

class Api {
  @On('whoami', { dto: false })
  whoami(_data: unknown, ctx: Context): unknown {
    return ctx.connection.user;
  }
}

function resetHooks(): void {
  Hooks.seen = [];
  Hooks.hold = undefined;
  Hooks.refuse = undefined;
}

async function serve(
  options: CaromOptions = {},
  port = 0,
): Promise<{ app: Carom; url: string; port: number }> {
  const app = new Carom({
    handlers: [Hooks, Api],
    logLevel: 'fatal',
    heartbeatMs: 0,
    ...options,
  });
  apps.push(app);
  const address = await app.listen({ port, host: '127.0.0.1' });
  return { app, url: `ws://127.0.0.1:${address.port}/ws`, port: address.port };
}

function client(url: string, options: ClientOptions = {}): CaromClient {
  const c = caromConnect(url, { connectTimeoutMs: 5000, ...options });
  clients.push(c);
  return c;
}

/** Resolves with the rejection of `ready()`; fails if it resolves or takes too long. */
async function refusal(c: CaromClient): Promise<RequestError> {
  const outcome = await within(
    c.ready().then(
      () => undefined,
      (err: unknown) => err,
    ),
    'ready() settling',
  );
  assert.ok(outcome instanceof RequestError, `ready() gave ${String(outcome)}`);
  return outcome;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('carom client end to end', () => {
  afterEach(resetHooks);

  it('ready() resolves only after carom.welcome, and connectionId is the server connection id', async () => {
    const gate = deferred();
    Hooks.hold = gate.promise;
    const { url } = await serve();
    const c = client(url);
    let ready = false;
    const readied = c.ready().then(() => (ready = true));
    await eventually(() => Hooks.seen.length === 1, 'the connect hook runs');
    // The socket is open, but the welcome waits for the hook.
    await sleep(100);
    assert.equal(ready, false);
    assert.equal(c.state, 'connecting');
    assert.equal(c.connectionId, undefined);
    gate.resolve();
    await within(readied, 'ready()');
    assert.equal(c.state, 'open');
    assert.equal(c.connectionId, Hooks.seen[0]!.id);
  });

  it('a token travels in the subprotocol, not the URL; a token function is called again on reconnect', async () => {
    const urls: Array<string | undefined> = [];
    const authenticate = (r: HandshakeRequest) => {
      urls.push(r.url);
      return readToken(r) === 'secret' ? { name: 'ann' } : false;
    };
    const { url, app } = await serve({ authenticate });

    const fixed = client(url, { token: 'secret' });
    await within(fixed.ready(), 'ready() with a token');
    assert.deepEqual(await fixed.request('whoami', {}), { name: 'ann' });
    assert.equal(urls.length, 1);
    assert.ok(!urls[0]!.includes('secret') && !urls[0]!.includes('token'), urls[0]);
    fixed.close();

    let calls = 0;
    const refreshed = client(url, {
      token: () => {
        calls++;
        return 'secret';
      },
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    await within(refreshed.ready(), 'ready() with a token function');
    assert.equal(calls, 1);
    const first = refreshed.connectionId;
    const server = app.openConnections.find((conn) => conn.id === first);
    assert.ok(server, 'the server holds the connection');
    server.close(1011, 'test');
    await eventually(
      () => refreshed.state === 'open' && refreshed.connectionId !== first,
      'reconnected',
    );
    assert.equal(calls, 2, 'the token function was called again');
    assert.equal(urls.length, 3);
    for (const u of urls) assert.ok(!u!.includes('secret'), u);
  });

  it('a wrong token: ready() rejects REFUSED with the reason, and nothing is retried', async () => {
    let calls = 0;
    const { url } = await serve({
      authenticate: (r) => {
        calls++;
        return readToken(r) === 'secret' ? { name: 'ann' } : false;
      },
    });
    const c = client(url, { token: 'wrong', reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
    const err = await refusal(c);
    assert.equal(err.code, 'REFUSED');
    assert.match(err.message, /unauthorized/);
    assert.deepEqual(err.details, { code: 1008, reason: 'unauthorized' });
    // Many retries would fit in this wait at 10 to 20 ms each.
    await sleep(400);
    assert.equal(calls, 1);
    assert.equal(c.state, 'closed');
  });

  it("a connect hook throwing ClientError('banned'): ready() rejects REFUSED with 'banned'", async () => {
    Hooks.refuse = 'banned';
    const { url } = await serve();
    const c = client(url, { reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
    const err = await refusal(c);
    assert.equal(err.code, 'REFUSED');
    assert.match(err.message, /banned/);
    assert.deepEqual(err.details, { code: 1008, reason: 'banned' });
    await sleep(200);
    assert.equal(Hooks.seen.length, 1, 'no retry');
  });

  it('after app.close({ graceMs }) the client sees 1012 or 1001 and reconnects to a new app on the same port', async () => {
    const first = await serve();
    const c = client(first.url, { reconnect: { drainDelayMs: 200 } });
    await within(c.ready(), 'ready()');
    const closes: CloseInfo[] = [];
    c.onState((state, info) => {
      if (state === 'reconnecting' && info) closes.push(info);
    });
    await within(first.app.close({ graceMs: 500 }), 'draining the first app', 10_000);
    await eventually(() => closes.length > 0, 'the client saw the close');
    assert.ok(closes[0]!.code === 1012 || closes[0]!.code === 1001, `code ${closes[0]!.code}`);
    assert.equal(closes[0]!.willReconnect, true);

    const second = await serve({}, first.port);
    assert.equal(second.port, first.port);
    await eventually(() => c.state === 'open', 'reconnected to the new app', 15_000);
    // Ids are per app, so the new one may reuse the old id: it is the new app that holds it.
    assert.equal(second.app.openConnections.length, 1);
    assert.equal(second.app.openConnections[0]!.id, c.connectionId);
    assert.equal(Hooks.seen.length, 2, 'both apps saw a connection');
  });

  it('allowedOrigins by default: a foreign Origin gets 403, the client without Origin connects', async () => {
    const { url } = await serve();
    assert.equal(await upgradeStatus(url, { origin: 'https://evil.example' }), 403);
    const c = client(url);
    await within(c.ready(), 'ready() without Origin');
    assert.equal(Hooks.seen.length, 1);
  });
});
