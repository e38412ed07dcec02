// The wire's vocabulary of failure: the codes of `error` envelopes and the close
// codes carom uses. Only values that travel; the error classes the application
// sees live in core/errors.ts, so that this layer stays pure data.

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
  HANDLER_TIMEOUT: 'HANDLER_TIMEOUT',
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
