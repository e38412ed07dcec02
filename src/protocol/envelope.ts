import { CaromError, ErrorCode } from './errors.js';
import { readTimestamp } from './timestamp.js';

/** A request id: a string of at most 64 characters or a safe integer. */
export type EnvelopeId = string | number;

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
}

/** A frame that could not be turned into an envelope, with what is known of it for the reply. */
export interface Rejection {
  readonly error: CaromError;
  readonly id: EnvelopeId | undefined;
  readonly event: string | undefined;
}

/** Limits the decoder enforces. */
export interface DecodeLimits {
  /** Longest accepted event name, in characters. */
  readonly maxEventLength: number;
}

const MAX_ID_LENGTH = 64;
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Type guard for a decoder's failure. */
export function isRejection(value: InboundEnvelope | Rejection): value is Rejection {
  return (value as Rejection).error !== undefined;
}

function reject(
  code: ErrorCode,
  message: string,
  id?: EnvelopeId,
  event?: string,
  details?: unknown,
): Rejection {
  return { error: new CaromError(code, message, details), id, event };
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || (c >= 127 && c < 160)) return true;
  }
  return false;
}

/** Returns the path of the first key that could reach a prototype, or undefined. */
function findForbiddenKey(value: unknown, path: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findForbiddenKey(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.includes(key)) return `${path}.${key}`;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

function readId(raw: unknown): EnvelopeId | undefined | null {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.length <= MAX_ID_LENGTH ? raw : null;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  return null;
}

/**
 * Turns one text frame into an envelope, or says precisely why it cannot.
 * Payload keys that could reach an object's prototype are refused here, once,
 * so no layer above has to think about them.
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
  const data = raw.data === undefined ? {} : raw.data;
  // A cheap scan of the text keeps the deep walk off the common path. A key can only
  // hide from it behind a JSON escape, so any escape takes the long way.
  if (
    text.includes('__proto__') ||
    text.includes('constructor') ||
    text.includes('prototype') ||
    text.includes('\\u')
  ) {
    const path = findForbiddenKey(data, 'data');
    if (path) {
      return reject(ErrorCode.BAD_ENVELOPE, `key ${path} is not allowed in a payload`, id, event);
    }
  }
  return { event, data, timestamp, id };
}

/** Serializes a value for the wire; `undefined` becomes `null`. Throws on cycles and BigInt. */
export function toJson(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** Builds a published envelope from parts already serialized. */
export function encodeEvent(eventJson: string, dataJson: string, timestamp: string): string {
  return `{"event":${eventJson},"data":${dataJson},"timestamp":"${timestamp}"}`;
}

/** Builds an `ack` reply. */
export function encodeAck(id: EnvelopeId, dataJson: string, timestamp: string): string {
  const idJson = typeof id === 'number' ? String(id) : JSON.stringify(id);
  return `{"event":"ack","id":${idJson},"data":${dataJson},"timestamp":"${timestamp}"}`;
}

/** Builds an `error` envelope for a request (with its id and event when known). */
export function encodeError(
  error: CaromError,
  id: EnvelopeId | undefined,
  event: string | undefined,
  timestamp: string,
): string {
  const data: Record<string, unknown> = { code: error.code, message: error.message };
  if (event !== undefined) data.event = event;
  if (error.details !== undefined) data.details = error.details;
  const idPart = id === undefined ? '' : `,"id":${JSON.stringify(id)}`;
  return `{"event":"error","data":${JSON.stringify(data)}${idPart},"timestamp":"${timestamp}"}`;
}
