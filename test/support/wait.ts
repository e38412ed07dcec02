/**
 * Bounded waits for tests: every wait ends, and a wait that ends without its
 * result fails the test with what it was waiting for. Nothing here asserts how
 * long something took.
 */

/** How long any wait lasts before the test fails, in real milliseconds. */
export const WAIT_MS = 5000;

/** Rejects with `what` when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once `condition()` holds; fails after `ms`. Checks on setImmediate
 * for the first turns (enough for anything in-process, so in-process tests do
 * not sit out a poll interval), then every 5 ms for sockets and timers.
 */
export async function eventually(
  condition: () => boolean,
  what: string,
  ms = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (let turn = 0; !condition(); turn++) {
    if (Date.now() > deadline) throw new Error(`${what}: still false after ${ms} ms`);
    await new Promise<void>((resolve) => {
      if (turn < 200) setImmediate(resolve);
      else setTimeout(resolve, 5);
    });
  }
}
