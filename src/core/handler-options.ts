import { appError } from './errors.js';
import { isInterceptorList, type Interceptor } from './interceptors.js';
import type { HandlerMetadata } from './metadata.js';
import { isTimeout, MAX_TIMER_MS, type MessageGuard } from './options.js';

/** The checked `guard`, `interceptors` and `timeoutMs` of one `@On`. */
export interface HandlerOptions {
  readonly guard: MessageGuard | undefined;
  readonly interceptors: readonly Interceptor[];
  readonly timeoutMs: number | undefined;
}

/**
 * Reads the per-handler options of an `@On`, when the app is built: a value
 * that cannot work is a `CAROM_ERR_BAD_OPTION` naming the handler.
 */
export function handlerOptions(meta: HandlerMetadata, name: string): HandlerOptions {
  const { guard, interceptors, timeoutMs } = meta.options;
  const where = (option: string): string => `${option} of @On('${meta.event}') on ${name}`;
  if (guard !== undefined && typeof guard !== 'function') {
    throw appError(
      'CAROM_ERR_BAD_OPTION',
      where('guard'),
      "a function of the envelope's context",
      guard,
    );
  }
  if (interceptors !== undefined && !isInterceptorList(interceptors)) {
    throw appError(
      'CAROM_ERR_BAD_OPTION',
      where('interceptors'),
      'an array of functions',
      interceptors,
    );
  }
  if (timeoutMs !== undefined && !isTimeout(timeoutMs)) {
    throw appError(
      'CAROM_ERR_BAD_OPTION',
      where('timeoutMs'),
      `0 (none) or a whole number of milliseconds up to ${MAX_TIMER_MS}`,
      timeoutMs,
    );
  }
  return { guard, interceptors: interceptors ?? [], timeoutMs };
}
