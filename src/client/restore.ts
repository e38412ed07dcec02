/**
 * The application's restore hook (`onRestore`): run after a reconnect's
 * resubscribe and before the queued emits, bounded in time, and never allowed
 * to throw into the client.
 */
import { ClientErrorCode } from './codes.js';
import { messageOf, type ServerError } from './errors.js';

/**
 * Runs `hook(client)` and waits for it at most `timeoutMs`. Resolves with the
 * report of its failure (`RESTORE_FAILED`), or `undefined` when it settled
 * well; never rejects.
 */
export async function runHook<C>(
  hook: (client: C) => unknown,
  client: C,
  timeoutMs: number,
): Promise<ServerError | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<ServerError>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          code: ClientErrorCode.RESTORE_FAILED,
          message: `the onRestore hook did not settle within ${timeoutMs} ms; sending the queue`,
        }),
      timeoutMs,
    );
  });
  const ran = Promise.resolve()
    .then(() => hook(client))
    .then(
      () => undefined,
      (err: unknown): ServerError => ({
        code: ClientErrorCode.RESTORE_FAILED,
        message: `the onRestore hook failed: ${messageOf(err)}; sending the queue`,
        details: err,
      }),
    );
  try {
    return await Promise.race([ran, expired]);
  } finally {
    clearTimeout(timer);
  }
}
