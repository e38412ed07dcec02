/**
 * The main entry never loads carom/redis or its client: an app without Redis
 * needs no `redis` package. A child process records, through a resolve hook,
 * every module of the `redis` client that gets loaded; importing `carom/redis`
 * is the control that shows the hook sees them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const build = new URL('../../src/', import.meta.url);

const HOOK = [
  'export async function resolve(specifier, context, next) {',
  '  const found = await next(specifier, context);',
  "  if (/\\/node_modules\\/(@redis\\/|redis\\/)/.test(found.url)) console.log('redis-client ' + found.url);",
  '  return found;',
  '}',
].join('\n');

async function clientModulesLoadedBy(entry: string): Promise<string[]> {
  const script = [
    "import { register } from 'node:module';",
    `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));`,
    `await import(${JSON.stringify(new URL(entry, build).href)});`,
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    timeout: 20_000,
  });
  return stdout.split('\n').filter((l) => l.startsWith('redis-client '));
}

describe('carom/redis is its own entry', () => {
  it('importing carom loads nothing of the redis client', async () => {
    assert.deepEqual(await clientModulesLoadedBy('index.js'), []);
  });

  it('importing carom/redis does (the check sees the client)', async () => {
    assert.ok((await clientModulesLoadedBy('redis/index.js')).length > 0);
  });
});
