/**
 * scripts/build-if-stale.mjs, which `npm test`'s pretest runs: against a made
 * package in a temp folder, a build is stale without a stamp, current after a
 * build until an input changes (a file saved, added or deleted; a tsconfig or
 * package.json), and never for what runs write under bench/results/. The
 * command runs `npm run build` only when stale. Times are set with utimes, so
 * nothing depends on the clock's resolution.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';

type StaleCheck = typeof import('../../scripts/build-if-stale.mjs');

/** The script in the source tree: build/test/scripts/ is three folders below the root. */
const SCRIPT = fileURLToPath(new URL('../../../scripts/build-if-stale.mjs', import.meta.url));
const { BEGUN, markBegin, markDone, newestInput, STAMP, staleness } = (await import(
  SCRIPT
)) as StaleCheck;

let root = '';

/** Writes `rel` under the package with its mtime `ago` seconds ago (a new file's folder is now). */
function put(rel: string, ago = 100): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, rel);
  age(rel, ago);
}

/** Sets the mtime of `rel` (a file or a folder) to `ago` seconds ago. */
function age(rel: string, ago: number): void {
  const t = Date.now() / 1000 - ago;
  utimesSync(path.join(root, rel), t, t);
}

/** A successful build `ago` seconds ago. */
function built(ago = 50): void {
  markBegin(root);
  markDone(root);
  age(STAMP, ago);
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'carom-stale-'));
  for (const rel of ['src/a.ts', 'src/core/b.ts', 'test/unit/a.test.ts', 'examples/x/x.ts']) {
    put(rel);
  }
  put('bench/results/old.json');
  put('bench/run.ts');
  put('tsconfig.json');
  put('package.json');
  for (const dir of ['src/core', 'src', 'test/unit', 'test', 'examples/x', 'examples'])
    age(dir, 100);
  for (const dir of ['bench/results', 'bench']) age(dir, 100);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

test('without a stamp the build is stale', () => {
  assert.deepEqual(staleness(root), { stale: true, why: `no ${STAMP}: no complete build yet` });
});

test('after a build nothing is stale until an input changes', () => {
  built();
  assert.equal(staleness(root).stale, false);
  put('src/core/b.ts', 10);
  assert.deepEqual(staleness(root), {
    stale: true,
    why: 'src/core/b.ts changed since the last build',
  });
});

test('an added or a deleted file is a change', () => {
  built();
  put('test/unit/new.test.ts', 10);
  assert.equal(staleness(root).stale, true);
  age('test/unit', 100);
  age('test/unit/new.test.ts', 100);

  built(5);
  assert.equal(staleness(root).stale, false);
  rmSync(path.join(root, 'examples/x/x.ts'));
  age('examples/x', 1);
  assert.equal(newestInput(root)?.file, 'examples/x');
  assert.equal(staleness(root).stale, true);
});

test('a tsconfig, package.json or package-lock.json is an input', () => {
  for (const rel of ['tsconfig.client.json', 'package.json', 'package-lock.json']) {
    built();
    assert.equal(staleness(root).stale, false, rel);
    put(rel, 10);
    assert.equal(staleness(root).stale, true, rel);
    age(rel, 100);
  }
});

test('what runs write under bench/results is not an input; files elsewhere in the root are not', () => {
  built();
  put('bench/results/latest.json', 10);
  put('README.md', 10);
  put('build/src/a.js', 10);
  assert.equal(staleness(root).stale, false);
  put('bench/soak/x.ts', 10);
  assert.equal(staleness(root).stale, true);
});

test('a build that begins and never finishes leaves the build stale', () => {
  built();
  markBegin(root);
  assert.equal(existsSync(path.join(root, STAMP)), false);
  assert.equal(staleness(root).stale, true);
  // The stamp is the time the build began: a file saved during the build is newer.
  age(BEGUN, 20);
  put('src/a.ts', 10);
  markDone(root);
  assert.equal(
    statSync(path.join(root, STAMP)).mtimeMs < statSync(path.join(root, 'src/a.ts')).mtimeMs,
    true,
  );
  assert.equal(staleness(root).stale, true);
});

test('the command runs npm run build when stale and only then', () => {
  mkdirSync(path.join(root, 'scripts'));
  const script = path.join(root, 'scripts', 'build-if-stale.mjs');
  copyFileSync(SCRIPT, script);
  const pkg = {
    name: 'stale-check',
    private: true,
    scripts: {
      prebuild: 'node scripts/build-if-stale.mjs --begin',
      build: `node -e "require('fs').appendFileSync('builds.txt', 'b')"`,
      postbuild: 'node scripts/build-if-stale.mjs --done',
    },
  };
  writeFileSync(path.join(root, 'package.json'), JSON.stringify(pkg));
  age('package.json', 100);
  const check = (): string => {
    const r = spawnSync(process.execPath, [script], { cwd: tmpdir(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return r.stdout;
  };
  const builds = (): string => readFileSync(path.join(root, 'builds.txt'), 'utf8');

  assert.match(check(), /no build\/\.stamp.*npm run build/);
  assert.equal(builds(), 'b');
  assert.match(check(), /nothing changed since the last build.*not rebuilding/);
  assert.equal(builds(), 'b');
  age(STAMP, 50);
  put('src/a.ts', 10);
  assert.match(check(), /src\/a\.ts changed since the last build; npm run build/);
  assert.equal(builds(), 'bb');

  const bad = spawnSync(process.execPath, [script, '--later'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /usage/);
});
