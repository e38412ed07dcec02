/**
 * The event names the client sends or receives on the protocol's behalf, and
 * the pattern matching it needs: the protocol's own, from src/protocol/names.ts
 * (a module that imports nothing, which the bundle of `/carom/client.js` takes
 * in whole), so the client and the server cannot drift apart.
 */
export {
  ACK,
  ALL,
  CHANNEL_CREATED,
  CHANNEL_DELETED,
  ERROR,
  isPattern,
  patternPrefix,
  PING,
  PRESENCE,
  someDotPrefix,
  SUBSCRIBE,
  UNSUBSCRIBE,
  WELCOME,
} from '../protocol/names.js';
import { patternsCover } from '../protocol/names.js';

/** True when a pattern in `held` (`*`, or `prefix.*` for a dot prefix of `name`) covers `name`. */
export function coveredByPattern(name: string, held: ReadonlySet<string>): boolean {
  return patternsCover(held, name);
}
