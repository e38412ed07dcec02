/**
 * Clients over fake WebSockets for the client's unit tests: one made by
 * `setup` records its reports and state changes; `opened` also accepts and
 * welcomes its first socket. Every client a file makes is closed after each
 * of its tests (call `fakeClients()` once, at the file's top level).
 */
import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import {
  CaromClient,
  type ClientOptions,
  type ClientState,
  type CloseInfo,
  type ServerError,
} from '../../src/client/index.js';
import { FakeSocket, fakeWebSocket } from './fake-socket.js';

/** The URL every fake client dials. */
export const URL = 'ws://carom.test/ws';

/** A client over fake sockets, with what it reported and every state change. */
export interface FakeClient {
  readonly c: CaromClient;
  readonly sockets: FakeSocket[];
  readonly errors: ServerError[];
  readonly log: Array<{ state: ClientState; info: CloseInfo | undefined }>;
  /** The socket of the latest attempt. */
  last(): FakeSocket;
}

/** Returns `setup` and `opened` for one test file, closing their clients after each test. */
export function fakeClients(): {
  setup(options?: ClientOptions): FakeClient;
  opened(options?: ClientOptions): FakeClient;
} {
  const clients: CaromClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  const setup = (options: ClientOptions = {}): FakeClient => {
    const fake = fakeWebSocket();
    const c = new CaromClient(URL, { WebSocket: fake.WebSocket, ...options });
    clients.push(c);
    const errors: ServerError[] = [];
    c.onError((e) => errors.push(e));
    const log: FakeClient['log'] = [];
    c.onState((state, info) => log.push({ state, info }));
    return {
      c,
      sockets: fake.sockets,
      errors,
      log,
      last: () => {
        const s = fake.sockets.at(-1);
        assert.ok(s, 'no socket was created');
        return s;
      },
    };
  };
  const opened = (options: ClientOptions = {}): FakeClient => {
    const s = setup(options);
    s.last().accept('carom').welcome('c1');
    assert.equal(s.c.state, 'open');
    return s;
  };
  return { setup, opened };
}

/** The id of the latest request `socket` carried. */
export function lastId(socket: FakeSocket): string | number {
  const id = socket.sent.at(-1)?.id;
  assert.ok(id !== undefined, 'no request was sent');
  return id;
}

/** How a promise settled. */
export async function settle(p: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}
