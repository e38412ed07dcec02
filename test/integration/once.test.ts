/**
 * Requests and emits handled once, over real sockets: raw `ws` clients that
 * negotiate `carom` and send the `carom.client.<id>` entry, as carom's client
 * does. A request retried on a new connection, an emit retried, a repeat
 * while the first is in flight, another identity with the same key, the
 * window and the bound per identity; the entry is never echoed.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Carom, Handler, On, type CaromOptions } from '../../src/index.js';
import { failOnEscapes } from '../support/no-escapes.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { eventually, within } from '../support/wait.js';
import { Client, connect, terminateAll } from './helpers.js';

failOnEscapes();

const calls: unknown[] = [];
let hold: Deferred<unknown> | undefined;

@On('order', { dto: false })
class OrderHandler extends Handler<{ item: string }, { order: number; item: string }> {
  async handle(data: { item: string }): Promise<{ order: number; item: string }> {
    calls.push(data);
    if (hold !== undefined) await hold.promise;
    return { order: calls.length, item: data.item };
  }
}

@On('note', { dto: false })
class NoteHandler extends Handler<unknown, void> {
  handle(data: unknown): void {
    calls.push(data);
  }
}

const apps: Carom[] = [];
afterEach(async () => {
  terminateAll();
  calls.length = 0;
  hold = undefined;
  await within(Promise.all(apps.splice(0).map((a) => a.close())), 'closing the apps', 10_000);
});

async function start(options: CaromOptions = {}): Promise<{ app: Carom; url: string }> {
  const app = new Carom({
    handlers: [OrderHandler, NoteHandler],
    logLevel: 'silent',
    heartbeatMs: 0,
    ...options,
  });
  apps.push(app);
  const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `ws://127.0.0.1:${port}/ws` };
}

/** A raw client of carom's subprotocol with a client instance id, welcomed. */
async function client(url: string, id = 'instance-0001'): Promise<Client> {
  const c = await connect(url, {}, ['carom', `carom.client.${id}`]);
  // The entry names the client; it is never the protocol agreed.
  assert.equal(c.ws.protocol, 'carom');
  await c.next((e) => e.event === 'carom.welcome');
  return c;
}

function request(c: Client, id: number | string, key: string, data: object): Promise<any> {
  c.send({ event: 'order', data, id, key });
  return c.next((e) => e.id === id);
}

const KEY = 'Qm9va2luZy0wMDAwMDAx';

describe('requests handled once, over real sockets', () => {
  it('handles a request retried on a new connection of the same client once; both get the answer', async () => {
    const { app, url } = await start();
    const first = await client(url);
    assert.equal(app.openConnections[0]?.clientId, 'instance-0001');
    const a = await request(first, 1, KEY, { item: 'tea' });
    first.ws.terminate();
    await first.closed;
    const second = await client(url);
    const b = await request(second, 'again', KEY, { item: 'tea' });
    assert.equal(calls.length, 1);
    assert.equal(a.event, 'ack');
    assert.equal(b.event, 'ack');
    assert.equal(b.id, 'again');
    assert.deepEqual(b.data, a.data);
  });

  it('handles an emit retried once', async () => {
    const { app, url } = await start();
    const first = await client(url);
    first.send({ event: 'note', data: { text: 'hi' }, key: KEY });
    await request(first, 1, 'Zmx1c2gtMDAwMDAwMDE', { item: 'flush' });
    first.ws.terminate();
    const second = await client(url);
    second.send({ event: 'note', data: { text: 'hi' }, key: KEY });
    await request(second, 2, 'Zmx1c2gtMDAwMDAwMDI', { item: 'flush' });
    assert.deepEqual(calls, [{ text: 'hi' }, { item: 'flush' }, { item: 'flush' }]);
    assert.equal(app.onceStats().repeatedEmits, 1);
  });

  it('makes a repeat sent while the first is in flight wait for the first answer', async () => {
    const { app, url } = await start();
    hold = deferred();
    const first = await client(url);
    const second = await client(url);
    const a = request(first, 1, KEY, { item: 'cake' });
    await eventually(() => calls.length === 1, 'the first attempt reaching its handler');
    const b = request(second, 2, KEY, { item: 'cake' });
    await eventually(() => app.onceStats().waited === 1, 'the repeat waiting');
    hold.resolve(undefined);
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(calls.length, 1);
    assert.deepEqual(rb.data, ra.data);
  });

  it('handles the same key of another client instance separately', async () => {
    const { url } = await start();
    const ann = await client(url, 'instance-ann-1');
    const bob = await client(url, 'instance-bob-2');
    const a = await request(ann, 1, KEY, { item: 'tea' });
    const b = await request(bob, 1, KEY, { item: 'coffee' });
    assert.equal(calls.length, 2);
    assert.deepEqual(a.data, { order: 1, item: 'tea' });
    assert.deepEqual(b.data, { order: 2, item: 'coffee' });
  });

  it('handles a key again once past the window, and past maxKeys', async () => {
    const { url } = await start({ once: { windowMs: 200, maxKeys: 2 } });
    const c = await client(url);
    await request(c, 1, KEY, { item: 'a' });
    await request(c, 2, KEY, { item: 'a' });
    assert.equal(calls.length, 1);
    await new Promise((r) => setTimeout(r, 250));
    await request(c, 3, KEY, { item: 'a' });
    assert.equal(calls.length, 2);
    await request(c, 4, 'c2Vjb25kLWtleS0wMDAx', { item: 'b' });
    await request(c, 5, 'dGhpcmQta2V5LTAwMDAx', { item: 'c' });
    await request(c, 6, KEY, { item: 'a' });
    assert.equal(calls.length, 5);
  });

  it('ignores the key of a bounce-ws client, which never sends the entry', async () => {
    const { url } = await start();
    const plain = await connect(url);
    for (const id of [1, 2]) {
      plain.send({ event: 'order', data: { item: 'tea' }, id, key: KEY });
      assert.equal((await plain.next((e) => e.id === id)).event, 'ack');
    }
    assert.equal(calls.length, 2);
  });
});
