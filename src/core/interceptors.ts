/**
 * Interceptors: functions that wrap a handler (timing, logging, tracing,
 * caching). They are composed with the handler once, when the app is built;
 * a handler with none is called directly, so it pays nothing for them.
 */
import type { Context } from './context.js';
import { appError } from './errors.js';
import { outcomeOf, whenSettled } from './guard.js';
import type { CaromLogger } from './logger.js';

/**
 * Wraps a handler. `next()` runs what is inside (the next interceptor, then the
 * handler) and resolves to its result or rejects with its failure; what the
 * interceptor returns (or resolves to) is the reply, so it may change it, or
 * answer without calling `next` at all (a cache). `handler` names the handler,
 * `Class.method`, for logs. `next()` works once, and only until the
 * interceptor's own result has settled; a second or late call rejects with a
 * `UsageError` and the handler does not run again.
 */
export type Interceptor = (ctx: Context, next: () => Promise<unknown>, handler: string) => unknown;

/** A handler as the dispatcher calls it. */
export type Invoke = (data: unknown, ctx: Context) => unknown;

const IDLE = 0;
const CALLED = 1;
const FINISHED = 2;

const ignore = (): void => undefined;

/** A real promise of whatever `value` is, however hostile; never throws. */
function promiseOf(value: unknown): Promise<unknown> {
  const outcome = outcomeOf(value);
  if (outcome.kind === 'value') return Promise.resolve(outcome.value);
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  if (outcome.kind === 'failed') return Promise.reject(outcome.error);
  return new Promise((ok, fail) => whenSettled(outcome.promise, ok, fail));
}

/** A rejection the interceptor may ignore without it reaching `unhandledRejection`. */
function handled(promise: Promise<unknown>): Promise<unknown> {
  promise.catch(ignore);
  return promise;
}

function nameOf(interceptor: Interceptor): string {
  return typeof interceptor.name === 'string' && interceptor.name !== ''
    ? interceptor.name
    : 'an anonymous interceptor';
}

/**
 * `invoke` wrapped by `interceptors`, the first outermost. Returns `invoke`
 * itself when there are none. Misuse of `next` is logged at `error`.
 */
export function intercept(
  invoke: Invoke,
  handler: string,
  interceptors: readonly Interceptor[],
  logger: CaromLogger,
): Invoke {
  if (interceptors.length === 0) return invoke;
  const names = interceptors.map(nameOf);
  const call = (i: number, data: unknown, ctx: Context): unknown => {
    if (i === interceptors.length) return invoke(data, ctx);
    let state = IDLE;
    const next = (): Promise<unknown> => {
      if (state !== IDLE) {
        const code = state === CALLED ? 'CAROM_ERR_NEXT_TWICE' : 'CAROM_ERR_NEXT_LATE';
        const error = appError(code, names[i]!, handler);
        logger.error(error.message);
        return handled(Promise.reject(error));
      }
      state = CALLED;
      let inner: unknown;
      try {
        inner = call(i + 1, data, ctx);
      } catch (err) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return handled(Promise.reject(err));
      }
      // Handled here so that an interceptor that never awaits next() cannot turn the
      // handler's failure into an unhandled rejection; it still rejects for one that does.
      return handled(promiseOf(inner));
    };
    let result: unknown;
    try {
      result = interceptors[i]!(ctx, next, handler);
    } catch (err) {
      state = FINISHED;
      throw err;
    }
    const outcome = outcomeOf(result);
    if (outcome.kind === 'value') {
      state = FINISHED;
      return outcome.value;
    }
    if (outcome.kind === 'failed') {
      state = FINISHED;
      throw outcome.error;
    }
    return new Promise((ok, fail) => {
      const finish =
        (pass: (value: unknown) => void) =>
        (value: unknown): void => {
          state = FINISHED;
          pass(value);
        };
      whenSettled(outcome.promise, finish(ok), finish(fail));
    });
  };
  return (data, ctx) => call(0, data, ctx);
}

/** True for a list of interceptors, as the options take it. */
export function isInterceptorList(value: unknown): value is readonly Interceptor[] {
  return Array.isArray(value) && value.every((f) => typeof f === 'function');
}
