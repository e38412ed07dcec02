import type { Connection } from '../core/connection.js';
import type {
  AckData,
  AnswerData,
  AnyEvents,
  AskableEvent,
  AskData,
  EventMapOf,
  PublishableEvent,
  PublishData,
  ReceivableEvent,
  SendableEvent,
  SendData,
} from '../protocol/event-map.js';
import { answerAsks } from './test-answers.js';
import type { EnvelopeId } from '../protocol/envelope.js';
import { CloseCode } from '../protocol/errors.js';
import type { WireEnvelope, WireErrorData } from '../protocol/wire.js';
import type { FakeClock } from './fake-clock.js';
import type { FakeSocket } from './fake-socket.js';

/** An envelope the server sent, parsed: the wire's envelope, its data `any` unless given. */
export type ReceivedEnvelope<T = any> = WireEnvelope<T>;

/** The `data` of an `error` envelope, as the wire defines it. */
export type ErrorData = WireErrorData<any>;

/** Options for one envelope a test client sends. */
export interface SendOptions {
  /** Request id; `request` picks one when absent. */
  readonly id?: EnvelopeId;
  /**
   * The timestamp field: epoch ms or an ISO string; `null` sends none.
   * Default: the fake clock's now, as ISO 8601 UTC.
   */
  readonly timestamp?: number | string | null;
}

/** Names a typed client may still send with any data: the protocol's own. */
type ClientReserved = 'subscribe' | 'unsubscribe' | `carom.${string}`;
/** Names a typed client may still read with any data: replies and framework events. */
type ServerReserved = 'ack' | 'error' | `carom.${string}`;
/** Any name, for a client without an event map; no name for a typed one. */
type Untyped<M> = string extends keyof M ? string : never;

/** How long `request` and `next` wait, in real milliseconds, before failing the test. */
const WAIT_MS = 5000;

/**
 * A client of an app under test, over a fake socket: send envelopes, await the
 * reply to one, and read everything the server sent. With the app's event map
 * `M`, event names and payloads are checked as the real client checks them;
 * `sendRaw` still sends anything.
 */
export class TestClient<M extends EventMapOf<M> = AnyEvents> {
  private nextId = 1;

  constructor(
    /** The socket between this client and the app. */
    readonly socket: FakeSocket,
    /** The server side of this connection; `undefined` when the handshake was refused. */
    readonly connection: Connection<unknown, M> | undefined,
    private readonly clock: FakeClock,
  ) {}

  /** Every envelope received so far, oldest first. */
  get received(): ReceivedEnvelope[] {
    return this.socket.frames.map((f) => JSON.parse(f) as ReceivedEnvelope);
  }

  /** The data of every received envelope of one event, oldest first. */
  dataOf<E extends PublishableEvent<M>>(event: E): PublishData<M, E>[];
  dataOf<T = any>(event: ServerReserved | Untyped<M>): T[];
  dataOf(event: string): unknown[] {
    return this.received
      .filter((e) => e.event === event)
      .map((e: ReceivedEnvelope<unknown>) => e.data);
  }

  /** The `data` of every `error` envelope received. */
  get errors(): ErrorData[] {
    return this.dataOf<ErrorData>('error');
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.socket.frames.length = 0;
  }

  /** True once the connection is closed. */
  get closed(): boolean {
    return this.socket.closed;
  }

  /** The close code, once closed. */
  get closeCode(): number | undefined {
    return this.socket.closeCode;
  }

  /** The close reason, once closed. */
  get closeReason(): string | undefined {
    return this.socket.closeReason;
  }

  /** Sends an envelope without waiting for anything. */
  send<K extends SendableEvent<M>>(event: K, data?: SendData<M, K>, options?: SendOptions): void;
  send(event: ClientReserved, data?: unknown, options?: SendOptions): void;
  send(event: string, data?: unknown, options: SendOptions = {}): void {
    const envelope: Record<string, unknown> = { event };
    if (data !== undefined) envelope.data = data;
    const ts =
      options.timestamp === undefined
        ? new Date(this.clock.now()).toISOString()
        : options.timestamp;
    if (ts !== null) envelope.timestamp = ts;
    if (options.id !== undefined) envelope.id = options.id;
    this.socket.deliverText(JSON.stringify(envelope));
  }

  /** Sends a text frame as it is (bad JSON, say). */
  sendRaw(text: string): void {
    this.socket.deliverText(text);
  }

  /** Sends a binary frame. */
  sendBinary(bytes: Uint8Array): void {
    this.socket.deliverBinary(bytes);
  }

  /**
   * Sends an envelope with an id and resolves with the server's reply to it:
   * the `ack` or the `error` envelope.
   */
  request<K extends SendableEvent<M>>(
    event: K,
    data?: SendData<M, K>,
    options?: SendOptions,
  ): Promise<ReceivedEnvelope<AckData<M, K>>>;
  request<T = any>(
    event: ClientReserved | Untyped<M>,
    data?: unknown,
    options?: SendOptions,
  ): Promise<ReceivedEnvelope<T>>;
  request(
    event: string,
    data?: unknown,
    options: SendOptions = {},
  ): Promise<ReceivedEnvelope<unknown>> {
    const id = options.id ?? `t${this.nextId++}`;
    const reply = this.waitFor((e) => (e.event === 'ack' || e.event === 'error') && e.id === id);
    this.send(event as ClientReserved, data, { ...options, id });
    return reply as Promise<ReceivedEnvelope<unknown>>;
  }

  /** `subscribe` with an id; resolves with the reply. */
  subscribe(
    ...events: Array<ReceivableEvent<M> | `${string}.*` | '*' | Untyped<M>>
  ): Promise<ReceivedEnvelope> {
    return this.request('subscribe', { events });
  }

  /** `unsubscribe` with an id; resolves with the reply. */
  unsubscribe(
    ...events: Array<ReceivableEvent<M> | `${string}.*` | '*' | Untyped<M>>
  ): Promise<ReceivedEnvelope> {
    return this.request('unsubscribe', { events });
  }

  /**
   * Answers the server's `connection.ask(event, ...)` with `fn`, as
   * `client.answer` does on the real client (the connection must have
   * connected with `protocol: 'carom'`). What `fn` throws is answered as an
   * error. Returns a function that stops answering.
   */
  answer<K extends AskableEvent<M>>(
    event: K,
    fn: (data: AskData<M, K>) => AnswerData<M, K> | Promise<AnswerData<M, K>>,
  ): () => void {
    return answerAsks(this.socket, event, fn);
  }

  /** Resolves with the next envelope of `event` (of any event when omitted) received from now on. */
  next<E extends PublishableEvent<M>>(event: E): Promise<ReceivedEnvelope<PublishData<M, E>>>;
  next<T = any>(event?: ServerReserved | Untyped<M>): Promise<ReceivedEnvelope<T>>;
  next(event?: string): Promise<ReceivedEnvelope<unknown>> {
    return this.waitFor((e) => event === undefined || e.event === event) as Promise<
      ReceivedEnvelope<unknown>
    >;
  }

  /** Closes the connection from the client's side. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    this.socket.close(code, reason);
  }

  private waitFor(match: (e: ReceivedEnvelope) => boolean): Promise<ReceivedEnvelope> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(
            `no matching envelope within ${WAIT_MS} ms; received: ${this.socket.frames.join(' ')}`,
          ),
        );
      }, WAIT_MS);
      const stop = this.socket.watch((text) => {
        const envelope = JSON.parse(text) as ReceivedEnvelope;
        if (match(envelope)) {
          clearTimeout(timer);
          stop();
          resolve(envelope);
        }
      });
    });
  }
}
