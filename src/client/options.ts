/** The options of `connect`, and their defaults. */
import type { ReconnectOptions } from './backoff.js';
import type { CaromClient } from './client.js';
import { MIB } from './frame.js';
import type { WebSocketConstructor } from './socket.js';
import type { TokenPlace, TokenSource } from './token.js';

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
  readonly tokenIn?: TokenPlace;
  /**
   * Reconnect after an unexpected close. Default on, with exponential backoff
   * and jitter; `false` turns it off; `{ backoff }` gives your own policy.
   */
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
  /**
   * Events whose requests and emits are retried across a reconnect, as if each
   * call said `{ retry: true }` (a call's own `retry` wins).
   */
  readonly retry?: readonly string[];
  /**
   * Events whose history position the client remembers, at most; past it, the
   * event heard of longest ago is forgotten and cannot be resumed. Keep it at
   * most the server's `maxSubscriptions` (1000 by default), which bounds a resume. Default 1000.
   */
  readonly maxPositions?: number;
  /**
   * Run after a reconnect, once the subscriptions are restored (and their
   * missed messages replayed), before the emits queued while away and the
   * retried requests go out: rejoin rooms here. What it sends goes at once.
   * Bounded by `restoreTimeoutMs`; a failure is reported to `onError` as
   * `RESTORE_FAILED`, then the queue goes out anyway.
   */
  readonly onRestore?: (client: CaromClient<any>) => unknown;
  /** Longest wait for `onRestore`. Default 10 000 ms. */
  readonly restoreTimeoutMs?: number;
}

/** Options of one `request`. */
export interface RequestOptions {
  /** This request's timeout; default `requestTimeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * Kept (its timeout still running) when the connection drops, and sent again
   * after the reconnect with the same key, so a carom server handles it once.
   * Default: true for the events of the `retry` option.
   */
  readonly retry?: boolean;
}

/** Options of one `emit`. */
export interface EmitOptions {
  /**
   * Sent with a key and an id, so the server acknowledges it: kept until then,
   * and sent again after a reconnect, handled once. Its errors go to `onError`.
   * Default: true for the events of the `retry` option.
   */
  readonly retry?: boolean;
}

/** Options of one `subscribe`. */
export interface SubscribeOptions {
  /**
   * Also deliver each named event's newest `recent` messages from its history
   * (capped by the history's size), before the ack. Default 0.
   */
  readonly recent?: number;
}

/** The options with their defaults filled in; `reconnect` is `undefined` when off. */
export interface ClientSettings {
  readonly token: TokenSource | undefined;
  readonly tokenIn: TokenPlace;
  readonly reconnect: ReconnectOptions | undefined;
  readonly maxQueue: number;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxPayload: number;
  readonly heartbeatMs: number;
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly retry: ReadonlySet<string>;
  readonly maxPositions: number;
  readonly onRestore: ((client: CaromClient<any>) => unknown) | undefined;
  readonly restoreTimeoutMs: number;
}

/** Fills in the defaults. */
export function settingsOf(options: ClientOptions): ClientSettings {
  const reconnect = options.reconnect ?? true;
  return {
    token: options.token,
    tokenIn: options.tokenIn ?? 'protocol',
    reconnect: reconnect === false ? undefined : reconnect === true ? {} : reconnect,
    maxQueue: options.maxQueue ?? 100,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    maxPayload: options.maxPayload ?? MIB,
    heartbeatMs: options.heartbeatMs ?? 0,
    WebSocket: options.WebSocket,
    retry: new Set(options.retry),
    maxPositions: options.maxPositions ?? 1000,
    onRestore: options.onRestore,
    restoreTimeoutMs: options.restoreTimeoutMs ?? 10_000,
  };
}
