/**
 * A fake WebSocket for the client's unit tests: the test plays the server,
 * opening the socket with a subprotocol, sending frames and closing it, and
 * reads what the client sent and how it closed.
 */
import type { WebSocketConstructor, WebSocketLike } from '../../src/client/index.js';
import type { Envelope } from '../support/envelope.js';

/** An envelope the client sent, parsed. */
export type Sent = Envelope<unknown>;

/** One fake socket; the client constructs it, the test drives its server side. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  protocol = '';
  /** Frames the client sent, as text. */
  readonly frames: string[] = [];
  /** How the client closed it, if it did. */
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
    readonly options?: { maxPayload?: number },
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error(`send in readyState ${this.readyState}`);
    this.frames.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  /** What the client sent, parsed. */
  get sent(): Sent[] {
    return this.frames.map((f) => JSON.parse(f) as Sent);
  }

  /** The server accepts, agreeing on `protocol` (`''`: none, as a server that knows no subprotocol). */
  accept(protocol = 'carom'): this {
    this.protocol = protocol;
    this.readyState = 1;
    this.onopen?.({});
    return this;
  }

  /** The server's `carom.welcome`. */
  welcome(connection: unknown = 'c1'): this {
    return this.json({ event: 'carom.welcome', data: { connection }, timestamp: 'now' });
  }

  /** Delivers a raw frame (any value: the client must cope). */
  deliver(data: unknown): this {
    this.onmessage?.({ data });
    return this;
  }

  /** Delivers a value as a JSON text frame. */
  json(value: unknown): this {
    return this.deliver(JSON.stringify(value));
  }

  /** The server closes the connection. */
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** A WebSocket class whose every instance is kept, in construction order. */
export function fakeWebSocket(): {
  readonly WebSocket: WebSocketConstructor;
  readonly sockets: FakeSocket[];
} {
  const sockets: FakeSocket[] = [];
  class Fake extends FakeSocket {
    constructor(url: string, protocols?: string | string[], options?: { maxPayload?: number }) {
      super(url, protocols, options);
      sockets.push(this);
    }
  }
  return { WebSocket: Fake, sockets };
}
