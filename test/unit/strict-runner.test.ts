import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const strict = fileURLToPath(new URL('../support/strict.js', import.meta.url));

/**
 * A test file that leaks an unhandled rejection behind a listener that swallows
 * it. Written at run time outside build/test, where the runner would pick it up.
 */
const LEAKY = `import { it } from 'node:test';
process.on('unhandledRejection', () => undefined);
it('passes, but leaves a rejection nobody handles', () => {
  void Promise.reject(new Error('leaked on purpose'));
});
`;

describe('the test runner', () => {
  it('fails a run with an unhandled rejection, even one a test swallows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carom-strict-'));
    const leaky = join(dir, 'leaky.test.mjs');
    await writeFile(leaky, LEAKY);
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
    await rm(dir, { recursive: true, force: true });
    assert.notEqual(outcome.code, 0);
    assert.match(outcome.stderr, /leaked on purpose/);
  });
});
