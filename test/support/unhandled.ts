/**
 * Collects the unhandled rejections of a stretch of test code, for tests whose
 * claim is that there are none (the strict runner would fail the whole file;
 * this names the test and shows the reasons).
 */

/** Runs `fn`, lets a few more turns pass, and returns every unhandled rejection seen meanwhile. */
export async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const on = (reason: unknown): number => seen.push(reason);
  process.on('unhandledRejection', on);
  try {
    await fn();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', on);
  }
  return seen;
}
