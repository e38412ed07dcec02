/**
 * Builds only when build/ is older than what it is built from, so that
 * `npm test` after `npm run build` (CI) does not build twice.
 *
 *   node scripts/build-if-stale.mjs          `npm run build` when stale; otherwise nothing
 *   node scripts/build-if-stale.mjs --begin  (prebuild) a build starts: drop the stamp, note the time
 *   node scripts/build-if-stale.mjs --done   (postbuild) it succeeded: that time becomes the stamp
 *
 * The stamp (build/.stamp) carries the time the last successful build started,
 * as its mtime: a source saved during a build is newer than it, and a build
 * that failed or was cut short leaves no stamp at all. The build is stale when
 * there is no stamp or any input (a file or folder under src/, test/,
 * examples/, bench/ but bench/results/; tsconfig*.json, package.json,
 * package-lock.json) is as new as it. Folders count so that a deleted file is
 * a change. The build must write only under build/, or it would always be stale.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** The folders whose files and subfolders the build reads, relative to the package root. */
export const INPUT_DIRS = ['src', 'test', 'examples', 'bench'];
/** Single files it reads, besides every tsconfig*.json at the root. */
export const INPUT_FILES = ['package.json', 'package-lock.json'];
/** Inside the input folders, but written by runs rather than read by the build. */
export const IGNORED = ['bench/results'];
/** The stamp of the last successful build, and the note of the one under way. */
export const STAMP = 'build/.stamp';
export const BEGUN = 'build/.stamp-begun';

/**
 * The newest input under `root`: its path (relative, with `/`) and mtime in
 * milliseconds; undefined when there is none.
 * @param {string} root
 * @returns {{ file: string, mtimeMs: number } | undefined}
 */
export function newestInput(root) {
  /** @type {{ file: string, mtimeMs: number } | undefined} */
  let newest;
  /** @param {string} rel */
  const consider = (rel) => {
    let mtimeMs;
    try {
      mtimeMs = statSync(path.join(root, rel)).mtimeMs;
    } catch {
      return; // gone, or a dangling link
    }
    if (!newest || mtimeMs > newest.mtimeMs) newest = { file: rel, mtimeMs };
  };
  const pending = INPUT_DIRS.filter((d) => isDir(path.join(root, d)));
  while (pending.length > 0) {
    const dir = /** @type {string} */ (pending.pop());
    consider(dir);
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (IGNORED.includes(rel)) continue;
      // A link is judged by what it points to, and never walked into (no loops).
      if (entry.isDirectory()) pending.push(rel);
      else consider(rel);
    }
  }
  const tsconfigs = readdirSync(root).filter((f) => /^tsconfig.*\.json$/.test(f));
  for (const file of [...tsconfigs, ...INPUT_FILES]) consider(file);
  return newest;
}

/** @param {string} p */
function isDir(p) {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Whether the build under `root` is stale, and why in a few words.
 * @param {string} root
 * @returns {{ stale: boolean, why: string }}
 */
export function staleness(root) {
  let stampMs;
  try {
    stampMs = statSync(path.join(root, STAMP)).mtimeMs;
  } catch {
    return { stale: true, why: `no ${STAMP}: no complete build yet` };
  }
  const newest = newestInput(root);
  if (newest && newest.mtimeMs >= stampMs) {
    return { stale: true, why: `${newest.file} changed since the last build` };
  }
  return { stale: false, why: `nothing changed since the last build (${STAMP})` };
}

/**
 * A build starts: the old stamp goes, and the start time is noted.
 * @param {string} root
 */
export function markBegin(root) {
  mkdirSync(path.join(root, 'build'), { recursive: true });
  rmSync(path.join(root, STAMP), { force: true });
  writeFileSync(path.join(root, BEGUN), '');
}

/**
 * A build succeeded: its start becomes the stamp (a rename keeps the mtime).
 * Without a note of its start there is no stamp, and the next check builds.
 * @param {string} root
 */
export function markDone(root) {
  try {
    renameSync(path.join(root, BEGUN), path.join(root, STAMP));
  } catch {
    // no note: leave the build stale
  }
}

/**
 * The command line; the package root is this script's parent folder.
 * @param {readonly string[]} argv
 * @returns {number} the exit code
 */
function cli(argv) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const [flag] = argv;
  if (flag === '--begin') markBegin(root);
  else if (flag === '--done') markDone(root);
  else if (flag !== undefined) {
    process.stderr.write('usage: build-if-stale.mjs [--begin|--done]\n');
    return 2;
  } else {
    const { stale, why } = staleness(root);
    if (!stale) {
      process.stdout.write(`build: ${why}; not rebuilding\n`);
      return 0;
    }
    process.stdout.write(`build: ${why}; npm run build\n`);
    // Whatever the build script is, it is what runs.
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    return r.status ?? 1;
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = cli(process.argv.slice(2));
}
