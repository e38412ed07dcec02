import { AssertionError } from 'node:assert';
import type { ListenableEvent, ListenData, ListenPattern, PatternData } from '../client/types.js';
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
import type { Connection } from '../core/connection.js';
import type { EnvelopeId } from '../protocol/envelope.js';
import { CloseCode } from '../protocol/errors.js';
import { isPattern, patternsCover } from '../protocol/names.js';
import type { WireEnvelope, WireErrorData } from '../protocol/wire.js';
import type { FakeClock } from './fake-clock.js';
import { settle } from './fake-clock.js';
import type { FakeSocket } from './fake-socket.js';
import { matches, quoteFrame, type Expected } from './matching.js';
import { handled, parseFrame, Waiters, type Parsed } from './waiters.js';

/** An envelope the server sent, parsed: the wire's envelope, its data `any` unless given. */
export type ReceivedEnvelope<T = any> = WireEnvelope<T>;

/** The `data` of an `error` envelope, as the wire defines it. */
export type ErrorData = WireErrorData<any>;

/** Options for one envelope a test client sends. */
export interface SendOptions {
  /** Request id; `request` and `push` pick one when absent. */
  readonly id?: EnvelopeId;
  /**
   * The timestamp field: epoch ms or an ISO string; `null` sends none.
   * Default: the fake clock's now, as ISO 8601 UTC.
   */
  readonly timestamp?: number | string | null;
  /**
   * The envelope's `key`, for a request or emit handled once (read from
   * clients of the `carom` subprotocol only): sending it again with the same
   * key is a repeat.
   */
  readonly key?: string;
}

/** What `push` returns: the request's id, and its event, which types the reply. */
export interface PushRef<K extends string = string> {
  /** The id the request was sent with. */
  readonly id: EnvelopeId;
  /** The event it was sent as. */
  readonly event: K;
}

/**
 * The window a `refute` looks at: what arrived once the app is idle, after
 * the fake clock moved `advanceMs` (firing the timers due), and after a real
 * wait of `waitMs` (for an app that waits on real I/O). Both default to 0.
 */
export interface RefuteOptions {
  /** Moves the fake clock this far first, as `t.clock.advance` does. */
  readonly advanceMs?: number;
  /** Then waits this long in real time, at most 10 000 ms. */
  readonly waitMs?: number;
}

/** The data of a topic or a topic pattern, for `assertBroadcast`. */
export type TopicData<M extends EventMapOf<M>, T extends string> =
  T extends ListenableEvent<M> ? ListenData<M, T> : PatternData<M, T>;

/** Names a typed client may still send with any data: the protocol's own. */
export type ClientReserved = 'subscribe' | 'unsubscribe' | `carom.${string}`;
/** Names a typed client may still read with any data: replies and framework events. */
export type ServerReserved = 'ack' | 'error' | `carom.${string}`;
/** Any name, for a client without an event map; no name for a typed one. */
export type Untyped<M> = string extends keyof M ? string : never;

/** How long `request`, `next` and the assertions wait, in real milliseconds, before failing the test. */
const WAIT_MS = 5000;
/** Longest real wait a `refute` may ask for. */
const MAX_REFUTE_WAIT_MS = 10_000;
const REPLIES: ReadonlySet<string> = new Set(['ack', 'error']);

/**
 * A client of an app under test, over a fake socket: send envelopes, await the
 * reply to one, read everything the server sent, and assert on it as
 * Phoenix's ChannelTest does (`assertPush`, `assertReply`, `assertBroadcast`,
 * `refute`). The assertions take what they match from the client's mailbox
 * (what arrived since `clear()`), so two `assertPush('chat')` match two
 * envelopes. Typed by `M`, the event map, when `t.connect<M>()` gives one.
 */
export class TestClient<M extends EventMapOf<M> = AnyEvents> {
  private nextId = 1;
  private readonly waiters: Waiters;
  /** Frame positions an assertion took from the mailbox. */
  private readonly taken = new Set<number>();
  /** Per frame position: whether a subscription of this connection covered its event when it arrived. */
  private readonly subscribed: boolean[] = [];

  constructor(
    /** The socket between this client and the app. */
    readonly socket: FakeSocket,
    /** The server side of this connection; `undefined` when the handshake was refused. */
    readonly connection: Connection<unknown, M> | undefined,
    private readonly clock: FakeClock,
    /** Resolves when the app has handled everything in flight (`t.idle()`). */
    private readonly idle: () => Promise<void> = () => settle(),
  ) {
    this.waiters = new Waiters(WAIT_MS, () => `received: ${this.describeReceived()}`);
    socket.watch((text) => this.arrived(text));
    socket.watchClose((code, reason) =>
      this.waiters.end(`the connection closed (${code}${reason ? ` ${reason}` : ''})`),
    );
    if (socket.closed) this.waiters.end(`the connection closed (${socket.closeCode})`);
  }

  /** Every envelope received so far, oldest first. Throws if the server sent a frame that is not one. */
  get received(): ReceivedEnvelope[] {
    return this.socket.frames.map((f, i) => envelopeOf(parseFrame(f), i));
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

  /** Forgets what was received so far: the mailbox starts empty. */
  clear(): void {
    this.socket.frames.length = 0;
    this.taken.clear();
    this.subscribed.length = 0;
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

  /** Waits (`request`, `next`, assertions) still in flight; 0 once the test is done with them. */
  get waiting(): number {
    return this.waiters.size;
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
    if (options.key !== undefined) envelope.key = options.key;
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
   * the `ack` or the `error` envelope. Rejects when the envelope cannot be
   * sent, when the server sends a frame that is not an envelope, when the
   * connection or the app closes first, or after 5 s.
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
    const reply = this.waiters.wait(isReplyTo(id), `the reply to '${event}' (id ${String(id)})`);
    try {
      this.send(event as ClientReserved, data, { ...options, id });
    } catch (err) {
      this.waiters.cancel(reply);
      return handled(Promise.reject(err as Error));
    }
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
    return this.waiters.wait(
      (e) => event === undefined || e.event === event,
      `the next ${event === undefined ? 'envelope' : `'${event}'`}`,
    ) as Promise<ReceivedEnvelope<unknown>>;
  }

  /**
   * Sends `event` with a fresh id and does not wait (Phoenix's `push`): the
   * returned ref is what `assertReply` and `refuteReply` take.
   */
  push<K extends SendableEvent<M>>(
    event: K,
    data?: SendData<M, K>,
    options: SendOptions = {},
  ): PushRef<K> {
    const id = options.id ?? `t${this.nextId++}`;
    this.send(event, data, { ...options, id });
    return { id, event };
  }

  /**
   * Asserts that the reply to `ref` is an `ack` (or an `error`) whose data
   * matches `expected` (objects partially, at every depth; see `carom/testing`
   * in the README), waiting for it up to 5 s. Resolves with the reply.
   */
  assertReply<K extends SendableEvent<M>>(
    ref: PushRef<K>,
    status: 'ack',
    expected?: Expected<AckData<M, K>>,
  ): Promise<ReceivedEnvelope<AckData<M, K>>>;
  assertReply(
    ref: PushRef | EnvelopeId,
    status: 'error',
    expected?: Expected<ErrorData>,
  ): Promise<ReceivedEnvelope<ErrorData>>;
  assertReply(ref: EnvelopeId, status: 'ack', expected?: unknown): Promise<ReceivedEnvelope>;
  assertReply(
    ref: PushRef | EnvelopeId,
    status: 'ack' | 'error',
    expected?: unknown,
  ): Promise<ReceivedEnvelope> {
    return handled(this.replyIs(ref, status, expected));
  }

  private async replyIs(
    ref: PushRef | EnvelopeId,
    status: 'ack' | 'error',
    expected: unknown,
  ): Promise<ReceivedEnvelope> {
    const id = typeof ref === 'object' ? ref.id : ref;
    const reply = await this.take(isReplyTo(id), `the reply to id ${String(id)}`);
    if (reply.event !== status || (expected !== undefined && !matches(reply.data, expected))) {
      throw new AssertionError({
        message: `the reply to id ${String(id)} is not the ${status} expected`,
        actual: { event: reply.event, data: reply.data as unknown },
        expected: { event: status, data: expected },
        operator: 'assertReply',
      });
    }
    return reply;
  }

  /**
   * Asserts that an envelope of `event` whose data matches `expected` arrived,
   * waiting for it up to 5 s (Phoenix's `assert_push`). Resolves with it.
   */
  assertPush<K extends ListenableEvent<M>>(
    event: K,
    expected?: Expected<ListenData<M, K>>,
  ): Promise<ReceivedEnvelope<ListenData<M, K>>> {
    return this.take<ListenData<M, K>>(
      (e) => e.event === event && (expected === undefined || matches(e.data, expected)),
      `'${event}'${expected === undefined ? '' : ` with data ${show(expected)}`}`,
    );
  }

  /**
   * Asserts that a broadcast on `topic` (a name, or a pattern `prefix.*`)
   * whose data matches `expected` reached this client through its
   * subscriptions: its connection held a subscription covering the event when
   * it arrived, so a `connection.send` to a client that is not subscribed
   * does not count. Waits for it up to 5 s. Resolves with the envelope.
   */
  assertBroadcast<T extends ListenableEvent<M> | ListenPattern<M>>(
    topic: T,
    expected?: Expected<TopicData<M, T>>,
  ): Promise<ReceivedEnvelope<TopicData<M, T>>> {
    const covers = coverOf(topic);
    return this.take<TopicData<M, T>>(
      (e, at) =>
        covers(e.event) &&
        this.subscribed[at] === true &&
        (expected === undefined || matches(e.data, expected)),
      `a broadcast on '${topic}'${expected === undefined ? '' : ` with data ${show(expected)}`}`,
    );
  }

  /**
   * Asserts that nothing of `event` (a name or a pattern; any envelope when
   * omitted) whose data matches `expected` is in the mailbox once the app is
   * idle, after the window of `options` (Phoenix's `refute_push`). No real
   * time is involved unless `waitMs` asks for it, so it cannot flake.
   */
  async refute(event?: string, expected?: unknown, options: RefuteOptions = {}): Promise<void> {
    await this.window(options);
    const covers = event === undefined ? () => true : coverOf(event);
    const found = this.find(
      (e) => covers(e.event) && (expected === undefined || matches(e.data, expected)),
    );
    if (found !== undefined) {
      throw new AssertionError({
        message: `expected no ${event === undefined ? 'envelope' : `'${event}'`}, received ${show(found.envelope)}`,
        actual: found.envelope,
        expected: undefined,
        operator: 'refute',
      });
    }
  }

  /** Asserts that no reply to `ref` arrived, after the window of `options` (Phoenix's `refute_reply`). */
  async refuteReply(ref: PushRef | EnvelopeId, options: RefuteOptions = {}): Promise<void> {
    await this.window(options);
    const id = typeof ref === 'object' ? ref.id : ref;
    const found = this.find(isReplyTo(id));
    if (found !== undefined) {
      throw new AssertionError({
        message: `expected no reply to id ${String(id)}, received ${show(found.envelope)}`,
        actual: found.envelope,
        expected: undefined,
        operator: 'refuteReply',
      });
    }
  }

  /** Closes the connection from the client's side; waits in flight reject. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    this.socket.close(code, reason);
  }

  /** Ends every wait in flight (the app closed). */
  endWaits(reason: string): void {
    this.waiters.end(reason);
  }

  private arrived(text: string): void {
    const at = this.socket.frames.length - 1;
    const parsed = parseFrame(text);
    if ('envelope' in parsed) this.subscribed[at] = this.coveredNow(parsed.envelope.event);
    this.waiters.offer(parsed, at, this.taken);
  }

  /** True when this connection's subscriptions cover `event` now. */
  private coveredNow(event: string): boolean {
    const connection = this.connection;
    if (connection === undefined || REPLIES.has(event)) return false;
    if (connection.excluded.includes(event)) return false;
    const held = new Set(connection.subscriptions);
    return held.has(event) || patternsCover(held, event);
  }

  /** The window of a refute: idle, the fake clock moved, a bounded real wait, idle again. */
  private async window(options: RefuteOptions): Promise<void> {
    await this.settleApp();
    if (options.advanceMs !== undefined && options.advanceMs > 0) {
      await this.clock.advance(options.advanceMs);
      await this.settleApp();
    }
    const waitMs = Math.min(options.waitMs ?? 0, MAX_REFUTE_WAIT_MS);
    if (waitMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      await this.settleApp();
    }
  }

  /**
   * Lets the app handle what is in flight. A handler held on purpose (the
   * reply a `refuteReply` says has not come) keeps the app busy: that is
   * what the refute looks at, not a failure.
   */
  private async settleApp(): Promise<void> {
    try {
      await this.idle();
    } catch {
      // Still busy after the idle bound: the refute checks what arrived so far.
    }
  }

  /** The first envelope in the mailbox `match` accepts, not taken yet. */
  private find(
    match: (envelope: ReceivedEnvelope, at: number) => boolean,
  ): { envelope: ReceivedEnvelope; at: number } | undefined {
    const frames = this.socket.frames;
    for (let at = 0; at < frames.length; at++) {
      if (this.taken.has(at)) continue;
      const envelope = envelopeOf(parseFrame(frames[at]!), at);
      if (match(envelope, at)) return { envelope, at };
    }
    return undefined;
  }

  /** Takes the first match from the mailbox, or waits for one to arrive. */
  private take<T = any>(
    match: (envelope: ReceivedEnvelope, at: number) => boolean,
    what: string,
  ): Promise<ReceivedEnvelope<T>> {
    let found: { envelope: ReceivedEnvelope; at: number } | undefined;
    try {
      found = this.find(match);
    } catch (err) {
      return handled(Promise.reject(err as Error));
    }
    // The match is what makes the data a T; the wire gives no more than that.
    if (found === undefined) {
      return this.waiters.wait(match, what, true) as Promise<ReceivedEnvelope<T>>;
    }
    this.taken.add(found.at);
    return Promise.resolve(found.envelope as ReceivedEnvelope<T>);
  }

  private describeReceived(): string {
    const frames = this.socket.frames;
    if (frames.length === 0) return 'nothing';
    return frames.map(quoteFrame).join(' ');
  }
}

/** Matches the `ack` or `error` that answers `id`. */
function isReplyTo(id: EnvelopeId): (e: ReceivedEnvelope) => boolean {
  return (e) => REPLIES.has(e.event) && e.id === id;
}

/** Matches an event by its name, or by a pattern with the subscriptions' meaning. */
function coverOf(topic: string): (event: string) => boolean {
  if (!isPattern(topic)) return (event) => event === topic;
  const patterns: ReadonlySet<string> = new Set([topic]);
  return (event) => !REPLIES.has(event) && patternsCover(patterns, event);
}

function envelopeOf(parsed: Parsed, at: number): ReceivedEnvelope {
  if ('envelope' in parsed) return parsed.envelope;
  throw new Error(`frame ${at} from the server is not an envelope: ${quoteFrame(parsed.bad)}`);
}

function show(value: unknown): string {
  try {
    return quoteFrame(JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
