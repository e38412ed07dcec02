/**
 * carom/client's weight budget (issue 12: "keep it small as it grows"): the
 * client bundled and weighed the way the README's comparison is made
 * (scripts/client-bundle.mjs: esbuild, one browser ES module, minified,
 * gzip -9) must stay under the budget the README states. Raise the budget
 * only on purpose, in both places, with the reason in CHANGELOG.md.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

type ClientBundle = typeof import('../../scripts/client-bundle.mjs');

/** The script in the source tree: build/test/client/ is three folders below the root. */
const SCRIPT = fileURLToPath(new URL('../../../scripts/client-bundle.mjs', import.meta.url));
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** The budget, gzipped, in KiB. */
const BUDGET_KIB = 10;

test(`carom/client is at most ${BUDGET_KIB} KiB minified and gzipped`, async () => {
  const { bundleSize, CAROM_CLIENT } = (await import(SCRIPT)) as ClientBundle;
  const size = await bundleSize(CAROM_CLIENT);
  assert.ok(size.minified > 1024, `a bundle of ${size.minified} bytes is not the client`);
  assert.ok(
    size.gzipped <= BUDGET_KIB * 1024,
    `carom/client is ${(size.gzipped / 1024).toFixed(2)} KiB gzipped, over its budget of ${BUDGET_KIB} KiB`,
  );
});

test('the README states the same budget', async () => {
  const readme = await readFile(README, 'utf8');
  assert.match(readme, new RegExp(`budget of ${BUDGET_KIB} KiB gzipped`));
});
