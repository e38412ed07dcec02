/**
 * carom/client against a real server with histories and keys: a client cut
 * off while 500 messages are published gets all 500 after it reconnects, in
 * order, none twice, and its onRecovery report says so; a request retried
 * across a reconnect is handled once and settles once; the onRestore hook's
 * request reaches the server before the emits queued while away.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Carom, On, type CaromOptions } from '../../src/index.js';
import {
  connect,
  type CaromClient,
  type ClientOptions,
  type RecoveryReport,
  type WebSocketConstructor,
} from '../../src/client/index.js';
import { deferred } from '../support/deferred.js';
import { eventually, within } from '../support/wait.js';

const apps: Carom[] = [];
const clients: CaromClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await within(Promise.all(apps.splice(0).map((a) => a.close())), 'closing the apps', 10_000);
});

/** Counts and orders what the server handled; `pay` can be held until the test lets it go. */
class Api {
  static calls: string[] = [];
  static hold: Promise<void> | undefined;
  static reached: (() => void) | undefined;

  @On('pay', { dto: false })
  async pay(data: { n: number }): Promise<{ paid: number; calls: number }> {
    Api.calls.push(`pay ${data.n}`);
    Api.reached?.();
    if (Api.hold) await Api.hold;
    return { paid: data.n, calls: Api.calls.filter((c) => c.startsWith('pay')).length };
  }

  @On('join', { dto: false })
  join(data: { room: string }): { ok: true } {
    Api.calls.push(`join ${data.room}`);
    return { ok: true };
  }

  @On('say', { dto: false })
  say(data: { text: string }): void {
    Api.calls.push(`say ${data.text}`);
  }
}

async function serve(options: CaromOptions = {}, port = 0): Promise<{ app: Carom; url: string }> {
  Api.calls = [];
  Api.hold = undefined;
  Api.reached = undefined;
  const app = new Carom({
    handlers: [Api],
    topics: [{ name: 'chat', history: { size: 1000 } }],
    logLevel: 'fatal',
    heartbeatMs: 0,
    ...options,
  });
  apps.push(app);
  const address = await app.listen({ port, host: '127.0.0.1' });
  return { app, url: `ws://127.0.0.1:${address.port}/ws` };
}

/** A client whose sockets the test can cut, and whose next attempt waits for `gate()` to open. */
function client(url: string, options: ClientOptions = {}) {
  const sockets: WebSocket[] = [];
  class Cuttable extends WebSocket {
    constructor(address: string, protocols?: string | string[], opts?: WebSocket.ClientOptions) {
      super(address, protocols, opts);
      sockets.push(this);
    }
  }
  let gate = Promise.resolve();
  let open: () => void = () => undefined;
  const c = connect(url, {
    WebSocket: Cuttable as unknown as WebSocketConstructor,
    reconnect: { backoff: () => 10, drainDelayMs: 0 },
    // Called before every attempt: holds the reconnect while the test works.
    token: async () => {
      await gate;
      return 't';
    },
    ...options,
  });
  clients.push(c);
  return {
    c,
    /** Cuts the connection; the next attempt waits until `reopen()`. */
    cut(): void {
      const d = deferred<void>();
      gate = d.promise;
      open = () => d.resolve();
      sockets.at(-1)!.terminate();
    },
    reopen: (): void => open(),
  };
}

describe('carom/client over a real server: nothing missed, handled once', () => {
  it('a client cut off while 500 messages are published gets all 500, in order, none twice, and is told so', async () => {
    const { app, url } = await serve();
    const { c, cut, reopen } = client(url);
    const got: number[] = [];
    c.on('chat', (d: { n: number }) => got.push(d.n));
    const reports: RecoveryReport[] = [];
    c.onRecovery((r) => reports.push(r));
    const ack = await within(c.subscribe(['chat']), 'subscribing');
    assert.equal(ack.recovery?.chat?.recovered, true, 'recent: 0 says where the history stands');
    app.publish('chat', { n: 0 });
    await eventually(() => got.length === 1, 'the first message');

    cut();
    await eventually(() => app.stats().connections === 0, 'the server saw the cut');
    for (let n = 1; n <= 500; n++) app.publish('chat', { n });
    reopen();
    await eventually(() => reports.length === 1, 'the recovery report', 10_000);
    app.publish('chat', { n: 501 });
    await eventually(() => got.length === 502, 'all 502 messages', 10_000);

    assert.deepEqual(
      got,
      Array.from({ length: 502 }, (_, n) => n),
    );
    assert.equal(reports[0]!.recovered, true);
    assert.equal(reports[0]!.events.chat!.replayed, 500);
    assert.equal(reports[0]!.events.chat!.offset, 501);
  });

  it('a gap larger than the history is reported, not hidden', async () => {
    const { app, url } = await serve({ topics: [{ name: 'chat', history: { size: 10 } }] });
    const { c, cut, reopen } = client(url);
    const reports: RecoveryReport[] = [];
    c.onRecovery((r) => reports.push(r));
    let heard = 0;
    c.on('chat', () => heard++);
    await within(c.subscribe(['chat']), 'subscribing');
    app.publish('chat', { n: 0 });
    await eventually(() => heard === 1, 'the first message');
    cut();
    await eventually(() => app.stats().connections === 0, 'the server saw the cut');
    for (let n = 1; n <= 50; n++) app.publish('chat', { n });
    reopen();
    await eventually(() => reports.length === 1, 'the recovery report', 10_000);
    assert.equal(reports[0]!.recovered, false);
    assert.equal(reports[0]!.events.chat!.reason, 'GAP');
  });

  it('a server restarted with an in-memory history is reported as EPOCH, and the client follows the new epoch', async () => {
    const { app, url } = await serve();
    const { c } = client(url);
    const reports: RecoveryReport[] = [];
    c.onRecovery((r) => reports.push(r));
    const got: number[] = [];
    c.on('chat', (d: { n: number }) => got.push(d.n));
    await within(c.subscribe(['chat']), 'subscribing');
    app.publish('chat', { n: 1 });
    await eventually(() => got.length === 1, 'the first message');
    await within(app.close(), 'closing the first server');
    apps.splice(apps.indexOf(app), 1);
    const { app: second } = await serve({}, Number(new URL(url).port));
    await eventually(() => reports.length === 1, 'the recovery report', 10_000);
    assert.equal(reports[0]!.recovered, false);
    assert.equal(reports[0]!.events.chat!.reason, 'EPOCH');
    second.publish('chat', { n: 2 });
    await eventually(() => got.length === 2, 'a message of the new epoch');
    assert.deepEqual(got, [1, 2]);
  });

  it('a request retried across a reconnect is handled once and settles once with the first answer', async () => {
    const { app, url } = await serve();
    const { c, cut, reopen } = client(url);
    await within(c.ready(), 'opening');
    const release = deferred<void>();
    const reached = deferred<void>();
    Api.hold = release.promise;
    Api.reached = () => reached.resolve();
    const paid = c.request('pay', { n: 7 }, { retry: true, timeoutMs: 20_000 });
    await within(reached.promise, 'the handler was reached');
    cut();
    await eventually(() => app.stats().connections === 0, 'the server saw the cut');
    release.resolve(); // its answer has no connection to go to
    reopen();
    assert.deepEqual(await within(paid, 'the retried request'), { paid: 7, calls: 1 });
    assert.deepEqual(Api.calls, ['pay 7']);
  });

  it("the onRestore hook's request reaches the server before the emits queued while away", async () => {
    const { app, url } = await serve();
    const { c, cut, reopen } = client(url, {
      onRestore: async (client) => {
        await client.request('join', { room: 'lobby' });
      },
    });
    await within(c.ready(), 'opening');
    cut();
    await eventually(() => app.stats().connections === 0, 'the server saw the cut');
    c.emit('say', { text: 'typed while away' });
    reopen();
    await eventually(() => Api.calls.length === 2, 'both handled');
    assert.deepEqual(Api.calls, ['join lobby', 'say typed while away']);
  });
});
