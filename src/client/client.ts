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
import { Backoff } from './backoff.js';
import { ClientErrorCode, CloseCode } from './codes.js';
import { RequestError, messageOf, timeoutError, type ServerError } from './errors.js';
import { decodeFrame, dataOfFrame, encodeFrame, isObject, preview } from './frame.js';
import { isFinalStatus, UnopenedStreak, upgradeMessage, upgradeStatus } from './handshake.js';
import { Heartbeat, isPingId } from './heartbeat.js';
import type { Listener } from './listeners.js';
import { Listeners } from './listeners.js';
import { ACK, CHANNEL_DELETED, ERROR, SUBSCRIBE, UNSUBSCRIBE, WELCOME } from './names.js';
import { settingsOf, type ClientOptions, type ClientSettings } from './options.js';
import { Outbox } from './outbox.js';
import { Requests } from './requests.js';
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
  AnyEvents,
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

  constructor(
    private readonly url: string,
    options: ClientOptions = {},
  ) {
    this.settings = settingsOf(options);
    this.outbox = new Outbox(this.settings.maxQueue);
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
   * and `excluded`. The client remembers them and subscribes again after a
   * reconnect.
   */
  async subscribe(
    events: Array<ReceivableEvent<M> | `${string}.*` | '*'>,
  ): Promise<SubscriptionAck> {
    this.held.add(events);
    let ack: unknown;
    try {
      ack = await this.ask(SUBSCRIBE, { events });
    } catch (err) {
      // Names the server refused are not held, so a reconnect does not ask for them again.
      this.held.forgetRefused(err);
      throw err;
    }
    return ackOf(ack, SUBSCRIBE);
  }

  /**
   * Unsubscribes, with the protocol's rules for `*` and exclusions; resolves
   * with what remains, as the ack lists it (`events` and `excluded`).
   */
  async unsubscribe(
    events: Array<ReceivableEvent<M> | `${string}.*` | '*'>,
  ): Promise<SubscriptionAck> {
    this.held.remove(events);
    return ackOf(await this.ask(UNSUBSCRIBE, { events }), UNSUBSCRIBE);
  }

  /**
   * Sends an event without asking for a reply. While disconnected it is
   * queued (up to `maxQueue`; beyond that the oldest is dropped, counted in
   * `dropped` and reported to `onDrop`). After `close()` it is dropped, and
   * so are the emits still queued when the client closes for good (`close()`,
   * a refusal, a lost connection with reconnect off).
   */
  emit<K extends SendableEvent<M>>(event: K, data: SendData<M, K>): void;
  emit(event: string, data?: unknown): void {
    const frame = encodeFrame(event, data);
    if (this.stateNow === 'open' && isOpen(this.socket)) {
      this.socket.send(frame);
      return;
    }
    if (this.stateNow === 'closed') {
      this.drop(event, data);
      return;
    }
    const oldest = this.outbox.push(event, frame);
    if (oldest) this.drop(oldest.event, dataOfFrame(oldest.frame));
  }

  /**
   * Sends an event with an `id` and resolves with the ack's data; rejects with
   * a `RequestError` carrying the server's error code, or `TIMEOUT`, or
   * `DISCONNECTED` when the connection was lost before the reply, or
   * `REFUSED`, `CLOSED`, `BAD_REPLY` (see {@link RequestError}).
   */
  async request<K extends SendableEvent<M>>(
    event: K,
    data: SendData<M, K>,
    options?: { timeoutMs?: number },
  ): Promise<AckData<M, K>>;
  async request(
    event: string,
    data?: unknown,
    options: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    return this.ask(event, data, options.timeoutMs);
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
    this.requests.rejectAll(ClientErrorCode.CLOSED, 'the client was closed');
    this.becameClosed({ code, reason, willReconnect: false });
  }

  /** Sends with an id once open; one deadline covers the wait for a connection and for the reply. */
  private async ask(
    event: string,
    data: unknown,
    timeoutMs = this.settings.requestTimeoutMs,
  ): Promise<unknown> {
    if (this.stateNow === 'open') return this.call(event, data, timeoutMs);
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
    return this.call(event, data, Math.max(1, deadline - Date.now()));
  }

  private call(event: string, data: unknown, timeoutMs: number): Promise<unknown> {
    const socket = this.socket;
    if (this.stateNow !== 'open' || !isOpen(socket)) {
      return Promise.reject(
        new RequestError(
          ClientErrorCode.DISCONNECTED,
          `not connected; '${event}' was not sent`,
          event,
        ),
      );
    }
    return this.requests.send(socket, event, data, timeoutMs);
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
    const target = dialTarget(this.url, token, this.settings.tokenIn);
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
    const restoring = this.everOpened;
    this.everOpened = true;
    if (restoring) this.restore(socket);
    for (const queued of this.outbox.take()) socket.send(queued.frame);
    this.heartbeat.start();
    this.setState('open');
  }

  /**
   * Asks a fresh connection for what the client held, with ids: names the
   * server refuses now (a channel deleted while the client was away is
   * `UNKNOWN_EVENT`) are let go, so the next reconnect does not ask again,
   * and the refusal goes to `onError`.
   */
  private restore(socket: WebSocketLike): void {
    for (const { event, events } of this.held.restoreRequests()) {
      this.requests
        .send(socket, event, { events }, this.settings.requestTimeoutMs)
        .catch((err: unknown) => {
          if (!(err instanceof RequestError) || !isObject(err.details)) return;
          this.held.forgetRefused(err);
          this.listeners.report({
            code: err.code,
            message: `resubscribing after a reconnect: ${err.message}`,
            event,
            details: err.details,
          });
        });
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
    const suffix = `(${code}${reason ? ` ${reason}` : ''})`;
    if (refused) {
      this.requests.rejectAll(
        ClientErrorCode.REFUSED,
        `the server refused the connection ${suffix}`,
      );
    } else {
      this.requests.rejectAll(ClientErrorCode.DISCONNECTED, `the connection was lost ${suffix}`);
    }
    if (backoff === undefined || this.closedByUser || refused) {
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
    if (event === CHANNEL_DELETED) this.channelDeleted(envelope.data);
    this.listeners.deliver(envelope);
  }

  /** The server unsubscribed this connection from a deleted channel: do not restore it. */
  private channelDeleted(data: unknown): void {
    if (isObject(data) && typeof data.name === 'string') this.held.forgetDeleted(data.name);
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
