/**
 * Event names and subscription patterns: what is reserved, what is a pattern,
 * and which patterns cover a name.
 */

/** A client's request to subscribe. */
export const SUBSCRIBE = 'subscribe';
/** A client's request to unsubscribe. */
export const UNSUBSCRIBE = 'unsubscribe';
/** The server's answer to a request with an id. */
export const ACK = 'ack';
/** The server's error envelope, answering a request or not. */
export const ERROR = 'error';

/** Events of the protocol itself; an application may not declare them. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([SUBSCRIBE, UNSUBSCRIBE, ACK, ERROR]);

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
 * Checks the shape of a subscription name: an exact name without `*`, `*`, or
 * `prefix.*` with a non-empty prefix free of `*`. Returns a reason when it is
 * malformed. It looks at the whole name: check the length first
 * ({@link subscriptionNameProblem} does).
 */
export function patternProblem(name: string): string | undefined {
  if (name === ALL) return undefined;
  const star = name.indexOf('*');
  if (star === -1) return undefined;
  if (star !== name.length - 1 || !name.endsWith('.*') || name.length < 3) {
    return `"${quoteName(name)}": "*" may only stand alone or end a pattern as "prefix.*"`;
  }
  return undefined;
}

/**
 * True when a name holds a control character: C0 (below 32), DEL or C1 (127 to
 * 159). Event names and subscription names follow the same rule, so a name
 * can never carry a line break or a terminal escape into a log.
 */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isControl(s.charCodeAt(i))) return true;
  return false;
}

function isControl(c: number): boolean {
  return c < 32 || (c >= 127 && c < 160);
}

/** Longest piece of a client's name or key quoted back in a message. */
const QUOTED_LENGTH = 40;

/**
 * A client's name or key as a message or a log line shows it: at most 40
 * characters (then `…`), never half of a surrogate pair, and control characters
 * written as `\uXXXX`.
 */
export function quoteName(text: string): string {
  let cut = text;
  if (text.length > QUOTED_LENGTH) {
    let end = QUOTED_LENGTH;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    cut = `${text.slice(0, end)}…`;
  }
  if (!hasControlCharacter(cut)) return cut;
  let out = '';
  for (let i = 0; i < cut.length; i++) {
    const c = cut.charCodeAt(i);
    out += isControl(c) ? `\\u${c.toString(16).padStart(4, '0')}` : cut[i];
  }
  return out;
}

/** `a number`, `an array`, `null`: what a value is, without showing it. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

/**
 * Checks one name of a client's `subscribe` or `unsubscribe`, cheapest test
 * first and the length before anything walks the name: a string, non-empty, at
 * most `maxLength` characters (the `maxEventLength` event names obey), free of
 * control characters ({@link hasControlCharacter}), and shaped as
 * {@link patternProblem} wants. Returns the reason when it is refused; the
 * reason quotes at most 40 characters of the name.
 */
export function subscriptionNameProblem(name: unknown, maxLength: number): string | undefined {
  if (typeof name !== 'string') return `a name must be a string, not ${kindOf(name)}`;
  if (name.length === 0) return 'a name must not be empty';
  if (name.length > maxLength) {
    return `"${quoteName(name)}" is longer than ${maxLength} characters`;
  }
  if (hasControlCharacter(name)) return `"${quoteName(name)}" contains a control character`;
  return patternProblem(name);
}

/**
 * Calls `test` with each dot prefix of `name`, shortest first (`a.` then `a.b.`
 * for `a.b.c`), until it returns true. This is the one walk behind every
 * "which patterns cover this name" question: subscriptions, topic families and
 * the recipient index all ask it here. `arg` is handed to `test` so that
 * callers pass a module-level function instead of making a closure per call.
 */
export function someDotPrefix<A>(
  name: string,
  test: (prefix: string, arg: A) => boolean,
  arg: A,
): boolean {
  for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
    if (test(name.slice(0, dot + 1), arg)) return true;
  }
  return false;
}

function holdsPatternOf(prefix: string, patterns: ReadonlySet<string>): boolean {
  return patterns.has(`${prefix}*`);
}

/**
 * True when a set of patterns (`*`, `prefix.*`) covers `name`: it holds `*`, or
 * `p.*` for some dot prefix `p.` of the name. Patterns themselves are names too:
 * `a.*` covers `a.b.*`.
 */
export function patternsCover(patterns: ReadonlySet<string> | undefined, name: string): boolean {
  if (patterns === undefined || patterns.size === 0) return false;
  if (patterns.has(ALL)) return true;
  return someDotPrefix(name, holdsPatternOf, patterns);
}

/** The prefix a pattern matches, `room.` for `room.*`; `''` for `*`. */
export function patternPrefix(pattern: string): string {
  return pattern === ALL ? '' : pattern.slice(0, -1);
}

/** The first frame a carom client gets, once its connect hooks have settled. */
export const WELCOME = 'carom.welcome';

/**
 * Sent to a topic's subscribers when a connection joins or leaves it, for
 * topics the app tracks presence on with notices.
 */
export const PRESENCE = 'carom.presence';

/** A client's heartbeat; the server answers it with an `ack`. */
export const PING = 'carom.ping';

/** A request the server makes of one client (`connection.ask`); only to `carom` subprotocol clients. */
export const ASK = 'carom.ask';

/** A client's answer to a `carom.ask`. */
export const ANSWER = 'carom.answer';
