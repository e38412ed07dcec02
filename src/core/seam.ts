import type { Frame } from '../protocol/frame.js';
import type { Connection } from './connection.js';

/**
 * The transport seam, declared by the core and implemented by each transport
 * (the `ws` server, the testing kit's fake socket): it wraps each accepted
 * socket in a Peer and feeds what arrives to the PeerListener the core gives
 * back. Declaring it here keeps the arrow one-way: a transport imports the
 * core, the core never imports a transport (lint enforces it).
 */
export interface Peer {
  /** Writes one text frame. Must not throw when the socket is already closing. */
  send(frame: Frame): void;
  /** Closes the socket with a WebSocket close code and a short reason. */
  close(code: number, reason: string): void;
  /** The remote address, when the transport knows it. */
  readonly remoteAddress: string | undefined;
  /**
   * The WebSocket subprotocol agreed at the handshake: `carom` when the client is
   * carom's own (it then gets the protocol's extensions, such as `carom.welcome`),
   * `''` or absent for a plain client (a bounce-ws one, a bare browser WebSocket).
   */
  readonly protocol?: string | undefined;
  /**
   * The client instance id a `carom` client sent at the handshake (its
   * `carom.client.<id>` subprotocol entry): the same across its reconnects.
   * `undefined` for other clients.
   */
  readonly clientId?: string | undefined;
  /**
   * Bytes written to the peer that the socket has not yet handed to the kernel.
   * With {@link awaitDrain}, it lets the core conflate or skip messages of
   * `latest` and `drop` events for a connection that reads slowly. A transport
   * without it (or without `awaitDrain`) is never seen as backlogged.
   */
  readonly bufferedBytes?: number;
  /**
   * Asks for one `PeerListener.onDrain` call once what waits has been written
   * out (at once, on a later turn, when little waits now). Calls made before
   * that one arrives ask for the same call.
   */
  awaitDrain?(): void;
}

/** What the core does with a peer's traffic. */
export interface PeerListener {
  /**
   * The app's connection for this peer (its id, user, subscriptions), for a
   * transport's own logs and tests; `undefined` when the app turned the peer away.
   */
  readonly connection?: Connection | undefined;
  /** A text frame arrived. */
  onText(text: string): void;
  /** A binary frame arrived (the protocol answers it with `BAD_JSON`). */
  onBinary(): void;
  /**
   * The socket closed, for any reason, or the transport gave up on it (a slow
   * consumer). A transport calls it at most once per peer. When the core closed
   * the peer itself, the core has already run its close logic and the call
   * finds nothing left to do.
   */
  onClose(code: number): void;
  /** The socket drained, as asked by `Peer.awaitDrain`: the core writes what waited for it. */
  onDrain?(): void;
}

/** The minimum of an HTTP upgrade request that `authenticate` reads. */
export interface HandshakeRequest {
  /** The request's path and query string. */
  readonly url?: string | undefined;
  /** Its headers, names in lower case. */
  readonly headers: Record<string, string | string[] | undefined>;
  /** The socket it came on. */
  readonly socket?:
    | {
        /** The peer's address. */
        readonly remoteAddress?: string | undefined;
      }
    | undefined;
}

/** The outcome of authentication at the handshake. */
export type Admission =
  | {
      /** Accepted. */
      readonly ok: true;
      /** What `authenticate` returned: the connection's `user`. */
      readonly user: unknown;
    }
  | {
      /** Refused. */
      readonly ok: false;
      /** Why, for the 1008 close frame. */
      readonly reason: string;
    };

/** The core as a transport sees it. */
export interface PeerAcceptor {
  /** Largest frame accepted, in bytes; larger frames close the socket with 1009. */
  readonly maxPayload: number;
  /** Runs the application's `authenticate` for a handshake. Never throws. */
  admit(request: HandshakeRequest): Promise<Admission>;
  /** Starts a connection for an admitted peer. */
  accept(peer: Peer, user: unknown): PeerListener;
}
