/**
 * Event names and subscription patterns: what is reserved, what is a pattern,
 * and which patterns cover a name.
 */

/** Events of the protocol itself; an application may not declare them. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'subscribe',
  'unsubscribe',
  'ack',
  'error',
]);

/** The prefix of every event the framework sends on its own behalf. */
export const FRAMEWORK_PREFIX = 'carom.';

/** Sent to every connection when a channel is declared at run time. */
export const CHANNEL_CREATED = 'carom.channel.created';
/** Sent to every connection when a channel is removed at run time. */
export const CHANNEL_DELETED = 'carom.channel.deleted';

/** The pattern that matches every event. */
export const ALL = '*';

/** True for names an application may not declare. */
export function isReserved(name: string): boolean {
  return RESERVED_EVENTS.has(name) || name.startsWith(FRAMEWORK_PREFIX);
}

/** True for `*` and `prefix.*`. */
export function isPattern(name: string): boolean {
  return name === ALL || name.endsWith('.*');
}

/**
 * Checks a subscription name: an exact name without `*`, `*`, or `prefix.*`
 * with a non-empty prefix free of `*`. Returns a reason when it is malformed.
 */
export function patternProblem(name: string): string | undefined {
  if (name === ALL) return undefined;
  const star = name.indexOf('*');
  if (star === -1) return undefined;
  if (star !== name.length - 1 || !name.endsWith('.*') || name.length < 3) {
    return `"${name}": "*" may only stand alone or end a pattern as "prefix.*"`;
  }
  return undefined;
}

/** The prefix a pattern matches, `room.` for `room.*`; `''` for `*`. */
export function patternPrefix(pattern: string): string {
  return pattern === ALL ? '' : pattern.slice(0, -1);
}

/** The first frame a carom client gets, once its connect hooks have settled. */
export const WELCOME = 'carom.welcome';

/** A client's heartbeat; the server answers it with an `ack`. */
export const PING = 'carom.ping';
