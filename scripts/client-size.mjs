// carom/client's weight next to other browser clients, each bundled and
// weighed the same way (client-bundle.mjs: esbuild, one browser ES module,
// minified, gzip -9): `npm run client-size` (`-- --json` for JSON). The other
// clients are installed from the npm registry into a temporary folder, which
// is removed afterwards: socket.io-client at the version the bench uses
// (package-lock.json), phoenix at the version below.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { argv, stdout } from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { promisify } from 'node:util';
import { bundleSize, CAROM_CLIENT } from './client-bundle.mjs';

const PHOENIX = '1.8.17';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function lockedVersion(name) {
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  if (typeof version !== 'string') throw new Error(`${name} is not in package-lock.json`);
  return version;
}

/** The whole public API of a package, as an app that imports it gets it. */
function everythingOf(name, dir) {
  return { stdin: { contents: `export * from '${name}';`, resolveDir: dir, loader: 'js' } };
}

const socketio = await lockedVersion('socket.io-client');
const dir = await mkdtemp(path.join(tmpdir(), 'carom-client-size-'));
try {
  await promisify(execFile)(
    'npm',
    [
      'install',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      `socket.io-client@${socketio}`,
      `phoenix@${PHOENIX}`,
    ],
    { cwd: dir, timeout: 300_000 },
  );
  const rows = [
    { client: 'carom/client', version: 'this tree', ...(await bundleSize(CAROM_CLIENT)) },
    {
      client: 'socket.io-client',
      version: socketio,
      ...(await bundleSize(everythingOf('socket.io-client', dir))),
    },
    { client: 'phoenix', version: PHOENIX, ...(await bundleSize(everythingOf('phoenix', dir))) },
  ];
  if (argv.includes('--json')) {
    stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
    stdout.write('client            version    minified  gzip -9\n');
    for (const r of rows) {
      stdout.write(
        `${r.client.padEnd(18)}${r.version.padEnd(11)}${kib(r.minified).padStart(8)}  ${kib(r.gzipped).padStart(8)}\n`,
      );
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
