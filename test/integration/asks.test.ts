/**
 * Requests the server makes of a client, over real sockets: carom's own
 * client answers them (from a handler that awaits its answer, too); a client
 * without an answer says so at once; a raw client that negotiated `carom`
 * and never answers times out and keeps its connection; a bounce-ws client
 * (no subprotocol) is never asked.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  AskError,
  Carom,
  Handler,
  UsageError,
  eventMap,
  type Connection,
  type Context,
} from '../../src/index.js';
import { connect as caromConnect, type CaromClient } from '../../src/client/index.js';
import { failOnEscapes } from '../support/no-escapes.js';
import { eventually, within } from '../support/wait.js';
import WebSocket from 'ws';
import { Client, connect as rawConnect, terminateAll } from './helpers.js';

failOnEscapes();

type Events = {
  confirm: { ask: { question: string }; answer: { yes: boolean } };
  start: { send: { question: string }; ack: { yes: boolean } };
};

const { On } = eventMap<Events>();

@On('start', { dto: false })
class StartHandler extends Handler<{ question: string }, { yes: boolean }> {
  handle(data: { question: string }, ctx: Context<unknown, Events>): Promise<{ yes: boolean }> {
    return ctx.connection.ask('confirm', data, { timeoutMs: 5000 });
  }
}

const apps: Carom<Events>[] = [];
const clients: CaromClient<Events>[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  terminateAll();
  await within(Promise.all(apps.splice(0).map((a) => a.close())), 'closing the apps', 10_000);
});

async function start(): Promise<{ app: Carom<Events>; url: string }> {
  const app = new Carom<Events>({
    handlers: [StartHandler],
    logLevel: 'silent',
    askTimeoutMs: 300,
    heartbeatMs: 0,
  });
  apps.push(app);
  const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `ws://127.0.0.1:${port}/ws` };
}

const carom: WebSocket[] = [];
afterEach(() => {
  for (const ws of carom.splice(0)) ws.terminate();
});

/** A raw client that negotiates the `carom` subprotocol and answers nothing by itself. */
async function rawCarom(url: string): Promise<Client> {
  const ws = new WebSocket(url, 'carom');
  carom.push(ws);
  const client = new Client(ws);
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    'opening a carom socket',
  );
  assert.equal(ws.protocol, 'carom');
  return client;
}

function only(app: Carom<Events>): Connection<unknown, Events> {
  assert.equal(app.openConnections.length, 1);
  return app.openConnections[0]!;
}

describe('server-to-client requests over real sockets', () => {
  it('carom/client answers, from the server and from inside a handler', async () => {
    const { app, url } = await start();
    const client = caromConnect<Events>(url, { reconnect: false });
    clients.push(client);
    const stop = client.answer('confirm', async (q) => ({ yes: q.question.endsWith('?') }));
    await within(client.ready(), 'connecting');
    assert.deepEqual(await only(app).ask('confirm', { question: 'sure?' }), { yes: true });
    assert.deepEqual(await client.request('start', { question: 'go' }), { yes: false });
    stop();
    const err = await only(app)
      .ask('confirm', { question: '?' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof AskError, String(err));
    assert.equal(err.code, 'ASK_FAILED');
    assert.equal(err.clientCode, 'NO_ANSWER', 'without an answerer the client says so at once');
    assert.equal(app.pendingAsks, 0);
  });

  it('an answerer that throws is an error answer and an onError report', async () => {
    const { app, url } = await start();
    const client = caromConnect<Events>(url, { reconnect: false });
    clients.push(client);
    const reports: string[] = [];
    client.onError((e) => reports.push(e.code));
    client.answer('confirm', () => {
      throw new Error('no user here');
    });
    await within(client.ready(), 'connecting');
    const err = await only(app)
      .ask('confirm', { question: '?' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof AskError && err.clientCode === 'ANSWER_FAILED', String(err));
    assert.match(err.message, /no user here/);
    await eventually(() => reports.includes('LISTENER_ERROR'), 'the client reports it');
  });

  it('a carom client that never answers times out, and its connection goes on', async () => {
    const { app, url } = await start();
    const raw = await rawCarom(url);
    await raw.nextOf('carom.welcome');
    const err = await only(app)
      .ask('confirm', { question: '?' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof AskError && err.code === 'ASK_TIMEOUT', String(err));
    const asked = (await raw.nextOf('carom.ask')).data as { ask: number; event: string };
    assert.equal(asked.event, 'confirm');
    raw.send({ event: 'carom.answer', data: { ask: asked.ask, data: { yes: true } } });
    const late = await raw.nextOf('error');
    assert.match((late.data as { message: string }).message, /no request/);
    const pong = await raw.request({ event: 'carom.ping', id: 1 });
    assert.equal(pong.event, 'ack');
    assert.equal(app.pendingAsks, 0);
  });

  it('a request pending when the socket closes fails with ASK_CLOSED', async () => {
    const { app, url } = await start();
    const raw = await rawCarom(url);
    await raw.nextOf('carom.welcome');
    const pending = only(app)
      .ask('confirm', { question: '?' }, { timeoutMs: 60_000 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await raw.nextOf('carom.ask');
    raw.ws.close();
    const err = await within(pending, 'the request failing');
    assert.ok(err instanceof AskError && err.code === 'ASK_CLOSED', String(err));
    assert.equal(app.pendingAsks, 0);
  });

  it('a bounce-ws client (no subprotocol) is never asked', async () => {
    const { app, url } = await start();
    const raw = await rawConnect(url);
    await eventually(() => app.openConnections.length === 1, 'the connection');
    assert.throws(
      () => void only(app).ask('confirm', { question: '?' }),
      (e: unknown) => e instanceof UsageError && e.code === 'CAROM_ERR_ASK_UNSUPPORTED',
    );
    const pong = await raw.request({ event: 'carom.ping', id: 2 });
    assert.equal(pong.event, 'ack');
    assert.deepEqual(raw.dataOf('carom.ask'), []);
  });
});
