/**
 * `carom/transport`: the seam between an app and the sockets it serves, for
 * writing a transport of your own (carom's `ws` server is one; the testing kit
 * another). The contract is in the README's "Writing a transport".
 */
import type { Carom } from '../app.js';
import { registeredAcceptor } from '../core/acceptor.js';
import type { PeerAcceptor } from '../core/seam.js';

export type {
  Peer,
  PeerListener,
  PeerAcceptor,
  HandshakeRequest,
  Admission,
} from '../core/seam.js';
export { Frame } from '../protocol/frame.js';
export {
  readToken,
  forwardedAddress,
  type TokenSources,
  type ForwardedOptions,
} from './handshake.js';
export { tokenProtocol, CAROM_PROTOCOL } from './subprotocol.js';
export { clientIdFromProtocols, CLIENT_PROTOCOL_PREFIX } from './subprotocol.js';

/**
 * The app as a transport sees it: `admit` runs its `authenticate` for a
 * handshake, `accept` opens a connection for an admitted peer and returns the
 * listener to feed that peer's traffic to. `app.start()` (or `listen`/`attach`)
 * starts the app's timed senders; a transport only needs this.
 */
export function acceptorOf(app: Carom<any>): PeerAcceptor {
  return registeredAcceptor(app);
}
