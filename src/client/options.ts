/** The options of `connect`, and their defaults. */
import type { ReconnectOptions } from './backoff.js';
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
  };
}
