import { ErrorCode } from './errors.js';
import { inspectPayload } from './json-limits.js';
import { hasControlCharacter } from './names.js';
import { readTimestamp } from './timestamp.js';
import type { WireId } from './wire.js';

/** A request id: a string of at most 64 characters or a safe integer. */
export type EnvelopeId = WireId;

/** An envelope received from a client, checked and with its timestamp parsed. */
export interface InboundEnvelope {
  /** The event name. */
  readonly event: string;
  /** The payload; `{}` when the client sent none. */
  readonly data: unknown;
  /** Epoch milliseconds, or `undefined` when the client sent no timestamp (never stale). */
  readonly timestamp: number | undefined;
  /** Present when the client asked for a reply. */
  readonly id: EnvelopeId | undefined;
  /**
   * The client's key for a request or emit that must be handled once (see
   * `isEnvelopeKey`); read only when the decoder is told to (`carom`
   * subprotocol connections), otherwise always `undefined`.
   */
  readonly key?: string | undefined;
}

/**
 * An error as an `error` envelope carries it. Plain data: the decoder returns
 * it, the core turns it into a `CaromError` when it replies, and `encodeError`
 * takes either.
 */
export interface ErrorReply {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: unknown;
  /** The application's own code (`BID_TOO_LOW`), already checked by the core. */
  readonly appCode?: string;
}

/** A frame that could not be turned into an envelope, with what is known of it for the reply. */
export interface Rejection {
  readonly error: ErrorReply;
  readonly id: EnvelopeId | undefined;
  readonly event: string | undefined;
}

/** Limits the decoder enforces. */
export interface DecodeLimits {
  /** Longest accepted event name, in characters. */
  readonly maxEventLength: number;
  /**
   * Deepest accepted nesting of arrays and objects in `data`: `data: 5` is depth
   * 0, `data: {}` and `data: []` depth 1, `data: {"a": [1]}` depth 2 (each
   * object or array is one more than its deepest member). The `{}` given for
   * a missing `data` is not measured.
   */
  readonly maxDepth: number;
  /**
   * Read the optional top-level `key` (carom's extension, for clients of the
   * `carom` subprotocol). Without it the field is ignored as any unknown one,
   * as bounce-ws ignores it.
   */
  readonly keys?: boolean;
}

const MAX_ID_LENGTH = 64;

/** Shortest `key` an envelope may carry. */
export const MIN_KEY_LENGTH = 16;
/** Longest `key` an envelope may carry. */
export const MAX_KEY_LENGTH = 64;

/**
 * True for a well-formed envelope `key`: 16 to 64 characters of
 * `[A-Za-z0-9_-]` (a random base64url string). A loop rather than a regex:
 * it runs for every keyed envelope.
 */
export function isEnvelopeKey(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const n = value.length;
  if (n < MIN_KEY_LENGTH || n > MAX_KEY_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) || // a-z
      (c >= 65 && c <= 90) || // A-Z
      (c >= 48 && c <= 57) || // 0-9
      c === 45 || // -
      c === 95; // _
    if (!ok) return false;
  }
  return true;
}

/** Type guard for a decoder's failure. */
export function isRejection(value: InboundEnvelope | Rejection): value is Rejection {
  return (value as Rejection).error !== undefined;
}

function reject(code: ErrorCode, message: string, id?: EnvelopeId, event?: string): Rejection {
  return { error: { code, message }, id, event };
}

function readId(raw: unknown): EnvelopeId | undefined | null {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.length <= MAX_ID_LENGTH ? raw : null;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  return null;
}

/**
 * Turns one text frame into an envelope, or says precisely why it cannot. Never
 * throws. Besides the fields' types, two rules on `data` are enforced here,
 * once, so no layer above has to think about them:
 *
 * - nesting deeper than `limits.maxDepth` is refused (`BAD_ENVELOPE`), so that
 *   no recursive code above (validation, a handler's own walk) meets a payload
 *   deep enough to overflow its stack;
 * - keys that could reach a prototype are refused (`BAD_ENVELOPE`, naming the
 *   path): `__proto__` and `constructor` with any value, and the other names
 *   of `Object.prototype`'s members when their value is an object or an
 *   array; `prototype` is accepted. See `isRefusedKey` in `json-limits.ts` for
 *   why.
 *
 * The walk that checks both is iterative, visits each value once and stops at
 * the first problem.
 */
export function decodeEnvelope(text: string, limits: DecodeLimits): InboundEnvelope | Rejection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return reject(ErrorCode.BAD_JSON, `frame is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return reject(ErrorCode.BAD_ENVELOPE, 'an envelope must be a JSON object');
  }
  const raw = parsed as Record<string, unknown>;
  const event = raw.event;
  const id = readId(raw.id);
  if (id === null) {
    // Name the event in the reply when it is itself good, so the client can tell which send failed.
    const named =
      typeof event === 'string' &&
      event.length > 0 &&
      event.length <= limits.maxEventLength &&
      !hasControlCharacter(event);
    return reject(
      ErrorCode.BAD_ENVELOPE,
      `"id" must be a string of at most ${MAX_ID_LENGTH} characters or a safe integer`,
      undefined,
      named ? event : undefined,
    );
  }
  if (typeof event !== 'string' || event.length === 0) {
    return reject(ErrorCode.BAD_ENVELOPE, '"event" must be a non-empty string', id);
  }
  if (event.length > limits.maxEventLength) {
    return reject(
      ErrorCode.BAD_ENVELOPE,
      `"event" is longer than ${limits.maxEventLength} characters`,
      id,
    );
  }
  if (hasControlCharacter(event)) {
    return reject(ErrorCode.BAD_ENVELOPE, '"event" must not contain control characters', id);
  }
  const timestamp = readTimestamp(raw.timestamp);
  if (timestamp !== undefined && Number.isNaN(timestamp)) {
    return reject(
      ErrorCode.BAD_ENVELOPE,
      '"timestamp" must be an ISO 8601 date-time or epoch milliseconds',
      id,
      event,
    );
  }
  let key: string | undefined;
  if (limits.keys === true && raw.key !== undefined) {
    if (!isEnvelopeKey(raw.key)) {
      return reject(
        ErrorCode.BAD_ENVELOPE,
        `"key" must be ${MIN_KEY_LENGTH} to ${MAX_KEY_LENGTH} characters of A-Z, a-z, 0-9, _ and -`,
        id,
        event,
      );
    }
    key = raw.key;
  }
  const data = raw.data === undefined ? {} : raw.data;
  // Checked by walking the parsed value rather than scanning the text first: for
  // typical frames the walk costs less than a scan (3-5 µs against ~7 µs on 900 B),
  // and one `\u` escape would force the walk anyway.
  if (raw.data !== null && typeof raw.data === 'object') {
    const problem = inspectPayload(data, limits.maxDepth, 'data');
    if (problem?.kind === 'depth') {
      return reject(
        ErrorCode.BAD_ENVELOPE,
        `"data" is nested deeper than ${limits.maxDepth} levels of arrays and objects (maxDepth)`,
        id,
        event,
      );
    }
    if (problem?.kind === 'key') {
      return reject(
        ErrorCode.BAD_ENVELOPE,
        `key ${problem.path} is not allowed in a payload: it could reach a prototype`,
        id,
        event,
      );
    }
  }
  // A field only when sent: an envelope without a key keeps the shape it always had.
  return key === undefined ? { event, data, timestamp, id } : { event, data, timestamp, id, key };
}

/**
 * Serializes a value for the wire; `undefined` becomes `null`. Never returns
 * anything but JSON text: a function, a symbol, or a value whose `toJSON()`
 * gives `undefined` throws a `TypeError`. Also throws, as `JSON.stringify`
 * does, on cycles, BigInt, and getters or `toJSON` methods that throw; callers
 * catch.
 */
export function toJson(value: unknown): string {
  if (value === undefined) return 'null';
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) {
    const what =
      typeof value === 'function' || typeof value === 'symbol'
        ? `a ${typeof value}`
        : 'a value whose toJSON() returns undefined';
    throw new TypeError(`the value is not JSON: ${what}`);
  }
  return json;
}

/** Builds a published envelope from parts already serialized. */
export function encodeEvent(eventJson: string, dataJson: string, timestamp: string): string {
  return `{"event":${eventJson},"data":${dataJson},"timestamp":"${timestamp}"}`;
}

/**
 * A published envelope's text with the `skipped` marker added: how many older
 * values of its event (and key) were replaced before it while the connection
 * was backlogged. Text that is not an object is returned as it is.
 */
export function withSkipped(envelopeText: string, skipped: number): string {
  if (!envelopeText.endsWith('}')) return envelopeText;
  return `${envelopeText.slice(0, -1)},"skipped":${skipped}}`;
}

/**
 * A published envelope's text with its place in the event's history, for
 * clients of the `carom` subprotocol: `,"position":{"epoch","offset"}` added
 * before the final `}`. Text that is not an object is returned as it is.
 */
export function withPosition(envelopeText: string, epoch: string, offset: number): string {
  if (!envelopeText.endsWith('}')) return envelopeText;
  return `${envelopeText.slice(0, -1)},"position":{"epoch":${JSON.stringify(epoch)},"offset":${offset}}}`;
}

/** Builds an `ack` reply. */
export function encodeAck(id: EnvelopeId, dataJson: string, timestamp: string): string {
  const idJson = typeof id === 'number' ? String(id) : JSON.stringify(id);
  return `{"event":"ack","id":${idJson},"data":${dataJson},"timestamp":"${timestamp}"}`;
}

/** Appended to the message of an error whose details could not be serialized. */
export const DETAILS_OMITTED = ' (details omitted: not JSON-serializable)';

/**
 * Builds an `error` envelope for a request (with its id and event when known).
 * Never throws and always returns valid JSON, whatever the error holds: `code`
 * and `message` are read and turned into strings inside a `try` (a hostile
 * subclass may define throwing getters), and `details` that cannot be
 * serialized (a cycle, a BigInt, a throwing getter, a function) are left out,
 * the message saying so.
 */
export function encodeError(
  error: ErrorReply,
  id: EnvelopeId | undefined,
  event: string | undefined,
  timestamp: string,
): string {
  return encodeErrorFromData(encodeErrorData(error, event), id, timestamp);
}

/**
 * The `data` of an `error` envelope, as JSON text: what {@link encodeError}
 * wraps, and what a request handled once remembers as its first answer.
 * Never throws (see {@link encodeError}).
 */
export function encodeErrorData(error: ErrorReply, event: string | undefined): string {
  let code: string;
  try {
    code = String(error.code);
  } catch {
    code = ErrorCode.HANDLER_ERROR;
  }
  let message: string;
  try {
    message = String(error.message);
  } catch {
    message = 'the handler failed';
  }
  let details = '';
  try {
    const value: unknown = error.details;
    if (value !== undefined) {
      const json = JSON.stringify(value) as string | undefined;
      if (json === undefined) message += DETAILS_OMITTED;
      else details = `,"details":${json}`;
    }
  } catch {
    message += DETAILS_OMITTED;
  }
  const eventPart = typeof event === 'string' ? `,"event":${JSON.stringify(event)}` : '';
  let appPart = '';
  try {
    const appCode: unknown = error.appCode;
    if (typeof appCode === 'string') appPart = `,"appCode":${JSON.stringify(appCode)}`;
  } catch {
    // A hostile getter: the error goes out without the application's code.
  }
  return `{"code":${JSON.stringify(code)},"message":${JSON.stringify(message)}${appPart}${eventPart}${details}}`;
}

/** Builds an `error` envelope around `data` already serialized by {@link encodeErrorData}. */
export function encodeErrorFromData(
  dataJson: string,
  id: EnvelopeId | undefined,
  timestamp: string,
): string {
  const idPart =
    typeof id === 'number' && Number.isFinite(id)
      ? `,"id":${id}`
      : typeof id === 'string'
        ? `,"id":${JSON.stringify(id)}`
        : '';
  return `{"event":"error","data":${dataJson}${idPart},"timestamp":${JSON.stringify(timestamp)}}`;
}
