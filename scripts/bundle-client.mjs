// The browser client as one ES module: src/client bundled by esbuild (the
// client has no decorators, so esbuild compiles it as tsc would) into
// build/client/carom-client.js, which serveClientModule serves as
// /carom/client.js. Unminified, so a reader of the served file sees the
// code; the minified and gzipped size goes to build/client/size.json and
// stdout, for the README's figure.
import { mkdir, writeFile } from 'node:fs/promises';
import { stdout } from 'node:process';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const OUT = 'build/client/carom-client.js';

/** @type {import('esbuild').BuildOptions} */
const common = {
  entryPoints: ['src/client/index.ts'],
  tsconfig: 'tsconfig.client.json',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
};

await mkdir('build/client', { recursive: true });
await build({
  ...common,
  outfile: OUT,
  banner: { js: '// carom/client, bundled from src/client: one ES module with no imports.' },
});
const minified = await build({ ...common, minify: true, write: false });
const code = minified.outputFiles[0].contents;
const size = { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
await writeFile('build/client/size.json', `${JSON.stringify(size)}\n`);
stdout.write(
  `${OUT}: ${(size.minified / 1024).toFixed(1)} KiB minified, ${(size.gzipped / 1024).toFixed(1)} KiB gzipped\n`,
);
