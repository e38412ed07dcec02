import type { Frame } from '../protocol/frame.js';
import type { OutboundQueue } from './outbound-queue.js';
import type { Replay } from './replay.js';
import type { Peer, PeerListener } from './seam.js';
import type { Connection } from './connection.js';
import type { InboundQueue } from './inbound-queue.js';
import type { TokenBucket } from './rate-limiter.js';
import type { Watermarked } from './stale-filter.js';
import type { SubscriptionList } from './subscription-requests.js';
import type { Subscriber } from './subscriptions.js';

const NOTHING: SubscriptionList = Object.freeze({ events: [] as string[] });

/**
 * What a session hands its traffic and its close to: the app's `Sessions`,
 * which passes frames on to the dispatcher and runs the close logic.
 */
export interface SessionHost {
  receiveText(session: Session, text: string): void;
  receiveBinary(session: Session): void;
  closed(session: Session, code: number): void;
}

/**
 * The app's private state for one connection: its socket, its subscriptions,
 * watermarks and the queue that keeps its envelopes in order. Handlers see the
 * public `Connection` instead.
 *
 * Each field has one module that writes it; the others only read it:
 *
 * - `exact`, `patterns`, `excluded`, `mark`: `Subscriptions` (subscriptions.ts).
 * - `watermarks`: `StaleFilter` (stale-filter.ts); `Sessions` drops them at close.
 * - `inbound`, `tokens`: set once by `Dispatcher.attach`; what they hold is
 *   changed only by `InboundQueue` (inbound-queue.ts) and `RateLimiter` (rate-limiter.ts).
 * - `connection`, `finalSubscriptions`: `Sessions` (sessions.ts).
 * - `open`: this class, when the connection closes.
 * - `outbound`: `Backlog` (backlog.ts) makes it; this class empties it when the socket drains.
 * - `replay`: `Recovery` (recovery.ts), while a `subscribe` replays history to the connection.
 *
 * Optional fields stay `undefined` until first needed, as most connections
 * hold few subscriptions and no watermark. They are declared, not added later,
 * so that every session has the same shape.
 */
export class Session implements Subscriber, Watermarked, PeerListener {
  exact: Set<string> | undefined = undefined;
  patterns: Set<string> | undefined = undefined;
  excluded: Set<string> | undefined = undefined;
  watermarks: Map<string, number> | undefined = undefined;
  mark = 0;
  /** Envelopes waiting for their turn or being handled, and the gate of the connect hooks. */
  inbound!: InboundQueue<Session>;
  /** The rate limit's bucket; undefined when the limit is off. */
  tokens: TokenBucket | undefined = undefined;
  open = true;
  connection!: Connection;
  /** What the connection was subscribed to when it closed, for disconnect hooks. */
  finalSubscriptions: SubscriptionList = NOTHING;
  /** Messages of `latest` events waiting for the socket to drain; undefined when none are. */
  outbound: OutboundQueue | undefined = undefined;
  /** Live messages held back while history is replayed to this connection; undefined when none is. */
  replay: Replay | undefined = undefined;

  constructor(
    readonly peer: Peer,
    private readonly host: SessionHost,
  ) {}

  /** Writes a frame unless the connection has closed. */
  write(frame: Frame): boolean {
    if (!this.open) return false;
    this.peer.send(frame);
    return true;
  }

  onText(text: string): void {
    this.host.receiveText(this, text);
  }

  onBinary(): void {
    this.host.receiveBinary(this);
  }

  /** The socket drained: what waited for it goes out, newest values in the order of their last update. */
  onDrain(): void {
    this.replay?.drained();
    const queue = this.outbound;
    if (queue === undefined) return;
    this.outbound = undefined;
    if (this.open) queue.flush(this.peer, this.peer.protocol === 'carom');
  }

  /**
   * Closes the connection from the server's side: the socket first, then the
   * app's state for it, once. The transport's own report of the close (at once,
   * or when the close handshake ends) then finds the session closed.
   */
  close(code: number, reason: string): void {
    if (!this.open) return;
    this.peer.close(code, reason);
    this.onClose(code);
  }

  /** The transport's report that the socket closed; the close logic runs once, whoever came first. */
  onClose(code: number): void {
    if (!this.open) return;
    this.open = false;
    this.replay?.end();
    this.host.closed(this, code);
  }
}
