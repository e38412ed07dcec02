import type { InboundEnvelope } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import type { Peer, PeerListener } from './seam.js';
import type { Connection } from './connection.js';
import type { Watermarked } from './stale-filter.js';
import type { SubscriptionList } from './subscription-requests.js';
import { NO_MARKS } from './stale-filter.js';
import { NO_NAMES, type Subscriber } from './subscriptions.js';

const NOTHING: SubscriptionList = Object.freeze({ events: [] as string[] });

/** What a session hands its traffic to: the app's dispatcher. */
export interface SessionHost {
  receiveText(session: Session, text: string): void;
  receiveBinary(session: Session): void;
  closed(session: Session, code: number): void;
}

/**
 * The app's private state for one connection: its socket, its subscriptions,
 * watermarks and the queue that keeps its envelopes in order. Handlers see the
 * public `Connection` instead.
 */
export class Session implements Subscriber, Watermarked, PeerListener {
  exact = NO_NAMES as Set<string>;
  patterns = NO_NAMES as Set<string>;
  excluded = NO_NAMES as Set<string>;
  watermarks = NO_MARKS as Map<string, number>;
  mark = 0;
  /** Envelopes waiting for their turn (arrival order). */
  readonly queue: InboundEnvelope[] = [];
  /** Envelopes being handled now. */
  inFlight = 0;
  /** False until the connect hooks have settled. */
  ready = false;
  /**
   * Set while the app drains this connection for shutdown: it takes no new
   * envelopes, and this is called once nothing is queued or in flight.
   */
  draining: (() => void) | undefined = undefined;
  open = true;
  /** Rate limiting: tokens left and when they were last refilled. */
  tokens = 0;
  refilledAt = 0;
  connection!: Connection;
  /** What the connection was subscribed to when it closed, for disconnect hooks. */
  finalTopics: SubscriptionList = NOTHING;

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
    this.host.closed(this, code);
  }
}
