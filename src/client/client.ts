/**
 * The carom client, for browsers and Node. This file is self-contained at run
 * time (its imports are types only), so the server can hand it to a browser as
 * one ES module at `/carom/client.js`.
 */
import type {
  AckData,
  AnyEvents,
  EventMapOf,
  ReceivableEvent,
  ReceiveData,
  SendableEvent,
  SendData,
} from './types.js';

/** Where the client is in its life. */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the client closed or is reconnecting. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  /** True when the client will try again. */
  readonly willReconnect: boolean;
}

/** Reconnection with exponential backoff and jitter. */
export interface ReconnectOptions {
  /** Delay before the first retry. Default 250 ms. */
  readonly initialDelayMs?: number;
  /** Longest delay. Default 10 000 ms. */
  readonly maxDelayMs?: number;
  /** Growth per failed attempt. Default 2. */
  readonly factor?: number;
  /** Fraction of each delay taken off at random (0 to 1). Default 0.5. */
  readonly jitter?: number;
  /**
   * How long a connection must stay open before the backoff starts again from
   * `initialDelayMs`. A server that accepts and closes at once so meets a
   * growing delay, not a reconnect loop. Default 5 000 ms.
   */
  readonly stableAfterMs?: number;
  /**
   * After a close with 1012 (server restarting) or 1001 (going away), the next
   * attempt waits a random delay in [0, `drainDelayMs`], so that the clients of
   * a draining server do not all land on the next one at once; the normal
   * backoff follows if that attempt fails. Default 5 000 ms.
   */
  readonly drainDelayMs?: number;
}

/** The parts of a WebSocket the client uses: the browser's, or `ws`'s. */
export interface WebSocketLike {
  readonly readyState: number;
  /** The subprotocol the server selected (`'carom'` from a carom server); absent means none. */
  readonly protocol?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/**
 * A WebSocket constructor. The client calls it with the URL, the subprotocols
 * it offers, and `{ maxPayload }` (read by `ws`; a browser ignores it).
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { maxPayload?: number },
) => WebSocketLike;

/** A token, or a function (sync or async) that gives one on every connect; `undefined` means none. */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

/** Options of `connect`. */
export interface ClientOptions {
  /**
   * The token `readToken` finds on the server. A function is called before
   * every connect, so an expiring token is fresh after a reconnect; if it
   * throws, the attempt fails (reported to `onError` as `TOKEN_FAILED`) and
   * the client retries with backoff.
   */
  readonly token?: TokenSource;
  /**
   * Where the token travels. `'protocol'` (default): in the subprotocol entry
   * `carom.token.<base64url>`, out of the URL that proxies and access logs keep.
   * `'query'`: the `token` query parameter, for servers that only read it there.
   */
  readonly tokenIn?: 'protocol' | 'query';
  /** Reconnect after an unexpected close. Default on; `false` turns it off. */
  readonly reconnect?: boolean | ReconnectOptions;
  /** Emits kept while disconnected; past this, the oldest are dropped and counted. Default 100. */
  readonly maxQueue?: number;
  /** Default timeout of `request`. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * Longest wait, per attempt, from dialling to `open` (token, handshake and the
   * server's `carom.welcome`). Past it the socket is closed and the attempt counts
   * as failed (`reconnecting` with code 4000, `connect timeout`). Default 10 000 ms; `0` waits forever.
   */
  readonly connectTimeoutMs?: number;
  /**
   * Largest frame accepted from the server. `ws` (Node) closes the connection
   * with 1009 past it; in browsers a longer frame (counted in UTF-16 units) is
   * dropped and reported to `onError` as `BAD_FRAME`. Default 1 MiB.
   */
  readonly maxPayload?: number;
  /**
   * When nothing arrived for this long, send `carom.ping`; when nothing at all
   * arrives within as long again, close with 4000 `heartbeat timeout` and
   * reconnect. Detects a half-open connection. Default 0 (off).
   */
  readonly heartbeatMs?: number;
  /** The WebSocket class. Default: the global one, else the `ws` package (Node 20). */
  readonly WebSocket?: WebSocketConstructor;
}

/** An envelope as the server sends it. */
export interface ServerEnvelope<T = unknown> {
  readonly event: string;
  readonly data: T;
  readonly timestamp: string;
  readonly id?: string | number;
}

/**
 * The data of an `error` envelope, or a problem the client reports itself
 * (codes `BAD_FRAME`, `LISTENER_ERROR`, `TOKEN_FAILED`).
 */
export interface ServerError {
  readonly code: string;
  readonly message: string;
  readonly event?: string;
  readonly details?: unknown;
}

/**
 * A request that failed: the server's `error` envelope (`code` is one of the
 * protocol's), or from the client itself `TIMEOUT`, `DISCONNECTED`, `CLOSED`,
 * `REFUSED` (the server closed with 1008; `details` holds `code` and `reason`)
 * or `BAD_REPLY` (the reply was not the shape the protocol gives it).
 */
export class RequestError extends Error {
  readonly code: string;
  readonly details: unknown;
  readonly event: string | undefined;

  constructor(code: string, message: string, event?: string, details?: unknown) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
    this.event = event;
    this.details = details;
  }
}

interface Pending {
  readonly resolve: (value: any) => void;
  readonly reject: (error: RequestError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly event: string;
}

type Listener = (data: any, envelope: ServerEnvelope) => void;

const OPEN = 1;
const NORMAL = 1000;
const GOING_AWAY = 1001;
const ABNORMAL = 1006;
const POLICY_VIOLATION = 1008;
const SERVICE_RESTART = 1012;
/** The client's own close code: the server did not answer in time (connect or heartbeat). */
const CLIENT_TIMEOUT = 4000;
const PROTOCOL = 'carom';
const TOKEN_PROTOCOL = 'carom.token.';
const WELCOME = 'carom.welcome';
const PING = 'carom.ping';
const MIB = 1024 * 1024;
/** How much of a bad frame a `BAD_FRAME` report quotes. */
const PREVIEW = 120;

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  // Node 20 has no global WebSocket; `ws` is carom's own dependency.
  const specifier = 'ws';
  const mod = (await import(specifier)) as { WebSocket: WebSocketConstructor };
  return mod.WebSocket;
}

function withToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/** base64url of the UTF-8 bytes, no padding; TextEncoder and btoa exist in browsers and Node alike. */
export function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A thrown value's message, even when the value is hostile (a Proxy, a throwing getter). */
function messageOf(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return 'a value that cannot be printed';
  }
}

function preview(raw: unknown): string {
  return typeof raw === 'string' ? raw.slice(0, PREVIEW) : typeof raw;
}

/**
 * An envelope, or why the frame is not one. Never throws: everything a server
 * sends is untrusted, and listeners may rely on `event` being a string.
 */
export function decodeFrame(raw: unknown, maxPayload = MIB): ServerEnvelope | string {
  if (typeof raw !== 'string') return 'a binary frame';
  if (raw.length > maxPayload) return `a frame of ${raw.length} characters, over maxPayload`;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'a frame that is not JSON';
  }
  if (!isObject(value)) return 'a frame that is not a JSON object';
  if (typeof value.event !== 'string') return 'an envelope without a string event';
  const id = value.id;
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
    return 'an envelope whose id is neither a string nor a number';
  }
  return value as unknown as ServerEnvelope;
}

/** The error an `error` reply stands for; `BAD_REPLY` when its data is not an error object. */
function replyError(data: unknown, event: string): RequestError {
  if (isObject(data) && typeof data.code === 'string') {
    const message = typeof data.message === 'string' ? data.message : data.code;
    return new RequestError(
      data.code,
      message,
      typeof data.event === 'string' ? data.event : event,
      data.details,
    );
  }
  return new RequestError(
    'BAD_REPLY',
    `the server answered '${event}' with an error whose data is not an error object`,
    event,
    data,
  );
}

/** The `events` list of a subscribe or unsubscribe ack. */
function eventsOf(ack: unknown, event: string): string[] {
  const events = isObject(ack) ? ack.events : undefined;
  if (Array.isArray(events) && events.every((e) => typeof e === 'string')) return events;
  throw new RequestError('BAD_REPLY', `the ack of '${event}' has no list of events`, event, ack);
}

/**
 * A connection to a carom server that survives the network: it reconnects,
 * resubscribes, queues emits while away, and types every event through `M`.
 * Nothing the server sends, and nothing a listener throws, breaks it: bad
 * frames and throwing listeners are reported to `onError`.
 */
export class CaromClient<M extends EventMapOf<M> = AnyEvents> {
  private socket: WebSocketLike | undefined;
  private stateNow: ClientState = 'connecting';
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly stateListeners = new Set<(state: ClientState, info?: CloseInfo) => void>();
  private readonly errorListeners = new Set<(error: ServerError) => void>();
  private readonly pending = new Map<string | number, Pending>();
  /** Emits waiting for a connection: the event name (for drop reports) and the frame. */
  private readonly queue: Array<{ readonly event: string; readonly frame: string }> = [];
  private readonly dropListeners = new Set<
    (event: string, data: unknown, dropped: number) => void
  >();
  private readonly subscribed = new Set<string>();
  private readonly excluded = new Set<string>();
  private nextId = 1;
  /** Heartbeat pings carry negative ids, so their replies never meet a request's. */
  private nextPingId = -1;
  private attempts = 0;
  /** Bumped by every connect attempt and by close(): a stale async step sees it changed and stops. */
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private awaitingWelcome = false;
  private openedAt: number | undefined;
  private lastReceivedAt = 0;
  private pinged = false;
  private connectionIdNow: string | undefined;
  private lastClose: CloseInfo | undefined;
  private closedByUser = false;
  private everOpened = false;
  private droppedCount = 0;
  private readonly reconnect: Required<ReconnectOptions> | undefined;
  private readonly maxQueue: number;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxPayload: number;
  private readonly heartbeatMs: number;
  private readonly token: TokenSource | undefined;
  private readonly tokenIn: 'protocol' | 'query';
  private ctor: WebSocketConstructor | undefined;

  constructor(
    private readonly url: string,
    options: ClientOptions = {},
  ) {
    this.token = options.token;
    this.tokenIn = options.tokenIn ?? 'protocol';
    this.maxQueue = options.maxQueue ?? 100;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.maxPayload = options.maxPayload ?? MIB;
    this.heartbeatMs = options.heartbeatMs ?? 0;
    const r = options.reconnect ?? true;
    this.reconnect =
      r === false
        ? undefined
        : {
            initialDelayMs: 250,
            maxDelayMs: 10_000,
            factor: 2,
            jitter: 0.5,
            stableAfterMs: 5_000,
            drainDelayMs: 5_000,
            ...(r === true ? {} : r),
          };
    this.ctor = options.WebSocket;
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
    return [...this.subscribed];
  }

  /**
   * Calls `fn` with each published `event`. Returns a function that stops it.
   * If `fn` throws, the other listeners still run and `onError` gets a `LISTENER_ERROR`.
   */
  on<K extends ReceivableEvent<M>>(
    event: K,
    fn: (data: ReceiveData<M, K>, envelope: ServerEnvelope<ReceiveData<M, K>>) => void,
  ): () => void;
  on(event: string, fn: (data: any, envelope: any) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => this.off(event, fn);
  }

  /** Stops a function given to `on`. */
  off(event: string, fn: Listener): void {
    this.listeners.get(event)?.delete(fn);
  }

  /** Calls `fn` on every state change, with the close code and reason when there is one. */
  onState(fn: (state: ClientState, info?: CloseInfo) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /**
   * Calls `fn` with `error` envelopes that answer no request (an emit the
   * server refused, say); errors of requests reject their promises instead.
   * Also with the client's own reports: `BAD_FRAME` (the server sent a frame
   * that is not an envelope; it is ignored), `LISTENER_ERROR` (a listener
   * threw; `details` is what it threw), `TOKEN_FAILED` (the token function
   * threw). What an `onError` listener throws is swallowed: there is nowhere
   * left to report it.
   */
  onError(fn: (error: ServerError) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
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
   * the connection's subscriptions as the server's ack lists them. The client
   * remembers them and subscribes again after a reconnect.
   */
  async subscribe(events: Array<ReceivableEvent<M> | `${string}.*` | '*'>): Promise<string[]> {
    for (const e of events) {
      this.subscribed.add(e);
      this.excluded.delete(e);
    }
    let ack: unknown;
    try {
      ack = await this.ask('subscribe', { events });
    } catch (err) {
      // Names the server refused are not held, so a reconnect does not ask for them again.
      const details = err instanceof RequestError ? err.details : undefined;
      const rejected = isObject(details) && Array.isArray(details.rejected) ? details.rejected : [];
      for (const r of rejected as unknown[]) {
        if (isObject(r) && typeof r.name === 'string') this.subscribed.delete(r.name);
      }
      throw err;
    }
    return eventsOf(ack, 'subscribe');
  }

  /** Unsubscribes, with the protocol's rules for `*` and exclusions; resolves with what remains. */
  async unsubscribe(events: Array<ReceivableEvent<M> | `${string}.*` | '*'>): Promise<string[]> {
    for (const e of events) {
      if (e === '*') {
        this.subscribed.clear();
        this.excluded.clear();
      } else if (e.endsWith('.*')) {
        // As on the server: exclusions the removed pattern no longer covers go with it.
        this.subscribed.delete(e);
        for (const ex of this.excluded) if (!this.coveredByPattern(ex)) this.excluded.delete(ex);
      } else {
        this.subscribed.delete(e);
        if (this.coveredByPattern(e)) this.excluded.add(e);
      }
    }
    return eventsOf(await this.ask('unsubscribe', { events }), 'unsubscribe');
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
    const frame = this.frame(event, data, undefined);
    if (this.stateNow === 'open' && this.socket?.readyState === OPEN) {
      this.socket.send(frame);
      return;
    }
    if (this.stateNow === 'closed') {
      this.drop(event, data);
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      const oldest = this.queue.shift()!;
      this.drop(oldest.event, (JSON.parse(oldest.frame) as { data: unknown }).data);
    }
    this.queue.push({ event, frame });
  }

  /**
   * Calls `fn` with each emit the client drops: past `maxQueue` while
   * disconnected (the oldest goes), still queued when the client closes for
   * good, or after `close()`. `dropped` is the count so far.
   */
  onDrop(fn: (event: string, data: unknown, dropped: number) => void): () => void {
    this.dropListeners.add(fn);
    return () => this.dropListeners.delete(fn);
  }

  private drop(event: string, data: unknown): void {
    this.droppedCount++;
    const dropped = this.droppedCount;
    for (const fn of this.dropListeners) {
      this.guard('an onDrop listener', event, () => fn(event, data, dropped));
    }
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

  /** Sends with an id once open; one deadline covers the wait for a connection and for the reply. */
  private async ask(
    event: string,
    data: unknown,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<unknown> {
    if (this.stateNow === 'open') return this.call(event, data, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RequestError('TIMEOUT', `no reply to '${event}' within ${timeoutMs} ms`, event),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.ready(), expired]);
    } finally {
      clearTimeout(timer);
    }
    return this.call(event, data, Math.max(1, deadline - Date.now()));
  }

  /** Closes for good: no reconnect; pending requests reject with `CLOSED`. */
  close(code = NORMAL, reason = ''): void {
    this.closedByUser = true;
    this.generation++;
    this.clearTimers();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dropSocket(code, reason);
    this.connectionIdNow = undefined;
    this.rejectPending('CLOSED', 'the client was closed');
    this.becameClosed({ code, reason, willReconnect: false });
  }

  private call<T>(event: string, data: unknown, timeoutMs = this.requestTimeoutMs): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const socket = this.socket;
      if (this.stateNow !== 'open' || !socket || socket.readyState !== OPEN) {
        reject(new RequestError('DISCONNECTED', `not connected; '${event}' was not sent`, event));
        return;
      }
      // Built first: data that JSON cannot encode throws here, before anything is registered.
      const frame = this.frame(event, data, id);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('TIMEOUT', `no reply to '${event}' within ${timeoutMs} ms`, event));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, event });
      socket.send(frame);
    });
  }

  private frame(event: string, data: unknown, id: number | undefined): string {
    const envelope: Record<string, unknown> = {
      event,
      data: data === undefined ? {} : data,
      timestamp: new Date().toISOString(),
    };
    if (id !== undefined) envelope.id = id;
    return JSON.stringify(envelope);
  }

  private coveredByPattern(name: string): boolean {
    if (this.subscribed.has('*')) return true;
    for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
      if (this.subscribed.has(`${name.slice(0, dot + 1)}*`)) return true;
    }
    return false;
  }

  /** One connect attempt: token, socket, then `open` (or the welcome), all within connectTimeoutMs. */
  private async open(): Promise<void> {
    const generation = ++this.generation;
    if (this.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        this.connectTimer = undefined;
        if (generation !== this.generation) return;
        this.generation++; // a token still on its way is not used
        this.dropSocket(CLIENT_TIMEOUT, 'connect timeout');
        this.ended(CLIENT_TIMEOUT, 'connect timeout');
      }, this.connectTimeoutMs);
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
      const source = this.token;
      // Called a turn later, so that listeners added right after connect() hear its failure.
      token = typeof source === 'function' ? await Promise.resolve().then(source) : source;
    } catch (err) {
      if (generation !== this.generation) return;
      this.report({ code: 'TOKEN_FAILED', message: `the token function threw: ${messageOf(err)}` });
      this.ended(0, 'token function failed');
      return;
    }
    if (generation !== this.generation || this.closedByUser) return;
    const protocols = [PROTOCOL];
    let url = this.url;
    if (typeof token === 'string') {
      if (this.tokenIn === 'query') url = withToken(url, token);
      else protocols.push(TOKEN_PROTOCOL + base64url(token));
    }
    let socket: WebSocketLike;
    try {
      socket = new Ctor(url, protocols, { maxPayload: this.maxPayload });
    } catch (err) {
      // A bad URL does not get better by retrying.
      this.giveUp(0, messageOf(err));
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      // A carom server says when its connect hooks have settled; anything else is ready now.
      if (socket.protocol === PROTOCOL) this.awaitingWelcome = true;
      else this.opened(socket);
    };
    socket.onmessage = (e) => this.received(socket, e?.data);
    socket.onerror = () => {
      // A 'close' event always follows; that is where the client decides.
    };
    socket.onclose = (e) => {
      if (socket !== this.socket) return;
      this.socket = undefined;
      const code = typeof e?.code === 'number' ? e.code : ABNORMAL;
      this.ended(code, typeof e?.reason === 'string' ? e.reason : '');
    };
  }

  private opened(socket: WebSocketLike): void {
    this.awaitingWelcome = false;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.openedAt = Date.now();
    // On a reconnect the server knows nothing of this client: restore its subscriptions
    // before the queued emits go out. On the first open, subscribe() calls send their own.
    const restoring = this.everOpened;
    this.everOpened = true;
    if (restoring && this.subscribed.size > 0) {
      socket.send(this.frame('subscribe', { events: [...this.subscribed] }, undefined));
      if (this.excluded.size > 0) {
        socket.send(this.frame('unsubscribe', { events: [...this.excluded] }, undefined));
      }
    }
    for (const queued of this.queue.splice(0)) socket.send(queued.frame);
    if (this.heartbeatMs > 0) {
      this.lastReceivedAt = Date.now();
      this.pinged = false;
      this.heartbeatTimer = setTimeout(() => this.beat(), this.heartbeatMs);
    }
    this.setState('open');
  }

  /** The heartbeat: one timer per period, not one per frame received. */
  private beat(): void {
    this.heartbeatTimer = undefined;
    const socket = this.socket;
    if (!socket || this.stateNow !== 'open') return;
    const idle = Date.now() - this.lastReceivedAt;
    if (idle < this.heartbeatMs) {
      this.heartbeatTimer = setTimeout(() => this.beat(), this.heartbeatMs - idle);
      return;
    }
    if (this.pinged) {
      this.dropSocket(CLIENT_TIMEOUT, 'heartbeat timeout');
      this.ended(CLIENT_TIMEOUT, 'heartbeat timeout');
      return;
    }
    this.pinged = true;
    if (socket.readyState === OPEN) socket.send(this.frame(PING, undefined, this.nextPingId--));
    this.heartbeatTimer = setTimeout(() => this.beat(), this.heartbeatMs);
  }

  /** Detaches the current socket and closes it; its close event is not waited for. */
  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.onopen = null;
    socket.onclose = null;
    socket.onmessage = null;
    // onerror stays a no-op: `ws` throws on an 'error' event nobody listens to.
    try {
      socket.close(code, reason);
    } catch {
      // A socket still connecting may refuse a close code; it is being dropped anyway.
    }
  }

  private clearTimers(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.connectTimer = undefined;
    this.heartbeatTimer = undefined;
  }

  private giveUp(code: number, reason: string): void {
    this.clearTimers();
    this.lastClose = { code, reason, willReconnect: false };
    this.becameClosed(this.lastClose);
  }

  /** Closed for good: emits still queued will never go, so they are dropped and reported. */
  private becameClosed(info: CloseInfo): void {
    this.setState('closed', info);
    for (const queued of this.queue.splice(0)) {
      this.drop(queued.event, (JSON.parse(queued.frame) as { data: unknown }).data);
    }
  }

  /** The connection, or the attempt at one, is over: close for good or schedule the next attempt. */
  private ended(code: number, reason: string): void {
    this.clearTimers();
    const r = this.reconnect;
    const stable =
      this.openedAt !== undefined && Date.now() - this.openedAt >= (r?.stableAfterMs ?? 0);
    this.openedAt = undefined;
    this.awaitingWelcome = false;
    this.connectionIdNow = undefined;
    const refused = code === POLICY_VIOLATION;
    const suffix = `(${code}${reason ? ` ${reason}` : ''})`;
    if (refused) this.rejectPending('REFUSED', `the server refused the connection ${suffix}`);
    else this.rejectPending('DISCONNECTED', `the connection was lost ${suffix}`);
    if (r === undefined || this.closedByUser || refused) {
      this.lastClose = { code, reason, willReconnect: false };
      this.becameClosed(this.lastClose);
      return;
    }
    if (stable) this.attempts = 0;
    let delay: number;
    if (code === SERVICE_RESTART || code === GOING_AWAY) {
      delay = Math.random() * r.drainDelayMs;
    } else {
      const base = Math.min(r.maxDelayMs, r.initialDelayMs * r.factor ** this.attempts);
      delay = base * (1 - r.jitter * Math.random());
      this.attempts++;
    }
    this.setState('reconnecting', { code, reason, willReconnect: true });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, delay);
  }

  private received(socket: WebSocketLike, raw: unknown): void {
    if (socket !== this.socket) return;
    // Any frame, even a bad one, shows the connection is alive.
    if (this.heartbeatMs > 0) {
      this.lastReceivedAt = Date.now();
      this.pinged = false;
    }
    const envelope = decodeFrame(raw, this.maxPayload);
    if (typeof envelope === 'string') {
      this.report({
        code: 'BAD_FRAME',
        message: `the server sent ${envelope}; it was ignored`,
        details: preview(raw),
      });
      return;
    }
    const { event, id } = envelope;
    if (id !== undefined && (event === 'ack' || event === 'error')) {
      if (typeof id === 'number' && id < 0) return; // a heartbeat's reply
      const pending = this.pending.get(id);
      if (pending) {
        this.pending.delete(id);
        clearTimeout(pending.timer);
        if (event === 'ack') pending.resolve(envelope.data);
        else pending.reject(replyError(envelope.data, pending.event));
        return;
      }
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
    if (event === 'error') {
      const data = envelope.data;
      if (isObject(data) && typeof data.code === 'string') {
        this.report({
          ...data,
          code: data.code,
          message: typeof data.message === 'string' ? data.message : data.code,
        });
      } else {
        this.report({
          code: 'BAD_FRAME',
          message: 'the server sent an error envelope whose data is not an error object',
          details: preview(raw),
        });
      }
      return;
    }
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of set) {
      this.guard(`a listener of '${event}'`, event, () => fn(envelope.data, envelope));
    }
  }

  /** Runs a listener; what it throws goes to onError as LISTENER_ERROR, and the client goes on. */
  private guard(what: string, event: string | undefined, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const error: ServerError = {
        code: 'LISTENER_ERROR',
        message: `${what} threw: ${messageOf(err)}`,
        details: err,
      };
      this.report(event === undefined ? error : { ...error, event });
    }
  }

  private report(error: ServerError): void {
    for (const fn of this.errorListeners) {
      try {
        fn(error);
      } catch {
        // An onError listener that throws has nowhere left to report to.
      }
    }
  }

  private closedError(): RequestError {
    const last = this.lastClose;
    if (last?.code === POLICY_VIOLATION) {
      return new RequestError(
        'REFUSED',
        `the server refused the connection: ${last.reason || '(no reason given)'}`,
        undefined,
        { code: last.code, reason: last.reason },
      );
    }
    if (last === undefined) return new RequestError('CLOSED', 'the client is closed');
    return new RequestError('CLOSED', `the connection closed (${last.code} ${last.reason})`);
  }

  private rejectPending(code: string, message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new RequestError(code, message, p.event));
    }
  }

  private setState(state: ClientState, info?: CloseInfo): void {
    if (this.stateNow === state && state !== 'reconnecting') return;
    this.stateNow = state;
    for (const fn of this.stateListeners) {
      this.guard('an onState listener', undefined, () => fn(state, info));
    }
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
