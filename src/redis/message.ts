/**
 * What one node tells the others over Redis, as one string: a kind letter, the
 * origin node's id, a subject (an event, a connection id or a channel name)
 * with its length, and a body carried as it is. A relayed frame is the body:
 * the publishing node's text goes through untouched, never parsed on the way.
 *
 * `P<origin> <length> <event><frame text>`
 */
export const Kind = {
  PUBLISH: 'P',
  /** A publish with a scope (several topics, or all but one connection): {@link encodeScope}. */
  SCOPED: 'M',
  SEND: 's',
  SUBSCRIBE: '+',
  UNSUBSCRIBE: '-',
  CLOSE: 'x',
  CHANNEL_CREATED: 'C',
  CHANNEL_DELETED: 'D',
  /**
   * A publish of an event with a history, written by the history's script in
   * Redis: the body is `<epoch> <offset> <frame text>` ({@link decodeRecorded}),
   * and every node delivers it, the publishing one too.
   */
  RECORDED: 'R',
  /** A {@link Kind.RECORDED} publish with a scope: the subject is {@link encodeScope}'s. */
  RECORDED_SCOPED: 'Q',
  /**
   * Published by a history read behind the event's recorded messages: the
   * reading node, hearing its own, knows it has delivered what the read holds.
   */
  MARK: 'Y',
} as const;

/** One of the {@link Kind} letters. */
export type Kind = (typeof Kind)[keyof typeof Kind];

const KINDS: ReadonlySet<string> = new Set(Object.values(Kind));

/** A message as read back: `undefined` fields never occur, a malformed message is `undefined` as a whole. */
export interface Message {
  readonly kind: Kind;
  readonly origin: string;
  readonly subject: string;
  readonly body: string;
}

/** One message's text. `origin` never holds a space (node ids are checked when the broker is made). */
export function encodeMessage(kind: Kind, origin: string, subject: string, body: string): string {
  return `${kind}${origin} ${subject.length} ${subject}${body}`;
}

/**
 * Reads a message another node sent, or `undefined` when it is not one (another
 * program writing to the prefix's channels): it is then dropped and counted.
 */
export function decodeMessage(text: string): Message | undefined {
  const kind = text.charAt(0);
  if (!KINDS.has(kind)) return undefined;
  const originEnd = text.indexOf(' ', 1);
  if (originEnd < 2) return undefined;
  const lengthEnd = text.indexOf(' ', originEnd + 1);
  if (lengthEnd < 0 || lengthEnd - originEnd > 11) return undefined;
  const length = Number(text.slice(originEnd + 1, lengthEnd));
  const subjectEnd = lengthEnd + 1 + length;
  if (!Number.isInteger(length) || length < 0 || subjectEnd > text.length) return undefined;
  return {
    kind: kind as Kind,
    origin: text.slice(1, originEnd),
    subject: text.slice(lengthEnd + 1, subjectEnd),
    body: text.slice(subjectEnd),
  };
}

/**
 * The subject of a scoped publish: the event, the excepted connection id and
 * the topics, as a JSON array (`["news","b:c7","room.a","room.b"]`), so that
 * any name, whatever it holds, comes back as it went. No except is `""`, the
 * event's own topic alone an empty rest.
 */
export function encodeScope(
  event: string,
  except: string | undefined,
  topics: readonly string[] | undefined,
): string {
  return JSON.stringify([event, except ?? '', ...(topics ?? [])]);
}

/** What {@link encodeScope} wrote, or `undefined` when the subject is not one. */
export function decodeScope(
  subject: string,
): { event: string; except: string | undefined; topics: string[] | undefined } | undefined {
  let parts: unknown;
  try {
    parts = JSON.parse(subject);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts) || parts.length < 2) return undefined;
  if (!parts.every((p): p is string => typeof p === 'string')) return undefined;
  const [event, except, ...topics] = parts;
  if (event === '') return undefined;
  return {
    event: event!,
    except: except || undefined,
    topics: topics.length > 0 ? topics : undefined,
  };
}

/** The body of a {@link Kind.RECORDED} message, read back. */
export interface Recorded {
  readonly epoch: string;
  readonly offset: number;
  readonly text: string;
}

/** Reads `<epoch> <offset> <frame text>`, or `undefined` when the body is not that. */
export function decodeRecorded(body: string): Recorded | undefined {
  const epochEnd = body.indexOf(' ');
  if (epochEnd < 1 || epochEnd > 64) return undefined;
  const offsetEnd = body.indexOf(' ', epochEnd + 1);
  if (offsetEnd < 0 || offsetEnd - epochEnd > 17) return undefined;
  const offset = Number(body.slice(epochEnd + 1, offsetEnd));
  if (!Number.isSafeInteger(offset) || offset < 1) return undefined;
  return { epoch: body.slice(0, epochEnd), offset, text: body.slice(offsetEnd + 1) };
}
