import { CloseCode as ProtocolCloseCode } from '../protocol/errors.js';

/**
 * The codes of the errors the client raises itself (a `RequestError`'s `code`,
 * or a report to `onError`), beside the server's protocol codes.
 */
export const ClientErrorCode = {
  /** No reply within the request's timeout (connecting counts toward it). */
  TIMEOUT: 'TIMEOUT',
  /** The connection was lost before the reply, or the request was made while not connected. */
  DISCONNECTED: 'DISCONNECTED',
  /** The client was closed, or closed for good. */
  CLOSED: 'CLOSED',
  /** The server closed with 1008: a refusal, never retried. */
  REFUSED: 'REFUSED',
  /** A reply that is not the shape the protocol gives it. */
  BAD_REPLY: 'BAD_REPLY',
  /** `onError`: the server sent a frame that is not an envelope; it was ignored. */
  BAD_FRAME: 'BAD_FRAME',
  /** `onError`: an `on`, `onState` or `onDrop` listener threw. */
  LISTENER_ERROR: 'LISTENER_ERROR',
  /** `onError`: the token function threw; the attempt failed. */
  TOKEN_FAILED: 'TOKEN_FAILED',
  /** `onError`: the `reconnect.backoff` policy threw or gave no usable delay. */
  BACKOFF_FAILED: 'BACKOFF_FAILED',
  /**
   * The server answered the WebSocket upgrade with an HTTP error that retrying
   * cannot change (404: wrong path; 403: origin not allowed); `details.status`
   * is the status. Only where the WebSocket shows the status (`ws`, in Node).
   * The client closes for good.
   */
  UPGRADE_REFUSED: 'UPGRADE_REFUSED',
  /**
   * `onError`: five attempts in a row ended before the socket opened (a server
   * that is down, or a wrong URL where the status is not visible, as in
   * browsers); `details.attempts` is the count. The client keeps retrying.
   */
  UNREACHABLE: 'UNREACHABLE',
  /**
   * `onError`, when no `onRecovery` listener is registered: after a reconnect,
   * some events' histories could not be resumed (`details` is the
   * `RecoveryReport`). Messages were missed; reload what they showed.
   */
  NOT_RECOVERED: 'NOT_RECOVERED',
  /**
   * `onError`: the `onRestore` hook threw, rejected or did not settle within
   * `restoreTimeoutMs` (`details` is what it threw); the queued emits went out anyway.
   */
  RESTORE_FAILED: 'RESTORE_FAILED',
} as const;

/** One of {@link ClientErrorCode}'s values. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * The WebSocket close codes the client acts on or sends: the protocol's table
 * (`CloseCode` of `carom`, the same values), and two of the client's own.
 */
export const CloseCode = {
  ...ProtocolCloseCode,
  /** No close frame: the connection was cut (reported by the WebSocket, never sent). */
  ABNORMAL: 1006,
  /** The client's own: the server did not answer in time (connect or heartbeat timeout). */
  CLIENT_TIMEOUT: 4000,
} as const;
