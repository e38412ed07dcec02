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
}

/** The parts of a WebSocket the client uses: the browser's, or `ws`'s. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of `connect`. */
export interface ClientOptions {
  /** Sent as the `token` query parameter (browsers cannot set headers on a WebSocket). */
  readonly token?: string;
  /** Reconnect after an unexpected close. Default on; `false` turns it off. */
  readonly reconnect?: boolean | ReconnectOptions;
  /** Emits kept while disconnected; past this, the oldest are dropped and counted. Default 100. */
  readonly maxQueue?: number;
  /** Default timeout of `request`. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
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

/** The data of an `error` envelope. */
export interface ServerError {
  readonly code: string;
  readonly message: string;
  readonly event?: string;
  readonly details?: unknown;
}

/**
 * A request that failed: the server's `error` envelope (`code` is one of the
 * protocol's), or `TIMEOUT`, `DISCONNECTED`, `CLOSED` from the client itself.
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
const POLICY_VIOLATION = 1008;
const NORMAL = 1000;

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  // Node 20 has no global WebSocket; `ws` is carom's own dependency.
  const specifier = 'ws';
  const mod = (await import(specifier)) as { WebSocket: WebSocketConstructor };
  return mod.WebSocket;
}

function withToken(url: string, token: string | undefined): string {
  if (token === undefined) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/**
 * A connection to a carom server that survives the network: it reconnects,
 * resubscribes, queues emits while away, and types every event through `M`.
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
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closedByUser = false;
  private everOpened = false;
  private droppedCount = 0;
  private readonly reconnect: Required<ReconnectOptions> | undefined;
  private readonly maxQueue: number;
  private readonly requestTimeoutMs: number;
  private readonly fullUrl: string;
  private ctor: WebSocketConstructor | undefined;

  constructor(url: string, options: ClientOptions = {}) {
    this.fullUrl = withToken(url, options.token);
    this.maxQueue = options.maxQueue ?? 100;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    const r = options.reconnect ?? true;
    this.reconnect =
      r === false
        ? undefined
        : {
            initialDelayMs: 250,
            maxDelayMs: 10_000,
            factor: 2,
            jitter: 0.5,
            ...(r === true ? {} : r),
          };
    this.ctor = options.WebSocket;
    void this.open();
  }

  /** The current state. */
  get state(): ClientState {
    return this.stateNow;
  }

  /** Emits dropped because the queue was full while disconnected. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Subscriptions the client holds and restores after a reconnect. */
  get subscriptions(): string[] {
    return [...this.subscribed];
  }

  /** Calls `fn` with each published `event`. Returns a function that stops it. */
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
   * server refused, say). Errors of requests reject their promises instead.
   */
  onError(fn: (error: ServerError) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  /** Resolves when the client is open (now, or after it connects). Rejects if it closes for good. */
  ready(): Promise<void> {
    if (this.stateNow === 'open') return Promise.resolve();
    if (this.stateNow === 'closed')
      return Promise.reject(new RequestError('CLOSED', 'the client is closed'));
    return new Promise((resolve, reject) => {
      const stop = this.onState((state, info) => {
        if (state === 'open') {
          stop();
          resolve();
        } else if (state === 'closed') {
          stop();
          reject(
            new RequestError(
              'CLOSED',
              `the connection closed (${info?.code ?? 0} ${info?.reason ?? ''})`,
            ),
          );
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
    try {
      const ack = await this.ask('subscribe', { events });
      return (ack as { events: string[] }).events;
    } catch (err) {
      // Names the server refused are not held, so a reconnect does not ask for them again.
      const rejected = (err as RequestError).details as { rejected?: Array<{ name: string }> };
      for (const r of rejected?.rejected ?? []) this.subscribed.delete(r.name);
      throw err;
    }
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
    const ack = await this.ask('unsubscribe', { events });
    return (ack as { events: string[] }).events;
  }

  /**
   * Sends an event without asking for a reply. While disconnected it is
   * queued (up to `maxQueue`; beyond that the oldest is dropped, counted in
   * `dropped` and reported to `onDrop`). After `close()` it is dropped.
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
   * disconnected (the oldest goes), or after `close()`. `dropped` is the count so far.
   */
  onDrop(fn: (event: string, data: unknown, dropped: number) => void): () => void {
    this.dropListeners.add(fn);
    return () => this.dropListeners.delete(fn);
  }

  private drop(event: string, data: unknown): void {
    this.droppedCount++;
    for (const fn of this.dropListeners) fn(event, data, this.droppedCount);
  }

  /**
   * Sends an event with an `id` and resolves with the ack's data; rejects with
   * a `RequestError` carrying the server's error code, or `TIMEOUT`, or
   * `DISCONNECTED` when the connection was lost before the reply.
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
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      try {
        socket.close(code, reason);
      } catch {
        // A socket still connecting may refuse a close code; it is being dropped anyway.
      }
    }
    this.rejectPending('CLOSED', 'the client was closed');
    this.setState('closed', { code, reason, willReconnect: false });
  }

  private call<T>(event: string, data: unknown, timeoutMs = this.requestTimeoutMs): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const socket = this.socket;
      if (this.stateNow !== 'open' || !socket || socket.readyState !== OPEN) {
        reject(new RequestError('DISCONNECTED', `not connected; '${event}' was not sent`, event));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('TIMEOUT', `no reply to '${event}' within ${timeoutMs} ms`, event));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, event });
      socket.send(this.frame(event, data, id));
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

  private async open(): Promise<void> {
    let Ctor: WebSocketConstructor;
    try {
      Ctor = this.ctor ??= await defaultWebSocket();
    } catch {
      this.setState('closed', {
        code: 0,
        reason: 'no WebSocket implementation',
        willReconnect: false,
      });
      return;
    }
    if (this.closedByUser) return;
    const socket = new Ctor(this.fullUrl);
    this.socket = socket;
    socket.onopen = () => this.opened(socket);
    socket.onmessage = (e) => this.received(e.data);
    socket.onerror = () => {
      // A 'close' event always follows; that is where the client decides.
    };
    socket.onclose = (e) => this.lost(socket, e.code, e.reason);
  }

  private opened(socket: WebSocketLike): void {
    if (socket !== this.socket) return;
    // On a reconnect the server knows nothing of this client: restore its subscriptions
    // before the queued emits go out. On the first open, subscribe() calls send their own.
    const restoring = this.everOpened;
    this.everOpened = true;
    this.attempts = 0;
    if (restoring && this.subscribed.size > 0) {
      socket.send(this.frame('subscribe', { events: [...this.subscribed] }, undefined));
      if (this.excluded.size > 0) {
        socket.send(this.frame('unsubscribe', { events: [...this.excluded] }, undefined));
      }
    }
    for (const queued of this.queue.splice(0)) socket.send(queued.frame);
    this.setState('open');
  }

  private lost(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.rejectPending(
      'DISCONNECTED',
      `the connection was lost (${code}${reason ? ` ${reason}` : ''})`,
    );
    const retry = this.reconnect !== undefined && !this.closedByUser && code !== POLICY_VIOLATION;
    if (!retry) {
      this.setState('closed', { code, reason, willReconnect: false });
      return;
    }
    const r = this.reconnect!;
    const base = Math.min(r.maxDelayMs, r.initialDelayMs * r.factor ** this.attempts);
    const delay = base * (1 - r.jitter * Math.random());
    this.attempts++;
    this.setState('reconnecting', { code, reason, willReconnect: true });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, delay);
  }

  private received(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let envelope: ServerEnvelope;
    try {
      envelope = JSON.parse(raw) as ServerEnvelope;
    } catch {
      return;
    }
    if (envelope.id !== undefined && (envelope.event === 'ack' || envelope.event === 'error')) {
      const pending = this.pending.get(envelope.id);
      if (pending) {
        this.pending.delete(envelope.id);
        clearTimeout(pending.timer);
        if (envelope.event === 'ack') pending.resolve(envelope.data);
        else {
          const e = envelope.data as ServerError;
          pending.reject(new RequestError(e.code, e.message, e.event ?? pending.event, e.details));
        }
        return;
      }
    }
    if (envelope.event === 'error') {
      for (const fn of this.errorListeners) fn(envelope.data as ServerError);
      return;
    }
    const set = this.listeners.get(envelope.event);
    if (set) for (const fn of set) fn(envelope.data, envelope);
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
    for (const fn of this.stateListeners) fn(state, info);
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
