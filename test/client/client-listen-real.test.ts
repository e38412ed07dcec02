/**
 * carom/client under Node against real carom apps on 127.0.0.1: pattern
 * listeners and channel notices, subscribe acks with exclusions, a deleted
 * channel not restored after a reconnect, and a wrong path reported with its
 * HTTP status instead of endless reconnects.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Carom } from '../../src/index.js';
import {
  ClientErrorCode,
  RequestError,
  connect,
  type CaromClient,
  type ClientOptions,
  type ServerError,
} from '../../src/client/index.js';
import { eventually, within } from '../support/wait.js';
import { ackLists } from '../support/subscription-ack.js';

const FAST = { initialDelayMs: 20, maxDelayMs: 100, drainDelayMs: 20 } as const;

const apps: Carom[] = [];
const clients: Array<CaromClient<any>> = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const app of apps.splice(0)) await app.close();
});

async function serve(port = 0): Promise<{ app: Carom; port: number; url: string }> {
  const app = new Carom({ topics: ['news', 'auction.*'], logLevel: 'silent' });
  apps.push(app);
  const address = await app.listen({ port, host: '127.0.0.1' });
  return { app, port: address.port, url: `ws://127.0.0.1:${address.port}/ws` };
}

function client(url: string, options: ClientOptions = {}): CaromClient<any> {
  const c = connect(url, { reconnect: FAST, ...options });
  clients.push(c);
  return c;
}

describe('carom/client against a real server: listeners and acks', () => {
  it('a pattern listener gets the family published, channel notices, and what * covers', async () => {
    const { app, url } = await serve();
    const c = client(url);
    await within(c.ready(), 'opening');
    const family: string[] = [];
    const all: string[] = [];
    c.on('auction.*', (_d, e) => family.push(e.event));
    c.on('*', (_d, e) => all.push(e.event));
    await c.subscribe(['auction.*', 'news']);
    app.publish('auction.lamp', { bid: 1 });
    app.publish('news', { n: 1 });
    app.channels.create('auction.room.a');
    app.publish('auction.room.a', { seats: 2 });
    await eventually(() => all.length >= 4, 'four events');
    assert.deepEqual(family, ['auction.lamp', 'auction.room.a']);
    assert.deepEqual(all, ['auction.lamp', 'news', 'carom.channel.created', 'auction.room.a']);
  });

  it('subscribe and unsubscribe resolve with the ack: events and exclusions', async () => {
    const { url } = await serve();
    const c = client(url);
    assert.deepEqual(ackLists(await within(c.subscribe(['*']), 'subscribe')), {
      events: ['*'],
      excluded: [],
    });
    assert.deepEqual(ackLists(await within(c.unsubscribe(['news']), 'unsubscribe')), {
      events: ['*'],
      excluded: ['news'],
    });
    assert.deepEqual(ackLists(await within(c.subscribe(['news']), 'subscribe again')), {
      events: ['news', '*'], // the server lists exact names, then patterns
      excluded: [],
    });
  });
});

describe('carom/client against a real server: deleted channels', () => {
  it('a channel deleted while connected is not asked for after a reconnect', async () => {
    const first = await serve();
    first.app.channels.create('room.a');
    const c = client(first.url);
    await within(c.subscribe(['news', 'room.a']), 'subscribe');
    const errors: ServerError[] = [];
    c.onError((e) => errors.push(e));
    const deleted: string[] = [];
    c.on('carom.channel.deleted', ({ name }) => deleted.push(name));
    first.app.channels.delete('room.a');
    await eventually(() => deleted.length === 1, 'the notice');
    assert.deepEqual(c.subscriptions, ['news']);

    await first.app.close();
    await eventually(() => c.state === 'reconnecting', 'reconnecting');
    const second = await serve(first.port);
    await within(c.ready(), 'reopening');
    await eventually(() => second.app.subscribers('news').length === 1, 'restored');
    await within(c.subscribe(['news']), 'a round trip');
    assert.deepEqual(errors, [], 'nothing refused: room.a was not asked for');
  });

  it('a channel gone while away is refused once, let go, and not asked for again', async () => {
    const first = await serve();
    first.app.channels.create('room.b');
    const c = client(first.url);
    await within(c.subscribe(['news', 'room.b']), 'subscribe');
    const errors: ServerError[] = [];
    c.onError((e) => errors.push(e));

    await first.app.close(); // the next app has no room.b
    await eventually(() => c.state === 'reconnecting', 'reconnecting');
    const second = await serve(first.port);
    await within(c.ready(), 'reopening');
    await eventually(() => errors.length === 1, 'the refusal');
    assert.equal(errors[0]!.code, 'UNKNOWN_EVENT');
    assert.deepEqual(c.subscriptions, ['news']);
    assert.equal(second.app.subscribers('news').length, 1);

    await second.app.close();
    await eventually(() => c.state === 'reconnecting', 'reconnecting again');
    const third = await serve(first.port);
    await within(c.ready(), 'reopening again');
    await eventually(() => third.app.subscribers('news').length === 1, 'restored again');
    await within(c.subscribe(['news']), 'a round trip');
    assert.equal(errors.length, 1, 'room.b was asked for again');
  });
});

describe('carom/client against a real server: a wrong path', () => {
  it('is HTTP 404: UPGRADE_REFUSED, closed for good, no second attempt', async () => {
    const { port } = await serve();
    const c = client(`ws://127.0.0.1:${port}/wrong`);
    const errors: ServerError[] = [];
    c.onError((e) => errors.push(e));
    let attempts = 0;
    c.onState((state) => {
      if (state === 'reconnecting') attempts++;
    });
    const err = await within(
      c.ready().then(
        () => undefined,
        (e: unknown) => e,
      ),
      'ready() settling',
    );
    assert.ok(err instanceof RequestError, String(err));
    assert.equal(err.code, ClientErrorCode.UPGRADE_REFUSED);
    assert.match(err.message, /HTTP 404/);
    assert.equal(c.state, 'closed');
    assert.equal(attempts, 0);
    assert.deepEqual(
      errors.map((e) => [e.code, e.details]),
      [[ClientErrorCode.UPGRADE_REFUSED, { status: 404, url: `ws://127.0.0.1:${port}/wrong` }]],
    );
  });
});
