import type { Frame } from '../protocol/frame.js';
import type { AskOptions } from './asks.js';
import type { WireRecovery } from '../protocol/wire.js';
import type { HistorySubscribeOptions } from './history-subscribe.js';
import type { OutboundQueue } from './outbound-queue.js';
import type { Replay } from './replay.js';
import type { Peer, PeerListener } from './seam.js';
import type { Connection, ConnectionControl } from './connection.js';
import type { InboundQueue } from './inbound-queue.js';
import type { Names } from './name-set.js';
import type { TokenBucket } from './rate-limiter.js';
import type { Watermarked, Watermarks } from './stale-filter.js';
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
  /** What server code asks of the connection (see {@link ConnectionControl}), for this session. */
  subscribeFor(session: Session, names: readonly string[]): void;
  unsubscribeFor(session: Session, names: readonly string[]): void;
  subscribeWithHistoryFor(
    session: Session,
    name: string,
    options: HistorySubscribeOptions,
  ): Promise<WireRecovery | undefined>;
  subscriptionsOf(session: Session): SubscriptionList;
  sendTo(session: Session, event: string, data: unknown): boolean;
  askOf(
    session: Session,
    event: string,
    data: unknown,
    options: AskOptions | undefined,
  ): Promise<unknown>;
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
export class Session implements Subscriber, Watermarked, PeerListener, ConnectionControl {
  exact: Names | undefined = undefined;
  patterns: Set<string> | undefined = undefined;
  excluded: Set<string> | undefined = undefined;
  watermarks: Watermarks | undefined = undefined;
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

  // The session is its connection's control, rather than one more object per connection.

  /** Server code subscribes the connection. */
  subscribe(names: readonly string[]): void {
    this.host.subscribeFor(this, names);
  }

  /** Server code subscribes the connection to one event and replays its history (see `Connection`). */
  subscribeWithHistory(
    name: string,
    options: HistorySubscribeOptions,
  ): Promise<WireRecovery | undefined> {
    return this.host.subscribeWithHistoryFor(this, name, options);
  }

  /** Server code unsubscribes the connection. */
  unsubscribe(names: readonly string[]): void {
    this.host.unsubscribeFor(this, names);
  }

  /** A copy of the connection's subscriptions; after close, those it held when it closed. */
  subscriptions(): string[] {
    return [...this.subscriptionList().events];
  }

  /** A copy of the connection's exclusions; after close, those it held when it closed. */
  exclusions(): string[] {
    return [...(this.subscriptionList().excluded ?? [])];
  }

  /** Sends one event to this connection alone; false when it is closed. */
  send(event: string, data: unknown): boolean {
    return this.host.sendTo(this, event, data);
  }

  /** Asks the client a question (see `Connection.ask`). */
  ask(event: string, data: unknown, options: AskOptions | undefined): Promise<unknown> {
    return this.host.askOf(this, event, data, options);
  }

  /** True until the connection closes. */
  isOpen(): boolean {
    return this.open;
  }

  /** Whether `host` runs this session: tells this app's connections from another app's. */
  isOf(host: SessionHost): boolean {
    return this.host === host;
  }

  private subscriptionList(): SubscriptionList {
    return this.open ? this.host.subscriptionsOf(this) : this.finalSubscriptions;
  }
}
