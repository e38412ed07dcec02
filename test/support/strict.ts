/**
 * Loaded into every test process (`node --test --import`): an uncaught
 * exception or an unhandled rejection anywhere fails the run, even when a test
 * installed a listener of its own that would swallow it.
 */
function fail(kind: string, error: unknown): void {
  process.exitCode = 1;
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  process.stderr.write(`\n${kind} in a test process (the run fails): ${text}\n`);
}

process.on('uncaughtException', (error) => fail('uncaught exception', error));
process.on('unhandledRejection', (reason) => fail('unhandled rejection', reason));
