import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '../protocol/errors.js';
import type { Frame } from '../protocol/frame.js';
import { pathOf } from './handshake.js';
import type { Peer, PeerAcceptor, PeerListener } from './peer.js';
import type { AllowedOrigins, ClientAddress } from '../core/options.js';
import type { CaromLogger } from '../core/logger.js';

/** Options of the `ws` transport. */
export interface WsTransportOptions {
  /** The URL path WebSocket upgrades are accepted on. */
  readonly path: string;
  /** Ping interval; a connection that misses a pong for a whole interval is terminated. 0 turns it off. */
  readonly heartbeatMs: number;
  /** Bytes a socket may have waiting to be written before it is closed as too slow; 0 is no limit. */
  readonly maxBufferedBytes: number;
  /** Open sockets in all; a handshake past it is answered 503. */
  readonly maxConnections: number;
  /** Open sockets from one client address; a handshake past it is answered 429. */
  readonly maxConnectionsPerAddress: number;
  /** Reads the client's address from the request; default: the socket's peer address. */
  readonly clientAddress: ClientAddress | undefined;
  /** Browser origins allowed; default: the `Origin` must match the `Host` header. */
  readonly allowedOrigins: AllowedOrigins | undefined;
  /** Bound on a handshake, `authenticate` included; past it the request is answered 503. */
  readonly handshakeTimeoutMs: number;
  /** Where refused handshakes are logged. */
  readonly logger: CaromLogger;
}

interface NetSocketLike {
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
}

/** Send options for every frame: text, made once rather than per send. */
const TEXT_FRAME = { binary: false } as const;

/**
 * A `ws` socket as a Peer. Writes made within one event-loop turn are corked
 * together, so a burst of frames to one socket leaves in one system call.
 */
class WsPeer implements Peer {
  alive = true;
  /** The core's listener, once the connection is accepted. */
  listener: PeerListener | undefined;
  private corked = false;
  private readonly net: NetSocketLike | undefined;
  private readonly uncork = (): void => {
    this.corked = false;
    this.net?.uncork();
  };

  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string | undefined,
    private readonly maxBuffered: number,
  ) {
    // `ws` keeps the net.Socket here; it is not in its types.
    this.net = (socket as unknown as { _socket?: NetSocketLike })._socket;
  }

  send(frame: Frame): void {
    if (this.socket.readyState !== 1) return;
    if (!this.corked && this.net) {
      // Checked once a turn, before this turn's burst: what is still waiting now is what
      // earlier turns could not get out, which is what a slow reader leaves behind.
      if (this.maxBuffered > 0 && this.net.writableLength > this.maxBuffered) {
        this.tooSlow();
        return;
      }
      this.corked = true;
      this.net.cork();
      process.nextTick(this.uncork);
    }
    this.socket.send(frame.bytes, TEXT_FRAME);
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === 0 || this.socket.readyState === 1) {
      this.socket.close(code, fitCloseReason(reason));
    }
  }

  /**
   * A client that does not read makes every frame sent to it wait in memory.
   * Past the limit the connection is closed (1013, try again later) and leaves
   * the app at once, rather than growing without bound; `ws` destroys the
   * socket if the close handshake never completes.
   */
  private tooSlow(): void {
    this.close(CloseCode.TRY_AGAIN_LATER, 'too slow: the send buffer is full');
    this.listener?.onClose(CloseCode.TRY_AGAIN_LATER);
  }
}

const MAX_REASON_BYTES = 123;

/**
 * A close reason that fits a close frame (123 bytes of UTF-8), cut at a
 * character boundary: `ws` throws on a longer one, and a reason may carry
 * text the application did not bound.
 */
export function fitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= MAX_REASON_BYTES) return reason;
  let out = '';
  let bytes = 0;
  for (const ch of reason) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > MAX_REASON_BYTES) break;
    out += ch;
    bytes += size;
  }
  return out;
}

/**
 * The WebSocket transport over `ws`. It listens to an HTTP server's upgrades on
 * one path, authenticates each handshake before the socket exists, and hands
 * admitted sockets to the core. Upgrades on other paths are left to other
 * listeners (or refused with 404 when there are none).
 */
export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<WsPeer>();
  private heartbeat: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private closed = false;
  /** Handshakes waiting for `authenticate`; shutdown waits for them too. */
  private handshakes = 0;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.upgrade(request, socket, head);
  };

  constructor(
    private readonly acceptor: PeerAcceptor,
    private readonly options: WsTransportOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: acceptor.maxPayload,
      clientTracking: false,
      perMessageDeflate: false,
    });
  }

  /** Starts accepting upgrades from `server`. */
  attach(server: Server): void {
    if (this.server) throw new Error('this app is already attached to a server');
    this.server = server;
    server.on('upgrade', this.onUpgrade);
    if (this.options.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /** Stops accepting upgrades; a handshake still in progress is answered 503. Open sockets stay. */
  stopAccepting(): void {
    this.closed = true;
  }

  /** Stops accepting upgrades and closes every socket with `code`. */
  close(code: number, reason: string): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.server?.off('upgrade', this.onUpgrade);
    this.server = undefined;
    this.closed = true;
    for (const peer of this.peers) peer.close(code, reason);
  }

  /** Resolves when every socket has finished closing. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.peers.size > 0 || this.handshakes > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const peer of this.peers) peer.socket.terminate();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (pathOf(request.url) !== this.options.path) {
      if (this.server && this.server.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      return;
    }
    this.handshakes++;
    try {
      const admission = await this.acceptor.admit(request);
      if (socket.destroyed) return;
      if (this.closed) {
        // The app shut down while `authenticate` ran: nobody is admitted any more.
        socket.end(
          'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        if (!admission.ok) {
          ws.close(CloseCode.POLICY_VIOLATION, fitCloseReason(admission.reason));
          return;
        }
        this.connect(ws, request, admission.user);
      });
    } catch {
      // `admit` never throws; this is `ws` refusing a malformed handshake or socket.
      socket.destroy();
    } finally {
      this.handshakes--;
    }
  }

  private connect(ws: WebSocket, request: IncomingMessage, user: unknown): void {
    const peer = new WsPeer(ws, request.socket.remoteAddress, this.options.maxBufferedBytes);
    this.peers.add(peer);
    const listener: PeerListener = this.acceptor.accept(peer, user);
    peer.listener = listener;
    ws.on('message', (data, isBinary) => {
      if (isBinary) listener.onBinary();
      else listener.onText(data.toString());
    });
    ws.on('pong', () => {
      peer.alive = true;
    });
    ws.on('error', () => {
      // `ws` closes the socket after an error (1009 for an oversize frame); 'close' follows.
    });
    ws.on('close', (code) => {
      this.peers.delete(peer);
      listener.onClose(code);
    });
  }

  private beat(): void {
    for (const peer of this.peers) {
      if (!peer.alive) {
        peer.socket.terminate();
        continue;
      }
      peer.alive = false;
      peer.socket.ping();
    }
  }
}
