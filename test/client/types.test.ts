/**
 * Type test of carom/client's event maps, checked by `tsc` in `npm run build`:
 * correct uses compile, and every `@ts-expect-error` line must be an error
 * (an unused one fails the build). The functions that hold them are never
 * called; one small run-time test keeps the file honest under node:test.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { afterEach, it } from 'node:test';
import {
  CaromClient,
  RequestError,
  connect,
  type AckData,
  type ClientState,
  type CloseInfo,
  type ReceivableEvent,
  type ReceiveData,
  type SendableEvent,
  type SendData,
} from '../../src/client/index.js';
import { Handler, On, Sender, Topic, type Context } from '../../src/index.js';
import { within } from '../support/wait.js';

/** The map shared by the server's classes and the client. */
type ChatEvents = {
  chat: { send: { text: string }; ack: { ok: boolean }; receive: { from: string; text: string } };
  clock: { receive: { now: string } };
  typing: { send: { on: boolean } };
};

// ---------------------------------------------------------------------------
// The map's helper types
// ---------------------------------------------------------------------------

/** Compiles only when A and B are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

expectType<Equal<SendableEvent<ChatEvents>, 'chat' | 'typing'>>();
expectType<Equal<ReceivableEvent<ChatEvents>, 'chat' | 'clock'>>();
expectType<Equal<SendData<ChatEvents, 'chat'>, { text: string }>>();
expectType<Equal<AckData<ChatEvents, 'chat'>, { ok: boolean }>>();
expectType<Equal<AckData<ChatEvents, 'typing'>, null>>();
expectType<Equal<ReceiveData<ChatEvents, 'clock'>, { now: string }>>();

// ---------------------------------------------------------------------------
// The client: correct uses
// ---------------------------------------------------------------------------

export async function correctUses(client: CaromClient<ChatEvents>): Promise<string> {
  const stop = client.on('chat', (message, envelope) => {
    const from: string = message.from;
    const text: string = envelope.data.text;
    void from;
    void text;
  });
  stop();
  client.on('clock', (tick) => {
    const now: string = tick.now;
    void now;
  });
  client.emit('chat', { text: 'hi' });
  client.emit('typing', { on: true });
  const ack = await client.request('chat', { text: 'hi' }, { timeoutMs: 1000 });
  const ok: boolean = ack.ok;
  const typingAck: null = await client.request('typing', { on: false });
  void typingAck;
  const { events: list, excluded } = await client.subscribe(['chat', 'clock', 'room.*', '*']);
  const none: string[] = excluded;
  void none;
  // 0.1 code used the result as the list of events: it still compiles (deprecated).
  const asIn01: string[] = await client.unsubscribe(['clock']);
  void asIn01;
  const state: ClientState = client.state;
  client.onState((s: ClientState, info?: CloseInfo) => void [s, info]);
  return `${ok} ${list.join()} ${state}`;
}

/** Without a map every event is allowed and untyped. */
export async function untypedUses(): Promise<void> {
  const client = connect('ws://localhost:8080/ws');
  client.on('anything', (data) => void data.whatever);
  client.emit('anything', { x: 1 });
  const reply = await client.request('anything', 42);
  void reply.whatever;
  client.close();
}

// ---------------------------------------------------------------------------
// The client: wrong uses, each one an error
// ---------------------------------------------------------------------------

export async function wrongUses(client: CaromClient<ChatEvents>): Promise<void> {
  // @ts-expect-error a chat message has no property 'nope'
  client.on('chat', (message) => message.nope);

  // @ts-expect-error typing has no receive: it cannot be listened to
  client.on('typing', (data) => void data);

  // @ts-expect-error clock has no send: it cannot be emitted
  client.emit('clock', { now: 'now' });

  // @ts-expect-error chat's text is a string
  client.emit('chat', { text: 1 });

  // @ts-expect-error chat's send needs text
  await client.request('chat', {});

  // @ts-expect-error clock cannot be requested
  await client.request('clock', { now: 'now' });

  // @ts-expect-error chat's ack is { ok: boolean }, not a string
  const asString: string = await client.request('chat', { text: 'hi' });
  void asString;

  // @ts-expect-error typing is not receivable, so it cannot be subscribed to
  await client.subscribe(['typing']);
}

// ---------------------------------------------------------------------------
// The server: a handler and a sender typed by the same map
// ---------------------------------------------------------------------------

@On('chat')
export class ChatHandler extends Handler<
  SendData<ChatEvents, 'chat'>,
  AckData<ChatEvents, 'chat'>
> {
  handle(data: SendData<ChatEvents, 'chat'>, _ctx: Context): AckData<ChatEvents, 'chat'> {
    return { ok: data.text.length > 0 };
  }
}

@On('chat')
export class WrongAckHandler extends Handler<
  SendData<ChatEvents, 'chat'>,
  AckData<ChatEvents, 'chat'>
> {
  // @ts-expect-error the ack of chat is { ok: boolean }
  handle(_data: SendData<ChatEvents, 'chat'>) {
    return { ok: 'yes' };
  }
}

@Topic('chat')
export class ChatSender extends Sender<ReceiveData<ChatEvents, 'chat'>> {}

@Topic('clock')
export class ClockSender extends Sender<ReceiveData<ChatEvents, 'clock'>> {}

export async function serverUses(chat: ChatSender, clock: ClockSender): Promise<void> {
  await chat.send({ from: 'ann', text: 'hi' });
  await clock.send({ now: new Date().toISOString() });
  // @ts-expect-error a published chat needs from
  await chat.send({ text: 'hi' });
  // @ts-expect-error clock publishes { now: string }
  await clock.send({ now: 1 });
}

/** What a handler returns is what the client's request resolves to, and a sender's data what on() gets. */
export async function sharedMap(
  client: CaromClient<ChatEvents>,
  handler: ChatHandler,
  ctx: Context,
): Promise<boolean> {
  const fromServer = await handler.handle({ text: 'hi' }, ctx);
  const fromClient = await client.request('chat', { text: 'hi' });
  expectType<Equal<typeof fromServer, typeof fromClient>>();
  client.on('chat', (m) => {
    const published: ReceiveData<ChatEvents, 'chat'> = m;
    void published;
  });
  return fromServer.ok && fromClient.ok;
}

// ---------------------------------------------------------------------------
// Run time
// ---------------------------------------------------------------------------

let opened: CaromClient<ChatEvents> | undefined;

afterEach(() => {
  opened?.close();
  opened = undefined;
});

/** A TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('a map-typed client to a closed port with reconnect: false ends in closed', async () => {
  const port = await closedPort();
  const client = connect<ChatEvents>(`ws://127.0.0.1:${port}/ws`, { reconnect: false });
  opened = client;
  assert.equal(client.state, 'connecting');
  const infos: Array<[ClientState, CloseInfo | undefined]> = [];
  client.onState((state, info) => infos.push([state, info]));
  let caught: unknown;
  await within(
    client.ready().catch((err: unknown) => {
      caught = err;
    }),
    'ready() settling',
  );
  assert.ok(caught instanceof RequestError, String(caught));
  assert.equal(caught.code, 'CLOSED');
  assert.equal(client.state, 'closed');
  assert.equal(infos.length, 1);
  assert.equal(infos[0]![0], 'closed');
  assert.equal(infos[0]![1]?.willReconnect, false);
});
