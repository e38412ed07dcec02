/**
 * Frames in and out: the one encoder of what the client sends, and the
 * decoder that turns whatever the server sends into an envelope or a reason.
 */
import type { WireEnvelope, WireId } from '../protocol/wire.js';

/** The default `maxPayload`: 1 MiB. */
export const MIB = 1024 * 1024;
/** How much of a bad frame a `BAD_FRAME` report quotes. */
const PREVIEW = 120;

/** True for a plain object (not null, not an array): what the client reads fields of. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A bad frame as a report quotes it: the start of a text, or the type of anything else. */
export function preview(raw: unknown): string {
  return typeof raw === 'string' ? raw.slice(0, PREVIEW) : typeof raw;
}

/**
 * An envelope, or why the frame is not one. Never throws: everything a server
 * sends is untrusted, and listeners may rely on `event` being a string.
 */
export function decodeFrame(raw: unknown, maxPayload = MIB): WireEnvelope | string {
  if (typeof raw !== 'string') return 'a binary frame';
  if (raw.length > maxPayload) return `a frame of ${raw.length} characters, over maxPayload`;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'a frame that is not JSON';
  }
  if (!isObject(value)) return 'a frame that is not a JSON object';
  if (typeof value.event !== 'string') return 'an envelope without a string event';
  const id = value.id;
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
    return 'an envelope whose id is neither a string nor a number';
  }
  return value as unknown as WireEnvelope;
}

/**
 * The text of one envelope, stamped now; `undefined` data is sent as `{}`.
 * `key` marks an envelope the client may send again, for the server to handle
 * once. Throws what `JSON.stringify` throws for data it cannot encode.
 */
export function encodeFrame(event: string, data: unknown, id?: WireId, key?: string): string {
  const envelope: Record<string, unknown> = {
    event,
    data: data === undefined ? {} : data,
    timestamp: new Date().toISOString(),
  };
  if (id !== undefined) envelope.id = id;
  if (key !== undefined) envelope.key = key;
  return JSON.stringify(envelope);
}

/** The data of a frame this client encoded (an emit it is about to drop). */
export function dataOfFrame(frame: string): unknown {
  return (JSON.parse(frame) as { data: unknown }).data;
}
