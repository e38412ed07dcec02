/**
 * Every error code of the wire protocol, in one place. Each code names what went
 * wrong from the client's point of view; the `message` sent with it says what to fix.
 */
export const ErrorCode = {
  BAD_JSON: 'BAD_JSON',
  BAD_ENVELOPE: 'BAD_ENVELOPE',
  UNKNOWN_EVENT: 'UNKNOWN_EVENT',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  STALE: 'STALE',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  HANDLER_ERROR: 'HANDLER_ERROR',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;

/** One of the protocol's error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes carom uses (RFC 6455, section 7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
} as const;

/**
 * An error that becomes an `error` envelope. The core raises it for protocol
 * violations; application code may throw it from a handler or a hook, and then
 * its message and details are shown to the client as they are.
 */
export class CaromError extends Error {
  /** The protocol code sent in `data.code`. */
  readonly code: ErrorCode;
  /** Sent in `data.details` when present. */
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'CaromError';
    this.code = code;
    this.details = details;
  }
}

/**
 * Throw this from a handler to answer the client with your own message (code
 * `HANDLER_ERROR` unless you pick another). Any other error thrown by a handler
 * is answered with a generic message, so that internals never leak.
 */
export class ClientError extends CaromError {
  constructor(message: string, options: { code?: ErrorCode; details?: unknown } = {}) {
    super(options.code ?? ErrorCode.HANDLER_ERROR, message, options.details);
    this.name = 'ClientError';
  }
}

/**
 * Throw this (or return `false`) from `authenticate` to refuse a connection. The
 * message becomes the reason of the 1008 close frame, so keep it short.
 */
export class ConnectionRefused extends Error {
  constructor(reason = 'unauthorized') {
    super(reason);
    this.name = 'ConnectionRefused';
  }
}

/**
 * Thrown at start-up for a mistake in how the application is put together
 * (a decorator misused, a dependency that cannot be resolved, a bad option).
 */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}
