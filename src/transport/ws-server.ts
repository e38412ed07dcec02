import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CloseCode } from '../protocol/errors.js';
import { appError } from '../core/errors.js';
import type { Frame } from '../protocol/frame.js';
import { ConnectionCounts } from './admission.js';
import { pathOf } from './handshake.js';
import { guardLogger } from '../core/guard.js';
import { LogBudget, type BudgetLevel, type LogBudgetLimit } from './log-budget.js';
import { describeError, quote } from './log-text.js';
import { OriginPolicy } from './origins.js';
import { PendingHandshake } from './pending-handshake.js';
import { abortHandshake, HANDSHAKE_REFUSALS, type HandshakeRefusal } from './refusal.js';
import { CAROM_PROTOCOL, clientIdFromProtocols, selectProtocol } from './subprotocol.js';
import { TurnCorks, type TurnCorked } from './turn-corks.js';
import type { Admission, Peer, PeerAcceptor, PeerListener } from '../core/seam.js';
import type { AllowedOrigins, ClientAddress } from '../core/options.js';
import type { CaromLogger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';

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
  /** How many handshake lines are logged per period; default 10 a second. */
  readonly logBudget?: LogBudgetLimit;
  /** The clock the log budget reads; default real time. */
  readonly clock?: Clock;
}

interface NetSocketLike {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Send options for every frame: text, made once rather than per send. */
const TEXT_FRAME = { binary: false } as const;

/**
 * What a peer reads of `ws`'s sender (not in its types): `_state` is 0 when it
 * is not in the middle of a deflate or a Blob read (and so holds no queue).
 */
interface WsSenderLike {
  readonly _state?: unknown;
}

/** `ws`'s sender state when nothing is in progress. */
const SENDER_IDLE = 0;

/**
 * A `ws` socket as a Peer. Writes made within one event-loop turn are corked
 * together, so a burst of frames to one socket leaves in one system call.
 * A frame goes out pre-framed ({@link Frame.wire}, built once per publish and
 * shared by every recipient) straight to the net socket when no extension was
 * negotiated and `ws`'s sender is idle; otherwise through `socket.send`, which
 * frames it for this socket and keeps the order behind what `ws` holds back.
 */
class WsPeer implements Peer, TurnCorked {
  alive = true;
  /** The client instance id of a `carom` client (`carom.client.` entry), set before it is accepted. */
  clientId: string | undefined = undefined;
  /** The core's listener, once the connection is accepted. */
  listener: PeerListener | undefined;
  private closeReported = false;
  private corked = false;
  private readonly net: NetSocketLike | undefined;
  /** `ws`'s sender when frames may bypass it (no extension negotiated); else undefined. */
  private readonly sender: WsSenderLike | undefined;
  private drainAwaited = false;
  private readonly drained = (): void => {
    this.drainAwaited = false;
    this.listener?.onDrain?.();
  };

  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string | undefined,
    readonly protocol: string,
    private readonly maxBuffered: number,
    private readonly cut: SlowConsumerCount,
    private readonly corks: TurnCorks,
  ) {
    // `ws` keeps the net.Socket here; it is not in its types.
    this.net = (socket as unknown as { _socket?: NetSocketLike })._socket;
    // Extensions are settled in the handshake: permessage-deflate (RSV1, compressed payloads)
    // would make the shared uncompressed frame wrong for this socket.
    this.sender =
      this.net !== undefined && socket.extensions === ''
        ? (socket as unknown as { _sender?: WsSenderLike })._sender
        : undefined;
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
      this.corks.add(this);
    }
    const sender = this.sender;
    // An idle sender would write this frame to the socket at once, so writing it here
    // keeps the order: `ws` queues only while busy and empties its queue before it
    // reports idle again. A busy one (or a `ws` without the field) gets the frame
    // through `send`, which queues it behind what it holds.
    if (sender !== undefined && sender._state === SENDER_IDLE) {
      const wire = frame.wire;
      const net = this.net!;
      for (let i = 0; i < wire.length; i++) net.write(wire[i]!);
    } else {
      this.socket.send(frame.bytes, TEXT_FRAME);
    }
  }

  /** The turn that corked the socket is over. */
  endTurn(): void {
    this.corked = false;
    this.net?.uncork();
  }

  get bufferedBytes(): number {
    return this.net ? this.net.writableLength : this.socket.bufferedAmount;
  }

  awaitDrain(): void {
    if (this.drainAwaited || this.socket.readyState !== 1) return;
    this.drainAwaited = true;
    // 'drain' comes only after a write the socket could not take whole; below its
    // high-water mark there is nothing to wait for but the next turn.
    if (this.net?.writableNeedDrain === true) this.net.once('drain', this.drained);
    else setImmediate(this.drained);
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
    this.cut.slowConsumers++;
    this.close(CloseCode.TRY_AGAIN_LATER, 'too slow: the send buffer is full');
    this.reportClose(CloseCode.TRY_AGAIN_LATER);
  }

  /** Tells the core the socket is gone: once, at the slow-consumer cut or at 'close', whichever is first. */
  reportClose(code: number): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.listener?.onClose(code);
  }
}

/** Shared by a transport's peers: the one figure a peer writes for the transport. */
export interface SlowConsumerCount {
  /** Connections closed (1013) because they did not read what was sent to them. */
  slowConsumers: number;
}

const MAX_REASON_BYTES = 123;

/** Longest client address `clientAddress` may return; an IPv6 address with a zone fits well within. */
const MAX_ADDRESS_LENGTH = 256;

const ignore = (): void => undefined;

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
 * Refusals counted by reason; `invalid` is `ws` refusing a malformed handshake
 * (400, 405), `unauthorized` is `authenticate` refusing (a 1008 close).
 */
export type RefusalCounts = Record<HandshakeRefusal | 'invalid' | 'unauthorized', number>;

/**
 * The WebSocket transport over `ws`. It listens to an HTTP server's upgrades on
 * one path and answers each with an HTTP error or a WebSocket. Before any
 * WebSocket exists it checks, in order: the client address, the origin, the
 * connection limits, then `authenticate`, all within `handshakeTimeoutMs`;
 * a refusal is an HTTP status (or, from `authenticate`, a 1008 close), logged
 * with its reason and the address, within the log budget (see `LogBudget`).
 * Upgrades on other paths are left to other listeners (or refused with 404
 * when there are none).
 */
export class WsTransport {
  /** Refused handshakes so far, by reason. */
  readonly refusals: RefusalCounts = {
    notFound: 0,
    badAddress: 0,
    earlyData: 0,
    origin: 0,
    maxConnectionsPerAddress: 0,
    maxConnections: 0,
    timeout: 0,
    shuttingDown: 0,
    invalid: 0,
    unauthorized: 0,
  };
  /** Handshakes whose client hung up before they were answered. */
  hungUp = 0;
  /** Connections closed (1013) because they did not read what was sent to them. */
  readonly cut: SlowConsumerCount = { slowConsumers: 0 };
  /** Sockets corked this turn, uncorked together at its end. */
  private readonly corks = new TurnCorks();
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<WsPeer>();
  private readonly pending = new Set<PendingHandshake>();
  private readonly logger: CaromLogger;
  /** Handshake lines go through it: a client can cause them at will. */
  private readonly handshakeLog: LogBudget;
  private readonly counts: ConnectionCounts;
  private readonly origins: OriginPolicy;
  private heartbeat: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private closed = false;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.upgrade(request, socket, head);
  };

  constructor(
    private readonly acceptor: PeerAcceptor,
    private readonly options: WsTransportOptions,
  ) {
    // Guarded here too, for a transport built without an app: a logger that throws
    // must not stop a refusal.
    this.logger = guardLogger(options.logger);
    this.handshakeLog = new LogBudget(this.logger, options.logBudget, options.clock);
    this.counts = new ConnectionCounts(options.maxConnections, options.maxConnectionsPerAddress);
    this.origins = new OriginPolicy(options.allowedOrigins);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: acceptor.maxPayload,
      clientTracking: false,
      perMessageDeflate: false,
      handleProtocols: selectProtocol,
    });
  }

  /** Sockets held against `maxConnections`: open WebSockets and handshakes in progress. */
  get sockets(): number {
    return this.counts.open;
  }

  /** Bytes written to the open sockets and not yet sent, over all of them (read on demand). */
  bufferedBytes(): number {
    let bytes = 0;
    for (const peer of this.peers) bytes += peer.socket.bufferedAmount;
    return bytes;
  }

  /** Handshakes waiting for an answer (`authenticate` running). */
  get handshakes(): number {
    return this.pending.size;
  }

  /** Starts accepting upgrades from `server`. */
  attach(server: Server): void {
    if (this.server) throw appError('CAROM_ERR_ALREADY_ATTACHED');
    this.server = server;
    server.on('upgrade', this.onUpgrade);
    if (this.options.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /** Stops accepting upgrades and refuses pending handshakes with 503; open sockets stay. */
  stopAccepting(): void {
    this.closed = true;
    for (const handshake of [...this.pending]) handshake.abort('shuttingDown');
  }

  /** Stops accepting upgrades, refuses pending handshakes and closes every socket with `code`. */
  close(code: number, reason: string): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.server?.off('upgrade', this.onUpgrade);
    this.server = undefined;
    this.closed = true;
    for (const handshake of [...this.pending]) handshake.abort('shuttingDown');
    this.handshakeLog.close();
    for (const peer of this.peers) peer.close(code, reason);
  }

  /** Resolves when every socket has finished closing. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.peers.size > 0 || this.pending.size > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const peer of this.peers) peer.socket.terminate();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (pathOf(request.url) !== this.options.path) {
      if (this.server && this.server.listenerCount('upgrade') === 1) {
        this.refuse(socket, 'notFound', request.socket.remoteAddress, quote(request.url ?? ''));
      }
      return;
    }
    // Gone before it got here: nothing to answer, and its 'close' may have passed already.
    if (socket.destroyed) return;
    // Whatever happens to the socket from here on, an error is an event, never a crash.
    socket.on('error', ignore);
    if (this.closed) {
      this.refuse(socket, 'shuttingDown', request.socket.remoteAddress);
      return;
    }
    let address: string;
    try {
      address = this.addressOf(request);
    } catch (err) {
      this.refuse(
        socket,
        'badAddress',
        request.socket.remoteAddress,
        `clientAddress failed: ${describeError(err)}`,
      );
      return;
    }
    const originRefused = this.origins.check(request);
    if (originRefused !== undefined) {
      this.refuse(socket, 'origin', address, originRefused);
      return;
    }
    const release = this.counts.reserve(address);
    if (typeof release === 'string') {
      const limit =
        release === 'maxConnections'
          ? this.options.maxConnections
          : this.options.maxConnectionsPerAddress;
      this.refuse(socket, release, address, `${release} (${limit}) reached`);
      return;
    }
    // The place is held as long as the socket, WebSocket or not, is open.
    socket.once('close', release);
    const handshake = new PendingHandshake(socket, head, this.options.handshakeTimeoutMs, (why) => {
      this.pending.delete(handshake);
      if (why === 'hungUp') {
        this.hungUp++;
        this.handshakeLog.log('debug', `handshake from ${address}: the client hung up`);
        return;
      }
      const detail =
        why === 'timeout'
          ? `not done within handshakeTimeoutMs (${this.options.handshakeTimeoutMs} ms)`
          : undefined;
      this.refuse(socket, why, address, detail);
    });
    this.pending.add(handshake);
    this.acceptor
      .admit(request)
      .then(
        (admission) => this.admitted(handshake, request, address, admission),
        // `admit` never rejects; were it to, the client is refused as unauthorized.
        () => this.admitted(handshake, request, address, { ok: false, reason: 'unauthorized' }),
      )
      // Nothing in `admitted` should throw; if it did, no rejection may go unhandled.
      .catch(() => socket.destroy());
  }

  private admitted(
    handshake: PendingHandshake,
    request: IncomingMessage,
    address: string,
    admission: Admission,
  ): void {
    const head = handshake.take();
    // Timed out or hung up meanwhile: whatever `authenticate` said comes too late.
    if (head === undefined) return;
    this.pending.delete(handshake);
    const socket = handshake.socket;
    if (this.closed) {
      // The app shut down while `authenticate` ran: nobody is admitted any more.
      this.refuse(socket, 'shuttingDown', address);
      return;
    }
    let upgraded = false;
    try {
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        upgraded = true;
        if (!admission.ok) {
          this.refusals.unauthorized++;
          this.handshakeLog.log(
            'info',
            `handshake from ${address} refused by authenticate (1008): ${quote(admission.reason)}`,
          );
          ws.close(CloseCode.POLICY_VIOLATION, fitCloseReason(admission.reason));
          return;
        }
        this.connect(ws, address, admission.user, request);
      });
    } catch {
      socket.destroy();
    }
    if (!upgraded) {
      // `ws` answered 400 or 405 itself (bad key, version, method, subprotocol
      // header) and releases the socket once the answer is out.
      this.refusals.invalid++;
      this.handshakeLog.log(
        'info',
        `handshake from ${address} refused: not a valid WebSocket handshake`,
      );
    }
  }

  /** The client address the limits count: `clientAddress(request)`, else the socket's. */
  private addressOf(request: IncomingMessage): string {
    const read = this.options.clientAddress;
    const address = read ? read(request) : undefined;
    if (address === undefined) return request.socket.remoteAddress ?? 'unknown';
    if (typeof address !== 'string' || address === '' || address.length > MAX_ADDRESS_LENGTH) {
      throw appError(
        'CAROM_ERR_BAD_CLIENT_ADDRESS',
        typeof address === 'string' ? quote(address) : typeof address,
      );
    }
    return address;
  }

  /** Answers the request with its HTTP refusal, counts it and logs why. */
  private refuse(
    socket: Duplex,
    reason: HandshakeRefusal,
    address: string | undefined,
    detail?: string,
  ): void {
    const { status, text } = HANDSHAKE_REFUSALS[reason];
    abortHandshake(socket, status, text);
    this.refusals[reason]++;
    const line = `handshake from ${address ?? 'unknown'} refused (${status}): ${detail ?? text}`;
    // Capacity refusals are the server working as meant; the others may be attacks or bugs.
    const quiet =
      reason === 'maxConnections' || reason === 'maxConnectionsPerAddress' || reason === 'notFound';
    this.handshakeLog.log(quiet ? 'info' : 'warn', line);
  }

  /** Logs from inside socket events, where a throwing logger would crash the process. */
  private log(level: BudgetLevel, line: string): void {
    this.logger[level](line);
  }

  private connect(ws: WebSocket, address: string, user: unknown, request: IncomingMessage): void {
    const peer = new WsPeer(
      ws,
      address,
      ws.protocol,
      this.options.maxBufferedBytes,
      this.cut,
      this.corks,
    );
    if (ws.protocol === CAROM_PROTOCOL) {
      const offered = request.headers['sec-websocket-protocol'];
      peer.clientId = clientIdFromProtocols(typeof offered === 'string' ? offered : undefined);
    }
    let listener: PeerListener;
    try {
      listener = this.acceptor.accept(peer, user);
    } catch (err) {
      this.log('error', `connection from ${address} failed to start: ${describeError(err)}`);
      ws.terminate();
      return;
    }
    this.peers.add(peer);
    peer.listener = listener;
    ws.on('message', (data, isBinary) => {
      if (isBinary) listener.onBinary();
      else listener.onText(textOf(data));
    });
    ws.on('pong', () => {
      peer.alive = true;
    });
    ws.on('error', () => {
      // `ws` closes the socket after an error (1009 for an oversize frame); 'close' follows.
    });
    ws.on('close', (code) => {
      this.peers.delete(peer);
      peer.reportClose(code);
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

/**
 * A text frame's payload as a string. With `ws`'s default `binaryType` it is one
 * Buffer; the other shapes `ws` can hand over are read too, rather than
 * stringified as `[object ...]`.
 */
function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString();
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.from(data).toString();
}
