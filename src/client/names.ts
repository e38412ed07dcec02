/**
 * The event names the client sends or receives on the protocol's behalf, and
 * its copy of the pattern matching it needs. The server's is in
 * src/protocol/names.ts; this copy keeps the served module free of imports,
 * and test/client/names.test.ts pins the two together.
 */

/** The client's subscribe request. */
export const SUBSCRIBE = 'subscribe';
/** The client's unsubscribe request. */
export const UNSUBSCRIBE = 'unsubscribe';
/** The server's answer to a request with an id. */
export const ACK = 'ack';
/** The server's error envelope, answering a request or not. */
export const ERROR = 'error';
/** The first frame from a carom server, once its connect hooks have settled; the client is open then. */
export const WELCOME = 'carom.welcome';
/** The client's heartbeat; the server answers it with an `ack`. */
export const PING = 'carom.ping';
/** Sent by the server to every connection when a channel is declared at run time; data `{ name }`. */
export const CHANNEL_CREATED = 'carom.channel.created';
/** Sent by the server to every connection when a channel is removed at run time; data `{ name }`. */
export const CHANNEL_DELETED = 'carom.channel.deleted';

/** The pattern that matches every event. */
export const ALL = '*';

/** True for `*` and `prefix.*`. */
export function isPattern(name: string): boolean {
  return name === ALL || name.endsWith('.*');
}

/**
 * True when a pattern in `held` (`*`, or `prefix.*` for a prefix of `name`
 * that ends at a dot) covers `name`. Walks the dots of `name` once, looking up
 * each prefix, rather than testing every held pattern.
 */
export function coveredByPattern(name: string, held: ReadonlySet<string>): boolean {
  if (held.has(ALL)) return true;
  for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
    if (held.has(`${name.slice(0, dot + 1)}*`)) return true;
  }
  return false;
}
