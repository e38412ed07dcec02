// How a browser client is bundled and weighed, in one place: the build's
// bundle of carom/client (bundle-client.mjs), the comparison with other
// clients (client-size.mjs) and the size budget test all use it, so their
// figures are made the same way: esbuild, one browser ES module, minified,
// then gzip -9.
import { fileURLToPath, URL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** esbuild's options for one browser ES module with everything it imports inside. */
export const BROWSER_ESM = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
};

/** carom/client's entry point and tsconfig, as absolute paths. */
export const CAROM_CLIENT = {
  entryPoints: [`${ROOT}src/client/index.ts`],
  tsconfig: `${ROOT}tsconfig.client.json`,
};

/**
 * Bundles with `options` on top of {@link BROWSER_ESM}, minified and not
 * written, and returns its size in bytes, minified and gzipped (level 9).
 */
export async function bundleSize(options) {
  const result = await build({ ...BROWSER_ESM, ...options, minify: true, write: false });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}
