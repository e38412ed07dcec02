/**
 * `CaromClient`: the connection's state machine (connecting, open,
 * reconnecting, closed) and the one attempt at a time it dials. Everything
 * else is a part it drives, a file each: `backoff.ts` (when to retry),
 * `requests.ts` (replies by id), `subscriptions.ts` (what to restore),
 * `outbox.ts` (emits while away), `listeners.ts`, `heartbeat.ts`, `token.ts`,
 * `frame.ts`. The parts import one another at run time; the build bundles
 * them (and nothing else) into the one module served at `/carom/client.js`.
 */
import type { WireEnvelope } from '../protocol/wire.js';
import { Answers } from './answers.js';
import { Backoff } from './backoff.js';
import { ClientErrorCode, CloseCode } from './codes.js';
import { RequestError, messageOf, timeoutError, type ServerError } from './errors.js';
import { decodeFrame, dataOfFrame, encodeFrame, isObject, preview } from './frame.js';
import { randomId } from './identity.js';
import { isFinalStatus, UnopenedStreak, upgradeMessage, upgradeStatus } from './handshake.js';
import { Heartbeat, isPingId } from './heartbeat.js';
import type { Listener } from './listeners.js';
import { Listeners } from './listeners.js';
import {
  ACK,
  ASK,
  CHANNEL_DELETED,
  ERROR,
  isPattern,
  SUBSCRIBE,
  UNSUBSCRIBE,
  WELCOME,
} from './names.js';
import {
  settingsOf,
  type ClientOptions,
  type ClientSettings,
  type EmitOptions,
  type RequestOptions,
  type SubscribeOptions,
} from './options.js';
import { Outbox, type QueuedEmit } from './outbox.js';
import { Positions, readPosition } from './positions.js';
import {
  readRecovery,
  record,
  reportOf,
  type EventRecovery,
  type RecoveryReport,
} from './recovery.js';
import { Requests } from './requests.js';
import { runHook } from './restore.js';
import {
  defaultWebSocket,
  isOpen,
  release,
  type WebSocketConstructor,
  type WebSocketLike,
} from './socket.js';
import type { ClientState, CloseInfo } from './state.js';
import { HeldSubscriptions, ackOf } from './subscriptions.js';
import { PROTOCOL, callToken, dialTarget } from './token.js';
import type {
  AckData,
  AnswerData,
  AnyEvents,
  AskableEvent,
  AskData,
  EventMapOf,
  ListenableEvent,
  ListenData,
  ListenPattern,
  PatternData,
  PatternEnvelope,
  ReceivableEvent,
  SendableEvent,
  SendData,
  SubscriptionAck,
} from './types.js';

/** Request data with extensions that only a server of the `carom` subprotocol is sent. */
class CaromOnly {
  constructor(
    readonly plain: object,
    readonly carom: object,
  ) {}
}

/** An envelope as the server sends it. */
export type ServerEnvelope<T = unknown> = WireEnvelope<T>;

/**
 * A connection to a carom server that survives the network: it reconnects,
 * resubscribes, queues emits while away, and types every event through `M`.
 * Nothing the server sends, and nothing a listener throws, breaks it: bad
 * frames and throwing listeners are reported to `onError`.
 */
export class CaromClient<M extends EventMapOf<M> = AnyEvents> {
  private socket: WebSocketLike | undefined;
  private stateNow: ClientState = 'connecting';
  private readonly listeners = new Listeners();
  private readonly requests = new Requests();
  private readonly held = new HeldSubscriptions();
  private readonly answers = new Answers();
  private readonly outbox: Outbox;
  private readonly heartbeat: Heartbeat;
  /** Absent when reconnecting is off. */
  private readonly backoff: Backoff | undefined;
  private readonly settings: ClientSettings;
  /** Bumped by every connect attempt and by close(): a stale async step sees it changed and stops. */
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private awaitingWelcome = false;
  private connectionIdNow: string | undefined;
  private lastClose: CloseInfo | undefined;
  private closedByUser = false;
  private everOpened = false;
  private droppedCount = 0;
  private ctor: WebSocketConstructor | undefined;
  private readonly unopened = new UnopenedStreak();
  /** The HTTP status the current attempt's upgrade was refused with, when visible. */
  private refusedStatus: number | undefined;
  private readonly positions: Positions;
  private duplicatesCount = 0;
  /** Sent in every handshake, so the server knows this client again after a reconnect. */
  private readonly id = randomId();
  /** True while the `onRestore` hook runs: the socket is open, the state not yet. */
  private restoring = false;

  constructor(
    private readonly url: string,
    options: ClientOptions = {},
  ) {
    this.settings = settingsOf(options);
    this.outbox = new Outbox(this.settings.maxQueue);
    this.positions = new Positions(this.settings.maxPositions);
    this.backoff = this.settings.reconnect && new Backoff(this.settings.reconnect);
    this.heartbeat = new Heartbeat(this.settings.heartbeatMs, {
      isOpen: () => this.socket !== undefined && this.stateNow === 'open',
      ping: (frame) => {
        if (isOpen(this.socket)) this.socket.send(frame);
      },
      timedOut: () => this.lost(CloseCode.CLIENT_TIMEOUT, 'heartbeat timeout'),
    });
    this.ctor = this.settings.WebSocket;
    void this.open();
  }

  /** The current state. */
  get state(): ClientState {
    return this.stateNow;
  }

  /**
   * The server's id of this connection, from its `carom.welcome`; `undefined`
   * until then, while disconnected, and with a server that sends no welcome.
   */
  get connectionId(): string | undefined {
    return this.connectionIdNow;
  }

  /** Emits dropped because the queue was full while disconnected. */
  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * This client's random instance id, offered in every handshake as the
   * subprotocol entry `carom.client.<id>`: the same for the client's whole life,
   * so the server knows its retried requests across reconnects.
   */
  get clientId(): string {
    return this.id;
  }

  /**
   * Published messages ignored because they were already delivered (same
   * history epoch, offset not past the last one seen), as when a replay after
   * a reconnect meets what arrived before.
   */
  get duplicates(): number {
    return this.duplicatesCount;
  }

  /** Subscriptions the client holds and restores after a reconnect. */
  get subscriptions(): string[] {
    return this.held.list();
  }

  /**
   * Calls `fn` with each published `event`, or each event a pattern covers
   * (`*`, `room.*`: the subscription patterns' meaning). Returns a function
   * that stops it. If `fn` throws, the other listeners still run and
   * `onError` gets a `LISTENER_ERROR`.
   */
  on<K extends ListenableEvent<M>>(
    event: K,
    fn: (data: ListenData<M, K>, envelope: ServerEnvelope<ListenData<M, K>>) => void,
  ): () => void;
  on<P extends ListenPattern<M>>(
    pattern: P,
    fn: (data: PatternData<M, P>, envelope: PatternEnvelope<M, P>) => void,
  ): () => void;
  on(event: string, fn: (data: any, envelope: any) => void): () => void {
    this.listeners.on(event, fn);
    return () => this.off(event, fn);
  }

  /**
   * Answers the server's `connection.ask(event, data)` with what `fn` returns
   * (or resolves to); one answerer per event, a later one replaces it. What
   * `fn` throws is answered as an error (`ANSWER_FAILED`) and reported to
   * `onError`; a request with no answerer is answered `NO_ANSWER`. Returns a
   * function that removes it.
   */
  answer<K extends AskableEvent<M>>(
    event: K,
    fn: (data: AskData<M, K>) => AnswerData<M, K> | Promise<AnswerData<M, K>>,
  ): () => void {
    return this.answers.set(event, fn);
  }

  /** Stops a function given to `on`. */
  off(event: string, fn: Listener): void {
    this.listeners.off(event, fn);
  }

  /** Calls `fn` on every state change, with the close code and reason when there is one. */
  onState(fn: (state: ClientState, info?: CloseInfo) => void): () => void {
    return this.listeners.onState(fn);
  }

  /**
   * Calls `fn` with `error` envelopes that answer no request (an emit the
   * server refused, say); errors of requests reject their promises instead.
   * Also with the client's own reports: `BAD_FRAME` (the server sent a frame
   * that is not an envelope; it is ignored), `LISTENER_ERROR` (a listener
   * threw; `details` is what it threw), `TOKEN_FAILED` (the token function
   * threw), `BACKOFF_FAILED` (the `reconnect.backoff` policy threw or gave no
   * usable delay). What an `onError` listener throws is swallowed: there is
   * nowhere left to report it.
   */
  onError(fn: (error: ServerError) => void): () => void {
    return this.listeners.onError(fn);
  }

  /**
   * Calls `fn` with each emit the client drops: past `maxQueue` while
   * disconnected (the oldest goes), still queued when the client closes for
   * good, or after `close()`. `dropped` is the count so far.
   */
  onDrop(fn: (event: string, data: unknown, dropped: number) => void): () => void {
    return this.listeners.onDrop(fn);
  }

  /**
   * Calls `fn` once per reconnect that resumed events with a history, after
   * their missed messages were delivered: per event, whether nothing is
   * missing (`recovered`), how many were replayed, and if not, why (`GAP`,
   * `EPOCH`, ...; see {@link RecoveryReason}). A report that is not recovered
   * goes to `onError` as `NOT_RECOVERED` when no `onRecovery` listener is registered.
   */
  onRecovery(fn: (report: RecoveryReport) => void): () => void {
    return this.listeners.onRecovery(fn);
  }

  /**
   * Resolves when the client is open (now, or after it connects). Rejects if it
   * closes for good: `REFUSED` with the server's reason after a 1008, else `CLOSED`.
   */
  ready(): Promise<void> {
    if (this.stateNow === 'open') return Promise.resolve();
    if (this.stateNow === 'closed') return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      const stop = this.onState((state) => {
        if (state === 'open') {
          stop();
          resolve();
        } else if (state === 'closed') {
          stop();
          reject(this.closedError());
        }
      });
    });
  }

  /**
   * Subscribes to events or patterns (`chat`, `room.*`, `*`) and resolves with
   * the connection's subscriptions as the server's ack lists them: `events`
   * and `excluded`, and `recovery` for the named events that keep a history
   * (where they stand; with `recent`, how many past messages were delivered).
   * The client remembers them and subscribes again after a reconnect,
   * resuming each history from the last message it saw.
   */
  async subscribe(
    events: Array<ReceivableEvent<M> | `${string}.*` | '*'>,
    options: SubscribeOptions = {},
  ): Promise<SubscriptionAck> {
    this.held.add(events);
    // `recent` (0 by default) also tells where each named history stands, so that a
    // reconnect can resume one whose messages the client has not seen yet.
    const named = events.filter((e) => !isPattern(e));
    const data =
      named.length > 0
        ? new CaromOnly({ events }, { events, recent: options.recent ?? 0 })
        : { events };
    let ack: unknown;
    try {
      ack = await this.ask(SUBSCRIBE, data);
    } catch (err) {
      // Names the server refused are not held, so a reconnect does not ask for them again.
      this.held.forgetRefused(err);
      throw err;
    }
    const result = ackOf(ack, SUBSCRIBE);
    if (!isObject(ack) || !isObject(ack.recovery)) return result;
    const recovery = readRecovery(ack, [], named);
    this.follow(recovery);
    return Object.assign(result, { recovery });
  }

  /**
   * Unsubscribes, with the protocol's rules for `*` and exclusions; resolves
   * with what remains, as the ack lists it (`events` and `excluded`).
   */
  async unsubscribe(
    events: Array<ReceivableEvent<M> | `${string}.*` | '*'>,
  ): Promise<SubscriptionAck> {
    this.held.remove(events);
    this.positions.retain((e) => this.held.covers(e));
    return ackOf(await this.ask(UNSUBSCRIBE, { events }), UNSUBSCRIBE);
  }

  /**
   * Sends an event without asking for a reply. While disconnected it is
   * queued (up to `maxQueue`; beyond that the oldest is dropped, counted in
   * `dropped` and reported to `onDrop`). After `close()` it is dropped, and
   * so are the emits still queued when the client closes for good (`close()`,
   * a refusal, a lost connection with reconnect off).
   */
  emit<K extends SendableEvent<M>>(event: K, data: SendData<M, K>, options?: EmitOptions): void;
  emit(event: string, data?: unknown, options: EmitOptions = {}): void {
    const key = this.keyOf(event, options.retry);
    const id = key === undefined ? undefined : this.requests.id();
    const queued: QueuedEmit = { event, frame: encodeFrame(event, data, id, key), id };
    if (this.sendable(this.socket)) {
      this.sendQueued(this.socket, queued);
      return;
    }
    if (this.stateNow === 'closed') {
      this.drop(event, data);
      return;
    }
    const oldest = this.outbox.push(queued);
    if (oldest) this.drop(oldest.event, dataOfFrame(oldest.frame));
  }

  /**
   * Sends an event with an `id` and resolves with the ack's data; rejects with
   * a `RequestError` carrying the server's error code, or `TIMEOUT`, or
   * `DISCONNECTED` when the connection was lost before the reply, or
   * `REFUSED`, `CLOSED`, `BAD_REPLY` (see {@link RequestError}). With
   * `retry`, a lost connection does not reject it: it is sent again after the
   * reconnect with the same key, and settles once, within its timeout.
   */
  async request<K extends SendableEvent<M>>(
    event: K,
    data: SendData<M, K>,
    options?: RequestOptions,
  ): Promise<AckData<M, K>>;
  async request(event: string, data?: unknown, options: RequestOptions = {}): Promise<unknown> {
    return this.ask(event, data, options.timeoutMs, this.keyOf(event, options.retry));
  }

  /** Closes for good: no reconnect; pending requests reject with `CLOSED`. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    this.closedByUser = true;
    this.generation++;
    this.clearTimers();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dropSocket(code, reason);
    this.connectionIdNow = undefined;
    this.restoring = false;
    this.requests.rejectAll(ClientErrorCode.CLOSED, 'the client was closed');
    this.becameClosed({ code, reason, willReconnect: false });
  }

  /** Sends with an id once open; one deadline covers the wait for a connection and for the reply. */
  private async ask(
    event: string,
    data: unknown,
    timeoutMs = this.settings.requestTimeoutMs,
    key?: string,
  ): Promise<unknown> {
    if (this.stateNow === 'open' || this.restoring) return this.call(event, data, timeoutMs, key);
    const deadline = Date.now() + timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(event, timeoutMs)), timeoutMs);
    });
    try {
      await Promise.race([this.ready(), expired]);
    } finally {
      clearTimeout(timer);
    }
    return this.call(event, data, Math.max(1, deadline - Date.now()), key);
  }

  private call(event: string, data: unknown, timeoutMs: number, key?: string): Promise<unknown> {
    const socket = this.socket;
    if (data instanceof CaromOnly) data = socket?.protocol === PROTOCOL ? data.carom : data.plain;
    if (!this.sendable(socket)) {
      return Promise.reject(
        new RequestError(
          ClientErrorCode.DISCONNECTED,
          `not connected; '${event}' was not sent`,
          event,
        ),
      );
    }
    return this.requests.send(socket, event, data, timeoutMs, key);
  }

  /** True when what is made now may go on `socket`: open, or open for the restore hook. */
  private sendable(socket: WebSocketLike | undefined): socket is WebSocketLike {
    return (this.stateNow === 'open' || this.restoring) && isOpen(socket);
  }

  /** A fresh key when `event` is retried (by the call, or by the `retry` option). */
  private keyOf(event: string, retry: boolean | undefined): string | undefined {
    return (retry ?? this.settings.retry.has(event)) ? randomId() : undefined;
  }

  /**
   * Sends an emit; a retried one is tracked like a request: its answer is
   * dropped, its error reported, and if the client closes first it is dropped.
   */
  private sendQueued(socket: WebSocketLike, queued: QueuedEmit): void {
    const { event, frame, id } = queued;
    if (id === undefined) {
      socket.send(frame);
      return;
    }
    this.requests
      .track(socket, id, event, frame, this.settings.requestTimeoutMs, true)
      .catch((err: RequestError) => {
        if (this.stateNow === 'closed') this.drop(event, dataOfFrame(frame));
        else
          this.listeners.report({
            code: err.code,
            message: err.message,
            event,
            details: err.details,
          });
      });
  }

  private drop(event: string, data: unknown): void {
    this.droppedCount++;
    this.listeners.drop(event, data, this.droppedCount);
  }

  /** One connect attempt: token, socket, then `open` (or the welcome), all within connectTimeoutMs. */
  private async open(): Promise<void> {
    const generation = ++this.generation;
    this.unopened.attempt();
    const { connectTimeoutMs } = this.settings;
    if (connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        this.connectTimer = undefined;
        if (generation !== this.generation) return;
        this.generation++; // a token still on its way is not used
        this.lost(CloseCode.CLIENT_TIMEOUT, 'connect timeout');
      }, connectTimeoutMs);
    }
    let Ctor: WebSocketConstructor;
    try {
      Ctor = this.ctor ??= await defaultWebSocket();
    } catch {
      if (generation === this.generation) this.giveUp(0, 'no WebSocket implementation');
      return;
    }
    let token: string | undefined;
    try {
      const source = this.settings.token;
      token = typeof source === 'function' ? await callToken(source) : source;
    } catch (err) {
      if (generation !== this.generation) return;
      this.listeners.report({
        code: ClientErrorCode.TOKEN_FAILED,
        message: `the token function threw: ${messageOf(err)}`,
      });
      this.ended(0, 'token function failed');
      return;
    }
    if (generation !== this.generation || this.closedByUser) return;
    const target = dialTarget(this.url, token, this.settings.tokenIn, this.id);
    let socket: WebSocketLike;
    try {
      socket = new Ctor(target.url, target.protocols, { maxPayload: this.settings.maxPayload });
    } catch (err) {
      // A bad URL does not get better by retrying.
      this.giveUp(0, messageOf(err));
      return;
    }
    this.socket = socket;
    this.refusedStatus = undefined;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.unopened.opened();
      // A carom server says when its connect hooks have settled; anything else is ready now.
      if (socket.protocol === PROTOCOL) this.awaitingWelcome = true;
      else this.opened(socket);
    };
    socket.onmessage = (e) => this.received(socket, e?.data);
    socket.onerror = (e) => {
      // A 'close' event always follows; that is where the client decides.
      if (socket === this.socket) this.refusedStatus = upgradeStatus(e);
    };
    socket.onclose = (e) => {
      if (socket !== this.socket) return;
      this.socket = undefined;
      const code = typeof e?.code === 'number' ? e.code : CloseCode.ABNORMAL;
      this.ended(code, typeof e?.reason === 'string' ? e.reason : '');
    };
  }

  private opened(socket: WebSocketLike): void {
    this.awaitingWelcome = false;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.backoff?.opened(Date.now());
    // On a reconnect the server knows nothing of this client: restore its subscriptions
    // before the queued emits go out. On the first open, subscribe() calls send their own.
    const reconnected = this.everOpened;
    this.everOpened = true;
    const hook = this.settings.onRestore;
    if (!reconnected || hook === undefined) {
      if (reconnected) void this.restore(socket);
      this.flush(socket);
      return;
    }
    // The hook may send at once (rejoin rooms); what waited for the connection goes after it.
    this.restoring = true;
    void this.restore(socket)
      .then(() => runHook(hook, this, this.settings.restoreTimeoutMs))
      .then((failure) => {
        if (socket !== this.socket) return; // lost meanwhile: the next connection restores again
        if (failure) this.listeners.report(failure);
        this.restoring = false;
        this.flush(socket);
      });
  }

  /** Sends what waited for the connection (retried requests, then queued emits), then is open. */
  private flush(socket: WebSocketLike): void {
    this.requests.resend(socket);
    for (const queued of this.outbox.take()) this.sendQueued(socket, queued);
    this.heartbeat.start();
    this.setState('open');
  }

  /**
   * Asks a fresh connection for what the client held, with ids, resuming each
   * history from the last position seen (names without one get where they
   * stand now); settles when every answer is in, never rejects. Names the
   * server refuses now (a channel deleted while the client was away is
   * `UNKNOWN_EVENT`) are let go, so the next reconnect does not ask again,
   * and the refusal goes to `onError`.
   */
  private restore(socket: WebSocketLike): Promise<unknown> {
    const carom = socket.protocol === PROTOCOL;
    return Promise.all(
      this.held
        .restoreRequests()
        .map(({ event, events }) => this.restoreOne(socket, event, events, carom)),
    );
  }

  /** One request of a restore; `history` adds `resume` and `recent` to a subscribe. */
  private restoreOne(
    socket: WebSocketLike,
    event: string,
    events: string[],
    history: boolean,
  ): Promise<void> {
    const data: Record<string, unknown> = { events };
    let resumed: string[] = [];
    let fresh: string[] = [];
    if (event === SUBSCRIBE && history) {
      const resume = this.positions.resume((e) => this.held.covers(e));
      if (resume) data.resume = resume;
      resumed = resume ? Object.keys(resume) : [];
      fresh = events.filter((e) => !isPattern(e) && resume?.[e] === undefined);
      if (fresh.length > 0) data.recent = 0;
    }
    const asked = resumed.length + fresh.length > 0;
    return this.requests.send(socket, event, data, this.settings.requestTimeoutMs).then(
      (ack) => this.resumed(readRecovery(ack, resumed, fresh), resumed),
      (err: unknown) => {
        if (socket !== this.socket) return; // lost again: the next connection asks again
        const { code, details } =
          err instanceof RequestError ? err : { code: 'DISCONNECTED', details: undefined };
        // A server that takes fewer resume entries than sent (a smaller maxSubscriptions):
        // the subscriptions matter more than what was missed, which is reported.
        const retry = asked && code === 'BAD_ENVELOPE';
        if (isObject(details) || retry) {
          this.held.forgetRefused(err);
          this.listeners.report({
            code,
            message: `resubscribing after a reconnect: ${messageOf(err)}`,
            event,
            details,
          });
        }
        if (resumed.length > 0) {
          const found =
            isObject(details) && isObject(details.recovery)
              ? readRecovery(details, resumed, fresh)
              : record<EventRecovery>();
          for (const e of resumed) {
            found[e] ??= { recovered: false, replayed: 0, reason: 'FAILED' };
          }
          this.resumed(found, resumed);
        }
        if (retry) return this.restoreOne(socket, event, events, false);
      },
    );
  }

  /** Follows what a restore's ack says, and reports the events it resumed. */
  private resumed(found: Record<string, EventRecovery>, resumed: readonly string[]): void {
    this.follow(found);
    if (resumed.length === 0) return;
    const events = record<EventRecovery>();
    for (const e of resumed) events[e] = found[e]!;
    const report = reportOf(events);
    if (this.listeners.recovery(report) || report.recovered) return;
    this.listeners.report({
      code: ClientErrorCode.NOT_RECOVERED,
      message: `messages were missed while disconnected: ${Object.keys(events)
        .filter((e) => !events[e]!.recovered)
        .join(', ')}`,
      details: report,
    });
  }

  /** Continues each event from where the server says it stands; forgets those with no history. */
  private follow(found: Record<string, EventRecovery>): void {
    for (const e in found) {
      const { reason, epoch, offset } = found[e]!;
      if (reason === 'NO_HISTORY' || reason === 'NOT_SUBSCRIBED') this.positions.forget(e);
      else if (epoch !== undefined && offset !== undefined) {
        this.positions.saw(e, { epoch, offset });
      }
    }
  }

  /** The client gives up on the connection itself (connect or heartbeat timeout). */
  private lost(code: number, reason: string): void {
    this.dropSocket(code, reason);
    this.ended(code, reason);
  }

  /** Detaches the current socket and closes it; its close event is not waited for. */
  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) release(socket, code, reason);
  }

  private clearTimers(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.heartbeat.stop();
  }

  private giveUp(code: number, reason: string): void {
    this.clearTimers();
    this.lastClose = { code, reason, willReconnect: false };
    this.becameClosed(this.lastClose);
  }

  /** Closed for good: emits still queued will never go, so they are dropped and reported. */
  private becameClosed(info: CloseInfo): void {
    this.setState('closed', info);
    for (const queued of this.outbox.take()) this.drop(queued.event, dataOfFrame(queued.frame));
  }

  /** The connection, or the attempt at one, is over: close for good or schedule the next attempt. */
  private ended(code: number, reason: string): void {
    this.clearTimers();
    const backoff = this.backoff;
    const stable = backoff?.ended(Date.now()) ?? false;
    this.awaitingWelcome = false;
    this.connectionIdNow = undefined;
    const refused = code === CloseCode.POLICY_VIOLATION;
    const status = this.refusedStatus;
    this.refusedStatus = undefined;
    if (status !== undefined && isFinalStatus(status)) {
      this.upgradeRefused(status);
      return;
    }
    this.restoring = false;
    const suffix = `(${code}${reason ? ` ${reason}` : ''})`;
    const forGood = backoff === undefined || this.closedByUser || refused;
    if (refused) {
      this.requests.rejectAll(
        ClientErrorCode.REFUSED,
        `the server refused the connection ${suffix}`,
      );
    } else {
      // Retried requests wait for the next connection (as many as emits may queue).
      this.requests.lost(
        ClientErrorCode.DISCONNECTED,
        `the connection was lost ${suffix}`,
        forGood ? 0 : this.settings.maxQueue,
      );
    }
    if (forGood) {
      this.lastClose = { code, reason, willReconnect: false };
      this.becameClosed(this.lastClose);
      return;
    }
    const info: CloseInfo =
      status === undefined
        ? { code, reason, willReconnect: true }
        : { code, reason, willReconnect: true, status };
    if (this.unopened.ended()) {
      this.listeners.report({
        code: ClientErrorCode.UNREACHABLE,
        message: `${this.unopened.length} attempts in a row did not open: is the server up, the URL right? Still trying`,
        details: { attempts: this.unopened.length, url: this.url },
      });
    }
    const retry = backoff.next(info, stable);
    if (retry.problem !== undefined) {
      this.listeners.report({
        code: ClientErrorCode.BACKOFF_FAILED,
        message: `the reconnect.backoff policy ${retry.problem}; waiting ${retry.delayMs} ms`,
      });
    }
    this.setState('reconnecting', info);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, retry.delayMs);
  }

  /** An upgrade refused with a status retrying cannot change: closed for good, and said why. */
  private upgradeRefused(status: number): void {
    const message = upgradeMessage(status);
    this.requests.rejectAll(ClientErrorCode.UPGRADE_REFUSED, message);
    this.listeners.report({
      code: ClientErrorCode.UPGRADE_REFUSED,
      message,
      details: { status, url: this.url },
    });
    this.lastClose = {
      code: CloseCode.ABNORMAL,
      reason: `HTTP ${status}`,
      willReconnect: false,
      status,
    };
    this.becameClosed(this.lastClose);
  }

  private received(socket: WebSocketLike, raw: unknown): void {
    if (socket !== this.socket) return;
    this.heartbeat.heard();
    const envelope = decodeFrame(raw, this.settings.maxPayload);
    if (typeof envelope === 'string') {
      this.listeners.report({
        code: ClientErrorCode.BAD_FRAME,
        message: `the server sent ${envelope}; it was ignored`,
        details: preview(raw),
      });
      return;
    }
    const { event, id } = envelope;
    if (id !== undefined && (event === ACK || event === ERROR)) {
      if (isPingId(id)) return; // a heartbeat's reply
      if (this.requests.settle(id, envelope)) return;
    }
    if (event === WELCOME) {
      if (this.awaitingWelcome) {
        const data = envelope.data;
        this.connectionIdNow =
          isObject(data) && typeof data.connection === 'string' ? data.connection : undefined;
        this.opened(socket);
      }
      return;
    }
    if (event === ERROR) {
      this.reportError(envelope.data, raw);
      return;
    }
    if (event === ASK) {
      this.answers.asked(envelope.data, (frame) => this.reply(socket, frame), this.report);
      return;
    }
    const position = (envelope as { position?: unknown }).position;
    if (position !== undefined && !this.positioned(event, position, raw)) return;
    if (event === CHANNEL_DELETED) this.channelDeleted(envelope.data);
    this.listeners.deliver(envelope);
  }

  /**
   * Records a published message's position; false when the message was
   * already delivered (counted in `duplicates`). A malformed position is
   * reported and the message delivered without it.
   */
  private positioned(event: string, value: unknown, raw: unknown): boolean {
    const position = readPosition(value);
    if (position === undefined) {
      this.listeners.report({
        code: ClientErrorCode.BAD_FRAME,
        message: `the server sent '${event}' with a malformed position; delivered without it`,
        event,
        details: preview(raw),
      });
      return true;
    }
    if (this.positions.saw(event, position)) return true;
    this.duplicatesCount++;
    return false;
  }

  /** The server unsubscribed this connection from a deleted channel: do not restore it. */
  private channelDeleted(data: unknown): void {
    if (isObject(data) && typeof data.name === 'string') this.held.forgetDeleted(data.name);
  }

  /** Bound once: where the answers' problems go. */
  private readonly report = (error: ServerError): void => this.listeners.report(error);

  /** An answer goes back on the socket that asked, and only while it is the open one. */
  private reply(socket: WebSocketLike, frame: string): void {
    if (socket === this.socket && isOpen(socket)) socket.send(frame);
  }

  /** An `error` envelope that answers no request goes to `onError`. */
  private reportError(data: unknown, raw: unknown): void {
    if (isObject(data) && typeof data.code === 'string') {
      this.listeners.report({
        ...data,
        code: data.code,
        message: typeof data.message === 'string' ? data.message : data.code,
      });
      return;
    }
    this.listeners.report({
      code: ClientErrorCode.BAD_FRAME,
      message: 'the server sent an error envelope whose data is not an error object',
      details: preview(raw),
    });
  }

  private closedError(): RequestError {
    const last = this.lastClose;
    if (last?.status !== undefined && !last.willReconnect) {
      return new RequestError(
        ClientErrorCode.UPGRADE_REFUSED,
        upgradeMessage(last.status),
        undefined,
        {
          status: last.status,
        },
      );
    }
    if (last?.code === CloseCode.POLICY_VIOLATION) {
      return new RequestError(
        ClientErrorCode.REFUSED,
        `the server refused the connection: ${last.reason || '(no reason given)'}`,
        undefined,
        { code: last.code, reason: last.reason },
      );
    }
    if (last === undefined) return new RequestError(ClientErrorCode.CLOSED, 'the client is closed');
    return new RequestError(
      ClientErrorCode.CLOSED,
      `the connection closed (${last.code} ${last.reason})`,
    );
  }

  private setState(state: ClientState, info?: CloseInfo): void {
    if (this.stateNow === state && state !== 'reconnecting') return;
    this.stateNow = state;
    this.listeners.state(state, info);
  }
}

/**
 * Connects to a carom server. Typed with an event map, every `on`, `emit` and
 * `request` is checked by the compiler:
 *
 * ```ts
 * const client = connect<Chat>('ws://localhost:8080/ws', { token });
 * client.on('chat', (m) => render(m.text));
 * const { ok } = await client.request('chat', { text: 'hi' });
 * ```
 */
export function connect<M extends EventMapOf<M> = AnyEvents>(
  url: string,
  options?: ClientOptions,
): CaromClient<M> {
  return new CaromClient<M>(url, options);
}
