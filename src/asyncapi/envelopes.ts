import { ErrorCode } from '../protocol/errors.js';
import type { JsonSchema } from './schemas.js';

/**
 * The wire's shapes as JSON Schemas: the fields every envelope has, the
 * reserved events' data, and the error codes with what each means. They
 * follow docs/PROTOCOL.md.
 */

/** What each error code means, for the error envelope's schema. */
export const ERROR_CODE_MEANINGS: { readonly [C in ErrorCode]: string } = {
  BAD_JSON: 'the frame is not JSON, or is binary',
  BAD_ENVELOPE:
    'not an object; a bad event, id or timestamp; a timestamp too far ahead; data nested too deep; a refused key; bad subscribe data',
  UNKNOWN_EVENT: 'no handler for the event; subscribe to undeclared names',
  VALIDATION_FAILED:
    "the payload failed the handler's schema, or holds more values than the server validates; details lists the failed properties",
  STALE: 'dropped as stale, and the envelope had an id',
  FORBIDDEN: 'the application refused the subscription or the message',
  RATE_LIMITED:
    'the connection sends faster than its limit, or too many of its envelopes are waiting',
  HANDLER_ERROR:
    'the handler failed; the message is generic unless the application marked it as safe to show',
  LIMIT_EXCEEDED: 'a per-connection or per-server limit would be passed (subscriptions, channels)',
  UNAVAILABLE:
    'the server is shutting down and did not take the envelope; send it again after reconnecting',
  HANDLER_TIMEOUT:
    "the handler did not finish within the server's time limit; it may still have done its work, and its result is not sent",
};

/** A request's `id`, echoed by its one reply. */
export const ID: JsonSchema = {
  description: 'asks for exactly one reply (an ack or an error), which echoes it',
  oneOf: [
    { type: 'string', maxLength: 64 },
    { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
  ],
};

/** A key for a request or emit handled once (clients of the `carom` subprotocol). */
export const KEY: JsonSchema = {
  description:
    'carom subprotocol only: the same key on a resent request or emit makes it a repeat, handled once per identity within the window; a repeat gets the first answer',
  type: 'string',
  minLength: 16,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
};

/** A client's timestamp: ISO 8601, with or without an offset, or epoch milliseconds. */
export const CLIENT_TIMESTAMP: JsonSchema = {
  description:
    "when the client sent it, for staleness: ISO 8601 (without an offset, the server's local time) or epoch milliseconds; missing means never stale",
  oneOf: [{ type: 'string' }, { type: 'number' }],
};

/** The server's timestamp. */
export const SERVER_TIMESTAMP: JsonSchema = {
  type: 'string',
  description: 'ISO 8601 UTC with Z, or the offset-less local form when the server is set so',
};

/** The envelope a client sends for `event`, with `data` its payload's schema. */
export function clientEnvelope(event: JsonSchema, data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['event'],
    properties: { event, data, id: ID, timestamp: CLIENT_TIMESTAMP, key: KEY },
  };
}

/** Where a message stands in its event's history. */
const POSITION: JsonSchema = {
  type: 'object',
  required: ['epoch', 'offset'],
  properties: {
    epoch: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: "the history's identity; a new one means what came before is gone",
    },
    offset: {
      type: 'integer',
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'grows by one per publish of the event',
    },
  },
};

/** An event's recovery, as a subscribe ack reports it. */
const RECOVERY: JsonSchema = {
  type: 'object',
  required: ['recovered', 'epoch', 'offset', 'replayed'],
  properties: {
    recovered: {
      type: 'boolean',
      description: 'true when everything after the position asked for was delivered',
    },
    epoch: { type: 'string', description: 'where the history stands now' },
    offset: { type: 'integer', minimum: 0 },
    replayed: { type: 'integer', minimum: 0, description: 'messages replayed before the ack' },
    reason: {
      enum: ['GAP', 'EPOCH', 'NO_HISTORY', 'NOT_SUBSCRIBED', 'UNAVAILABLE'],
      description: 'why it was not recovered, or why there is nothing to recover',
    },
  },
};

/** An envelope the server sends: a published event, or with `id` a reply. */
export function serverEnvelope(event: JsonSchema, data: JsonSchema, reply = false): JsonSchema {
  const properties: JsonSchema = { event, data, timestamp: SERVER_TIMESTAMP };
  if (reply) properties['id'] = ID;
  else {
    properties['position'] = {
      ...POSITION,
      description:
        'carom subprotocol only, for events the server keeps a history of: where this message stands in it (a client resumes from the last one it saw)',
    };
  }
  return {
    type: 'object',
    required: reply ? ['event', 'data', 'timestamp', 'id'] : ['event', 'data', 'timestamp'],
    properties,
  };
}

/** `subscribe` and `unsubscribe`'s data. */
export function subscriptionRequest(maxLength: number, maxItems: number): JsonSchema {
  return {
    type: 'object',
    required: ['events'],
    properties: {
      events: {
        type: 'array',
        minItems: 1,
        maxItems,
        description: 'exact names, `*` (every event) or `prefix.*` (every name under the prefix)',
        items: { type: 'string', minLength: 1, maxLength },
      },
      resume: {
        type: 'object',
        maxProperties: maxItems,
        additionalProperties: POSITION,
        description:
          'subscribe only, carom subprotocol and an id: per exact event name, the last position seen; the server replays what its history holds after it, then goes live, and reports each in the ack',
      },
      recent: {
        type: 'integer',
        minimum: 0,
        description:
          "subscribe only, carom subprotocol and an id: the newest messages of each exact name's history to replay first",
      },
    },
  };
}

/** The ack of `subscribe` and `unsubscribe`: the connection's subscriptions after the change. */
export const SUBSCRIPTION_ACK: JsonSchema = {
  type: 'object',
  required: ['events'],
  properties: {
    events: { type: 'array', items: { type: 'string' } },
    excluded: {
      type: 'array',
      items: { type: 'string' },
      description: 'exact names carved out of the patterns, when there are some',
    },
    recovery: {
      type: 'object',
      additionalProperties: RECOVERY,
      description: 'per event, when the subscribe asked to resume or for recent messages',
    },
  },
};

/** The error envelope's data. */
export const ERROR_DATA: JsonSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: {
      description: 'what went wrong; a client treats a code it does not know as an error',
      oneOf: Object.entries(ERROR_CODE_MEANINGS).map(([code, meaning]) => ({
        const: code,
        description: meaning,
      })),
    },
    message: { type: 'string', description: 'what to fix, for people' },
    appCode: {
      type: 'string',
      pattern: '^[A-Z][A-Z0-9_]{0,63}$',
      description: "the application's own code (BID_TOO_LOW), when a handler refused with one",
    },
    event: { type: 'string', description: 'the event of the envelope refused, when it was read' },
    details: {
      description:
        'more about the failure: the failed properties for VALIDATION_FAILED, the refused names (`rejected`) for a subscription',
    },
  },
};

/** `carom.channel.created` and `carom.channel.deleted`'s data. */
export const CHANNEL_NOTICE: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' } },
};

/** `carom.welcome`'s data. */
export const WELCOME: JsonSchema = {
  type: 'object',
  required: ['connection'],
  properties: { connection: { type: 'string', description: "the connection's id" } },
};

/** `carom.presence`'s data: a join or a leave. */
export const PRESENCE_NOTICE: JsonSchema = {
  type: 'object',
  required: ['topic'],
  properties: {
    topic: { type: 'string' },
    joined: {
      type: 'object',
      required: ['connectionId', 'node'],
      properties: { connectionId: { type: 'string' }, node: { type: 'string' }, user: {} },
    },
    left: {
      type: 'object',
      required: ['connectionId', 'node'],
      properties: { connectionId: { type: 'string' }, node: { type: 'string' } },
    },
  },
};
