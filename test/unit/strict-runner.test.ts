import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const strict = fileURLToPath(new URL('../support/strict.js', import.meta.url));
const leaky = fileURLToPath(new URL('../fixtures/leaky.fixture.js', import.meta.url));

describe('the test runner', () => {
  it('fails a run with an unhandled rejection, even one a test swallows', async () => {
    // Without the parent runner's context, so the child reports as a run of its own.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const outcome = await run(process.execPath, ['--test', '--import', strict, leaky], {
      env,
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string; stdout: string }) => ({
        code: err.code,
        stderr: `${err.stdout}${err.stderr}`,
      }),
    );
    assert.notEqual(outcome.code, 0);
    assert.match(outcome.stderr, /leaked on purpose/);
  });
});
