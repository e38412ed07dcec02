/**
 * Reading values that application code hands back. A handler, hook or guard may
 * return or throw anything: a Proxy whose traps throw, an object whose getters
 * throw, a thenable whose `then` is a throwing getter. Everything the core asks
 * of such a value goes through here, so the asking itself can never throw.
 */
import type { ErrorReply } from '../protocol/envelope.js';
import { ErrorCode } from '../protocol/errors.js';
import { isAppCode } from './app-code.js';
import { CaromError } from './errors.js';
import type { CaromLogger } from './logger.js';

/** Error classes whose messages may be shown to clients. */
export type ErrorClass = abstract new (...args: any[]) => Error;

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));
// Held unbound on purpose: it is only ever called with `.call` on the value being settled,
// so that a thenable's own (possibly hostile) `then` is never the one that runs.
// eslint-disable-next-line @typescript-eslint/unbound-method
const nativeThen = Promise.prototype.then;

/** What a handler's result turned out to be. */
export type Outcome =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'async'; readonly promise: PromiseLike<unknown> }
  | { readonly kind: 'failed'; readonly error: unknown };

/**
 * Sorts a returned value into a plain value or something to wait for, without
 * trusting it: a `then` that throws when read is a failure, and a foreign
 * thenable is adopted by a real promise, which calls back at most once.
 */
export function outcomeOf(value: unknown): Outcome {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return { kind: 'value', value };
  }
  let then: unknown;
  try {
    then = (value as { then?: unknown }).then;
  } catch (error) {
    return { kind: 'failed', error };
  }
  if (typeof then !== 'function') return { kind: 'value', value };
  if (then === nativeThen) return { kind: 'async', promise: value as Promise<unknown> };
  const fn = then as (this: unknown, ok: (v: unknown) => void, fail: (e: unknown) => void) => void;
  // The executor's throw becomes a rejection: nothing escapes to the caller.
  return { kind: 'async', promise: new Promise((ok, fail) => fn.call(value, ok, fail)) };
}

/**
 * Waits for an `async` outcome. The callbacks run once, on a later turn; a
 * promise whose `then` misbehaves (a subclass with a throwing species) ends in
 * `failed` as well.
 */
export function whenSettled(
  promise: PromiseLike<unknown>,
  ok: (value: unknown) => void,
  failed: (error: unknown) => void,
): void {
  try {
    void nativeThen.call(promise, ok, failed);
  } catch (error) {
    queueMicrotask(() => failed(error));
  }
}

/** Answers "is `value` an instance of `cls`?" even for a Proxy whose traps throw. */
export function isInstance(value: unknown, cls: abstract new (...args: any[]) => unknown): boolean {
  try {
    return value instanceof cls;
  } catch {
    return false;
  }
}

/** Reads a string property, or `undefined` when it is missing, not a string, or its getter throws. */
export function readString(value: unknown, key: string): string | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return undefined;
  const v = readField(value, key);
  return typeof v === 'string' ? v : undefined;
}

/** Reads a property, or `undefined` when its getter (or a Proxy's trap) throws. */
export function readField(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * The error envelope a thrown value deserves. A `CaromError` (or `ClientError`)
 * keeps its code, message, details and application code, read defensively (an
 * application code of the wrong shape fails closed); an instance of an exposed class keeps its message; anything else is a generic `HANDLER_ERROR`
 * and `unexpected` is true, so the caller logs it.
 */
export function errorFor(
  err: unknown,
  exposeErrors: readonly ErrorClass[],
): { readonly error: ErrorReply; readonly unexpected: boolean } {
  if (isInstance(err, CaromError)) {
    const e = err as CaromError;
    const code = readString(e, 'code');
    const message = readString(e, 'message') ?? '';
    // An appCode is read as warily as the rest: one that is not a string of the
    // checked shape (a subclass may skip the constructor's check) fails closed.
    const appCode = readField(e, 'appCode');
    if (
      code !== undefined &&
      KNOWN_CODES.has(code) &&
      (appCode === undefined || isAppCode(appCode))
    ) {
      const details = readField(e, 'details');
      const error: ErrorReply =
        appCode === undefined
          ? new CaromError(code as ErrorCode, message, details)
          : { code: code as ErrorCode, message, details, appCode };
      return { error, unexpected: false };
    }
  } else if (exposeErrors.some((cls) => isInstance(err, cls))) {
    const message = readString(err, 'message');
    if (message !== undefined) {
      return { error: new CaromError(ErrorCode.HANDLER_ERROR, message), unexpected: false };
    }
  }
  return { error: new CaromError(ErrorCode.HANDLER_ERROR, 'the handler failed'), unexpected: true };
}

/** A short, safe description of a thrown value for a log line. */
export function describe(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return `${typeof err}: ${String(err)}`.slice(0, 200);
  } catch {
    return 'a value that cannot be described';
  }
}

/**
 * Wraps a logger so that logging never throws: a logger of the application's
 * may throw, and so may a formatter walking a hostile error. When the full line
 * cannot be written, a line with the error's safe description is tried instead.
 */
export function guardLogger(logger: CaromLogger): CaromLogger {
  const guarded = (level: keyof CaromLogger) =>
    function (...args: unknown[]): void {
      try {
        logger[level](...args);
      } catch {
        try {
          const [first, ...rest] = args;
          logger[level](String(first), ...rest.map(describe));
        } catch {
          // The logger itself is broken; there is nowhere left to say so.
        }
      }
    };
  return {
    debug: guarded('debug'),
    info: guarded('info'),
    warn: guarded('warn'),
    error: guarded('error'),
  };
}
