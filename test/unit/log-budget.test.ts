/**
 * What carom logs and how much: the budget that bounds lines a client can cause,
 * and `logLevel: 'silent'`, which prints nothing at all.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Carom, ConfigurationError, createLogger, type CaromLogger } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { LogBudget } from '../../src/transport/log-budget.js';

class Lines implements CaromLogger {
  readonly lines: string[] = [];
  debug(line: unknown) {
    this.lines.push(`debug ${String(line)}`);
  }
  info(line: unknown) {
    this.lines.push(`info ${String(line)}`);
  }
  warn(line: unknown) {
    this.lines.push(`warn ${String(line)}`);
  }
  error(line: unknown) {
    this.lines.push(`error ${String(line)}`);
  }
}

describe('LogBudget', () => {
  it('writes the first lines of a period, counts the rest and reports them when it ends', async () => {
    const clock = new FakeClock();
    const log = new Lines();
    const budget = new LogBudget(log, { lines: 3, perMs: 1000 }, clock);
    for (let i = 1; i <= 7; i++) budget.log('info', `line ${i}`);
    assert.deepEqual(log.lines, ['info line 1', 'info line 2', 'info line 3']);
    assert.equal(clock.pendingTimers, 1, 'one report armed for the period, not one per line');

    await clock.advance(999);
    assert.equal(log.lines.length, 3);
    await clock.advance(1);
    assert.deepEqual(log.lines.slice(3), [
      'warn 4 more handshake lines were not logged (at most 3 per 1000 ms)',
    ]);

    // A new period: its budget is whole again.
    budget.log('warn', 'line 8');
    assert.equal(log.lines.at(-1), 'warn line 8');
    assert.equal(clock.pendingTimers, 0);
  });

  it('reports nothing when nothing was dropped, and one line in the singular', async () => {
    const clock = new FakeClock();
    const log = new Lines();
    const budget = new LogBudget(log, { lines: 1, perMs: 100 }, clock);
    budget.log('debug', 'a');
    await clock.advance(500);
    assert.deepEqual(log.lines, ['debug a']);
    budget.log('debug', 'b');
    budget.log('debug', 'c');
    await clock.advance(100);
    assert.deepEqual(log.lines, [
      'debug a',
      'debug b',
      'warn 1 more handshake line was not logged (at most 1 per 100 ms)',
    ]);
  });

  it('close reports what was dropped at once and leaves no timer', () => {
    const clock = new FakeClock();
    const log = new Lines();
    const budget = new LogBudget(log, { lines: 1, perMs: 1000 }, clock);
    budget.log('info', 'a');
    budget.log('info', 'b');
    budget.log('info', 'c');
    budget.close();
    assert.equal(clock.pendingTimers, 0);
    assert.deepEqual(log.lines, [
      'info a',
      'warn 2 more handshake lines were not logged (at most 1 per 1000 ms)',
    ]);
  });
});

const run = promisify(execFile);
const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));

/**
 * Builds an app in a child process, at `level`, with a handler whose payload has
 * no DTO (which warns at start-up), and returns everything the process printed.
 */
async function printedAt(level: string): Promise<string> {
  const script = `
    import { Carom } from ${JSON.stringify(index)};
    class Loose { handle(data) { return data; } }
    Reflect.defineMetadata('design:paramtypes', [Object], Loose.prototype, 'handle');
    const { On } = await import(${JSON.stringify(index)});
    On('loose')(Loose);
    const app = new Carom({ handlers: [Loose], logLevel: ${JSON.stringify(level)} });
    app.logger.error('an error line');
    await app.close();
  `;
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 30_000,
  });
  return stdout + stderr;
}

describe("logLevel: 'silent'", () => {
  it('prints nothing at all, where the default prints the start-up warning and errors', async () => {
    const loud = await printedAt('info');
    assert.match(loud, /unvalidated/);
    assert.match(loud, /an error line/);
    assert.equal(await printedAt('silent'), '');
  });

  it('is a level the option takes; a level that does not exist is refused at start-up', () => {
    const logger = createLogger('silent');
    for (const method of ['debug', 'info', 'warn', 'error'] as const) {
      assert.equal(logger[method]('x'), undefined);
    }
    assert.throws(
      () => new Carom({ logLevel: 'quiet' as never }),
      (err: unknown) =>
        err instanceof ConfigurationError &&
        err.code === 'CAROM_ERR_BAD_OPTION' &&
        err.message.includes('logLevel'),
    );
  });
});
