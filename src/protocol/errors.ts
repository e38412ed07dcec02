// The wire's vocabulary of failure: the codes of `error` envelopes and the close
// codes carom uses. Only values that travel; the error classes the application
// sees live in core/errors.ts, so that this layer stays pure data.

/**
 * Every error code of the wire protocol, in one place. Each code names what went
 * wrong from the client's point of view; the `message` sent with it says what to fix.
 */
export const ErrorCode = {
  /** The frame is not JSON, or is binary. */
  BAD_JSON: 'BAD_JSON',
  /** The JSON is not a well-formed envelope within the limits. */
  BAD_ENVELOPE: 'BAD_ENVELOPE',
  /** No handler takes the event, or a subscription names nothing declared. */
  UNKNOWN_EVENT: 'UNKNOWN_EVENT',
  /** The payload failed its DTO. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** Older than an envelope of the same event already handled. */
  STALE: 'STALE',
  /** The application refused it. */
  FORBIDDEN: 'FORBIDDEN',
  /** The connection sends too fast, or has too many envelopes waiting. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A handler failed. */
  HANDLER_ERROR: 'HANDLER_ERROR',
  /** A limit would be passed (subscriptions, channels). */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** The server is shutting down and did not take the envelope. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A handler (or its guard or validation) did not settle within its timeout. */
  HANDLER_TIMEOUT: 'HANDLER_TIMEOUT',
} as const;

/** One of the protocol's error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes carom uses (RFC 6455, section 7.4.1). */
export const CloseCode = {
  /** A close asked for by either side. */
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** Refused: authentication or a connect hook. */
  POLICY_VIOLATION: 1008,
  /** A frame over `maxPayload`. */
  MESSAGE_TOO_BIG: 1009,
  /** A connect hook failed. */
  INTERNAL_ERROR: 1011,
  /** The server drains for a restart: reconnect elsewhere. */
  SERVICE_RESTART: 1012,
  /** The client reads too slowly (`maxBufferedBytes`). */
  TRY_AGAIN_LATER: 1013,
} as const;
