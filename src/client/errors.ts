/**
 * The errors the client raises (`RequestError`) and reports (`ServerError`),
 * and how the server's `error` replies become them.
 */
import type { WireErrorData } from '../protocol/wire.js';
import { ClientErrorCode } from './codes.js';
import { isObject } from './frame.js';

/**
 * The data of an `error` envelope, or a problem the client reports itself
 * (codes `BAD_FRAME`, `LISTENER_ERROR`, `TOKEN_FAILED`, `BACKOFF_FAILED`).
 */
export type ServerError = WireErrorData;

/**
 * A request that failed: the server's `error` envelope (`code` is one of the
 * protocol's), or from the client itself `TIMEOUT`, `DISCONNECTED`, `CLOSED`,
 * `REFUSED` (the server closed with 1008; `details` holds `code` and `reason`)
 * or `BAD_REPLY` (the reply was not the shape the protocol gives it); see
 * {@link ClientErrorCode}.
 */
export class RequestError extends Error {
  /** The error's code: one of the protocol's, or the client's own (a timeout, a closed connection). */
  readonly code: string;
  /** The error envelope's `details`, when it had some. */
  readonly details: unknown;
  /** The event of the request refused, when the server named it. */
  readonly event: string | undefined;
  /**
   * The application's own code (`BID_TOO_LOW`) when the server's handler
   * refused with one; `code` is then the protocol's (`HANDLER_ERROR`). A
   * `HANDLER_ERROR` without it is a failure the application did not mean.
   */
  readonly appCode: string | undefined;

  constructor(code: string, message: string, event?: string, details?: unknown, appCode?: string) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
    this.event = event;
    this.details = details;
    this.appCode = appCode;
  }
}

/** A thrown value's message, even when the value is hostile (a Proxy, a throwing getter). */
export function messageOf(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return 'a value that cannot be printed';
  }
}

/** The error an `error` reply stands for; `BAD_REPLY` when its data is not an error object. */
export function replyError(data: unknown, event: string): RequestError {
  if (isObject(data) && typeof data.code === 'string') {
    const message = typeof data.message === 'string' ? data.message : data.code;
    return new RequestError(
      data.code,
      message,
      typeof data.event === 'string' ? data.event : event,
      data.details,
      typeof data.appCode === 'string' ? data.appCode : undefined,
    );
  }
  return new RequestError(
    ClientErrorCode.BAD_REPLY,
    `the server answered '${event}' with an error whose data is not an error object`,
    event,
    data,
  );
}

/** A request's `TIMEOUT`. */
export function timeoutError(event: string, timeoutMs: number): RequestError {
  return new RequestError(
    ClientErrorCode.TIMEOUT,
    `no reply to '${event}' within ${timeoutMs} ms`,
    event,
  );
}
