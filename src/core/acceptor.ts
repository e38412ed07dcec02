import { CloseCode } from '../protocol/errors.js';
import { authenticateHandshake } from './authentication.js';
import { appError } from './errors.js';
import type { Sessions } from './sessions.js';
import type { CaromLogger } from './logger.js';
import type { Authenticate } from './options.js';
import type { Admission, HandshakeRequest, Peer, PeerAcceptor, PeerListener } from './seam.js';

/** What a peer that arrives after shutdown talks to: nothing. */
const CLOSED_LISTENER: PeerListener = Object.freeze({
  onText: () => undefined,
  onBinary: () => undefined,
  onClose: () => undefined,
});

/** What an app's acceptor is made of. */
export interface AcceptorParts {
  readonly maxPayload: number;
  readonly authenticate: Authenticate | undefined;
  readonly logger: CaromLogger;
  readonly sessions: Sessions;
}

/**
 * One app as its transports see it: admits handshakes through `authenticate`
 * and opens a connection for each accepted peer. The app holds it privately and
 * hands it out only through `acceptorOf`, so `admit` and `accept` are no part
 * of `Carom`'s own surface.
 */
export class AppAcceptor implements PeerAcceptor {
  readonly maxPayload: number;
  private stopped = false;

  constructor(private readonly parts: AcceptorParts) {
    this.maxPayload = parts.maxPayload;
  }

  admit(request: HandshakeRequest): Promise<Admission> {
    return authenticateHandshake(this.parts.authenticate, request, this.parts.logger);
  }

  accept(peer: Peer, user: unknown): PeerListener {
    if (this.stopped) {
      peer.close(CloseCode.GOING_AWAY, 'server shutting down');
      return CLOSED_LISTENER;
    }
    return this.parts.sessions.open(peer, user);
  }

  /** The app is shutting down: every peer offered from now on is closed with 1001. */
  stop(): void {
    this.stopped = true;
  }
}

// Keyed by the app object, so nothing on the app itself (no field, no symbol
// in its declaration) leads to the seam: only `acceptorOf` does.
const acceptors = new WeakMap<object, PeerAcceptor>();

/** Records the acceptor of `app`; the app's constructor calls it once. */
export function registerAcceptor(app: object, acceptor: PeerAcceptor): void {
  acceptors.set(app, acceptor);
}

/** The acceptor recorded for `app`. Throws for an object that is not an app. */
export function registeredAcceptor(app: object): PeerAcceptor {
  const acceptor = acceptors.get(app);
  if (!acceptor) throw appError('CAROM_ERR_NOT_AN_APP', 'acceptorOf');
  return acceptor;
}
