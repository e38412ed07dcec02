// The browser client as one ES module: src/client bundled by esbuild (the
// client has no decorators, so esbuild compiles it as tsc would) into
// build/client/carom-client.js, which serveClientModule serves as
// /carom/client.js. Unminified, so a reader of the served file sees the
// code; the minified and gzipped size goes to build/client/size.json and
// stdout, for the README's figure.
import { mkdir, writeFile } from 'node:fs/promises';
import { stdout } from 'node:process';
import { build } from 'esbuild';
import { BROWSER_ESM, bundleSize, CAROM_CLIENT } from './client-bundle.mjs';

const OUT = 'build/client/carom-client.js';

await mkdir('build/client', { recursive: true });
await build({
  ...BROWSER_ESM,
  ...CAROM_CLIENT,
  outfile: OUT,
  banner: { js: '// carom/client, bundled from src/client: one ES module with no imports.' },
});
const size = await bundleSize(CAROM_CLIENT);
await writeFile('build/client/size.json', `${JSON.stringify(size)}\n`);
stdout.write(
  `${OUT}: ${(size.minified / 1024).toFixed(1)} KiB minified, ${(size.gzipped / 1024).toFixed(1)} KiB gzipped\n`,
);
