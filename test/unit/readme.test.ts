/**
 * The README's code runs as written: the fenced `ts` blocks marked
 * `<!-- readme-test: GROUP -->` are read from README.md at run time, joined by
 * group into one program each, compiled with the project's TypeScript against
 * the built package (`carom` and `carom/testing` point at `build/src`), and run
 * with node. A group's program exits 0 only when its assertions, the README's
 * own or the few appended here, all hold; so the README cannot drift.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const STRICT = join(ROOT, 'build', 'test', 'support', 'strict.js');
const COMPILE_MS = 90_000;
const RUN_MS = 30_000;

/** What `from 'carom…'` means in a README block: the built package's entry points. */
const ENTRIES: Record<string, string> = {
  carom: join(ROOT, 'build', 'src', 'index.js'),
  'carom/testing': join(ROOT, 'build', 'src', 'testing', 'index.js'),
  'carom/transport': join(ROOT, 'build', 'src', 'transport', 'index.js'),
};

/** The first app listens on 8080 in the README; here on a free port of this machine only. */
const README_LISTEN = 'app.listen({ port: 8080 })';
const TEST_LISTEN = "app.listen({ port: 0, host: '127.0.0.1' })";

/**
 * What each group needs around the README's text: `before` what a real app
 * defines elsewhere, `after` assertions on what the README's code does (for
 * blocks that have none of their own) and the clean-up.
 */
const GROUPS: Record<string, { before: string; after: string }> = {
  // The first app's block, then the testing kit's test of it.
  'first-app': {
    before: '',
    after: `
await app.close();
`,
  },
  // The Rooms controller of "Handlers", with its DTO and a test of what it promises.
  rooms: {
    before: `
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsString, Length } from 'class-validator';
import { Carom, Injectable, On, OnDisconnect, type Connection, type Context } from 'carom';
import { createTestApp } from 'carom/testing';

class JoinRoom {
  @IsString() @Length(1, 40) room!: string;
}
`,
    after: `
test('the rooms controller: join, member count, leave notice on disconnect', async () => {
  const t = await createTestApp({ handlers: [Rooms], topics: ['room.*'] });
  const alice = await t.connect();
  const bob = await t.connect();
  assert.deepEqual((await alice.request('join', { room: 'lobby' })).data, { members: 1 });
  assert.deepEqual((await bob.request('join', { room: 'lobby' })).data, { members: 2 });
  assert.deepEqual(alice.connection!.subscriptions, ['room.lobby']);
  bob.close();
  await t.idle();
  assert.deepEqual(alice.dataOf('room.lobby'), [{ left: bob.connection!.id }]);
  await alice.request('leave', { room: 'lobby' });
  assert.deepEqual(t.app.subscribers('room.lobby'), []);
  await t.close();
});
`,
  },
  // "Writing a transport": a transport over a MessageChannel, with its own test.
  transport: { before: '', after: '' },
  // "One application, many nodes": two apps linked by a BrokerHub; its asserts are its own.
  hub: { before: "import 'reflect-metadata';\n", after: '' },
};

/** A program that must fail: proves a failing assertion in a README program fails this test. */
const MUST_FAIL = `
import assert from 'node:assert/strict';
import { test } from 'node:test';
test('fails', () => assert.equal(1, 2));
`;

/**
 * The fenced `ts` blocks of `markdown` that follow a `<!-- readme-test: GROUP -->`
 * comment (blank lines between them allowed), by group, in README order.
 */
function markedBlocks(markdown: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const marked = /<!-- readme-test: ([a-z-]+)\b[^>]*-->\s*\n```ts\n([\s\S]*?)\n```/g;
  for (const [, group, code] of markdown.matchAll(marked)) {
    const list = groups.get(group!) ?? [];
    list.push(code!);
    groups.set(group!, list);
  }
  return groups;
}

/** Points `from 'carom'` and `from 'carom/testing'` at the built package; refuses any other subpath. */
function linkToBuild(code: string): string {
  return code.replace(/from '(carom(?:\/[^']*)?)'/g, (_, specifier: string) => {
    const target = ENTRIES[specifier];
    if (target === undefined) throw new Error(`no built entry for '${specifier}'`);
    return `from '${target}'`;
  });
}

interface Run {
  readonly code: number;
  readonly output: string;
}

/** Runs a command to its end, bounded by `timeout` (then killed); never rejects. */
function run(file: string, args: readonly string[], cwd: string, timeout: number): Promise<Run> {
  // Without the runner's NODE_TEST_CONTEXT, the child's node:test reports to its own stdout.
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env, timeout, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        const killed = err?.killed === true ? `(killed after ${timeout} ms)\n` : '';
        resolve({ code, output: `${killed}${stdout}${stderr}` });
      },
    );
  });
}

describe('the README', () => {
  let dir: string;
  let compiled: Run;
  let blocks: Map<string, string[]>;

  before(async () => {
    blocks = markedBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'carom-readme-'));
    // class-validator, reflect-metadata and @types/node resolve from the project's node_modules.
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: true,
          noEmitOnError: true,
          types: ['node'],
          outDir: 'out',
        },
        include: ['*.ts'],
      }),
    );
    for (const [group, around] of Object.entries(GROUPS)) {
      const code = (blocks.get(group) ?? []).join('\n\n').replace(README_LISTEN, TEST_LISTEN);
      await writeFile(
        join(dir, `${group}.ts`),
        linkToBuild(`${around.before}\n${code}\n${around.after}`),
      );
    }
    await writeFile(join(dir, 'must-fail.ts'), MUST_FAIL);
    compiled = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], dir, COMPILE_MS);
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('marks exactly the groups this test runs, the first app in two blocks', () => {
    assert.deepEqual([...blocks.keys()].sort(), Object.keys(GROUPS).sort());
    assert.equal(blocks.get('first-app')?.length, 2);
    assert.equal(blocks.get('rooms')?.length, 1);
  });

  it('has the first app listen once, which the test moves to a free port on 127.0.0.1', () => {
    const code = (blocks.get('first-app') ?? []).join('\n');
    assert.equal(code.split(README_LISTEN).length, 2, `the first app has one ${README_LISTEN}`);
  });

  it('compiles with strict TypeScript and the decorator settings the README names', () => {
    assert.equal(compiled.code, 0, compiled.output);
  });

  for (const group of Object.keys(GROUPS)) {
    it(`runs the ${group} program, its assertions passing`, async () => {
      assert.equal(compiled.code, 0, 'not compiled');
      const result = await run(
        process.execPath,
        ['--test-reporter=tap', '--import', STRICT, join(dir, 'out', `${group}.js`)],
        dir,
        RUN_MS,
      );
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /# pass [1-9]/, result.output);
      assert.match(result.output, /# fail 0/, result.output);
    });
  }

  it('fails a program whose assertion fails (so the runs above can fail)', async () => {
    assert.equal(compiled.code, 0, 'not compiled');
    const result = await run(
      process.execPath,
      ['--test-reporter=tap', '--import', STRICT, join(dir, 'out', 'must-fail.js')],
      dir,
      RUN_MS,
    );
    assert.notEqual(result.code, 0, result.output);
    assert.match(result.output, /# fail 1/, result.output);
  });
});
