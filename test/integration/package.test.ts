/**
 * The package as a user gets it: what `npm pack` would ship (every entry
 * point's JS and types, README, LICENSE, CHANGELOG; no tests, no build
 * leftovers), installed into fresh projects outside the repo, one ES module
 * and one CommonJS, imported (or required) as 'carom', 'carom/testing',
 * 'carom/client' and 'carom/transport', type-checked with strict settings
 * (library types included) and run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (this file runs from build/test/integration). */
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The environment without the variables `npm test` sets for this package's scripts. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !k.startsWith('npm_package_') && !k.startsWith('npm_lifecycle_'),
  ),
);

async function sh(cmd: string, args: string[], cwd: string, timeout = 90_000) {
  try {
    return await run(cmd, args, { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      { cause: err },
    );
  }
}

const CONSUMER = `import { Carom, Handler, On, Payload, Sender, Topic, type Context } from 'carom';
import { createTestApp, type ReceivedEnvelope } from 'carom/testing';
import { connect, type CaromClient } from 'carom/client';
import {
  acceptorOf,
  CAROM_PROTOCOL,
  Frame,
  readToken,
  type Peer,
  type PeerListener,
} from 'carom/transport';

interface Greeting {
  text: string;
}

@Topic('greeting')
class GreetingSender extends Sender<Greeting> {}

@On('greet')
class GreetHandler extends Handler<{ name: string }, string> {
  constructor(private readonly greetings: GreetingSender) {
    super();
  }

  async handle(@Payload() data: { name: string }, ctx: Context): Promise<string> {
    await this.greetings.send({ text: \`hello \${data.name}\` });
    return \`greeted \${data.name} on \${ctx.event}\`;
  }
}

const t = await createTestApp({ handlers: [GreetHandler], senders: [GreetingSender] });
const client = await t.connect();
const subscribed = await client.subscribe('greeting');
const reply: ReceivedEnvelope<string> = await client.request<string>('greet', { name: 'Ada' });
const greetings: Greeting[] = client.dataOf<Greeting>('greeting');
await t.close();

// A transport of one's own: a peer that keeps what it is sent, fed by hand.
const sent: string[] = [];
const peer: Peer = {
  remoteAddress: '127.0.0.1',
  protocol: CAROM_PROTOCOL,
  send: (frame: Frame) => void sent.push(frame.text),
  close: () => undefined,
};
const seam = new Carom({
  handlers: [GreetHandler],
  senders: [GreetingSender],
  authenticate: (request) => readToken(request) ?? false,
  logLevel: 'fatal',
});
// @ts-expect-error the seam is reached through acceptorOf(app), never through the app's type
void seam.admit;
const acceptor = acceptorOf(seam);
const admission = await acceptor.admit({ headers: { authorization: 'Bearer ada' } });
const listener: PeerListener = acceptor.accept(peer, admission.ok ? admission.user : undefined);
listener.onText(JSON.stringify({ event: 'greet', data: { name: 'Cy' }, id: 1 }));
for (let turn = 0; turn < 1000 && !sent.some((text) => text.includes('"ack"')); turn++) {
  await new Promise((resolve) => setImmediate(resolve));
}
listener.onClose(1000);
await seam.close();
const viaTransport = {
  user: listener.connection?.user,
  events: sent.map((text) => (JSON.parse(text) as { event: string }).event),
  frame: new Frame('{}').bytes.length,
};

// The real server too, so the runtime dependencies (ws) resolve from the install.
const app: Carom = new Carom({ handlers: [GreetHandler], senders: [GreetingSender], logLevel: 'fatal' });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
const viaClient: CaromClient = connect(\`ws://127.0.0.1:\${address.port}/ws\`, { reconnect: false });
const clientReply = await viaClient.request('greet', { name: 'Bo' });
viaClient.close();
await app.close();

console.log(
  JSON.stringify({
    subscribed: subscribed.data,
    reply: { event: reply.event, data: reply.data },
    greetings,
    listened: address.port > 0,
    clientReply,
    viaTransport,
  }),
);
`;

/**
 * The same kind of app from a CommonJS project: TypeScript compiles the imports
 * to require() (module nodenext in a "type": "commonjs" package), and Node
 * 20.19 and later load carom's ES modules from require().
 */
const CJS_CONSUMER = `import { Carom, Handler, On, Payload, Sender, Topic } from 'carom';
import { createTestApp } from 'carom/testing';
import { connect } from 'carom/client';
import { Frame } from 'carom/transport';

@Topic('bell')
class BellSender extends Sender<{ rung: string }> {}

@On('ring')
class RingHandler extends Handler<{ who: string }, string> {
  constructor(private readonly bell: BellSender) {
    super();
  }

  async handle(@Payload() data: { who: string }): Promise<string> {
    await this.bell.send({ rung: data.who });
    return \`rung by \${data.who}\`;
  }
}

async function main(): Promise<void> {
  const t = await createTestApp({ handlers: [RingHandler], senders: [BellSender] });
  const client = await t.connect();
  await client.subscribe('bell');
  const reply = await client.request<string>('ring', { who: 'Ada' });
  const bells = client.dataOf<{ rung: string }>('bell');
  await t.close();

  const app = new Carom({ handlers: [RingHandler], senders: [BellSender], logLevel: 'silent' });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const viaClient = connect(\`ws://127.0.0.1:\${address.port}/ws\`, { reconnect: false });
  const clientReply = await viaClient.request('ring', { who: 'Bo' });
  viaClient.close();
  await app.close();

  console.log(
    JSON.stringify({
      reply: reply.data,
      bells,
      clientReply,
      frame: new Frame('{}').bytes.length,
      commonjs: typeof module === 'object' && typeof require === 'function',
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
`;

/** Plain JavaScript, no compiler: require() of every entry point, and a server that runs. */
const CJS_PLAIN = `'use strict';
const carom = require('carom');
const client = require('carom/client');
const testing = require('carom/testing');
const transport = require('carom/transport');

const app = new carom.Carom({ topics: ['news'], logLevel: 'silent' });
app.listen({ port: 0, host: '127.0.0.1' }).then(async (address) => {
  const c = client.connect(\`ws://127.0.0.1:\${address.port}/ws\`, { reconnect: false });
  const subscribed = await c.subscribe(['news']);
  c.close();
  await app.close();
  console.log(
    JSON.stringify({
      carom: typeof carom.Carom,
      client: typeof client.connect,
      testing: typeof testing.createTestApp,
      transport: typeof transport.acceptorOf,
      subscribed: { events: subscribed.events, excluded: subscribed.excluded },
      listed: [...subscribed],
    }),
  );
});
`;

/** The files of one entry point of the exports map: its types and every condition's JS. */
function entryFiles(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry.replace(/^\.\//, '')];
  return Object.values(entry as Record<string, string>).map((f) => f.replace(/^\.\//, ''));
}

describe('the packed package', () => {
  it(
    'ships what it should, installs into fresh ESM and CommonJS projects, type-checks strictly and runs',
    { timeout: 180_000 },
    async (t) => {
      assert.ok(
        existsSync(join(root, 'build/src/index.js')),
        'build/src is missing: run `npm run build` first (`npm test` does)',
      );
      const packDir = await mkdtemp(join(tmpdir(), 'carom-pack-'));
      const project = await mkdtemp(join(tmpdir(), 'carom-consumer-'));
      const cjs = await mkdtemp(join(tmpdir(), 'carom-cjs-consumer-'));
      try {
        assert.ok(relative(root, project).startsWith('..'), 'the project must be outside the repo');
        assert.ok(relative(root, cjs).startsWith('..'), 'the project must be outside the repo');

        // Pack.
        const packed = await sh('npm', ['pack', '--json', '--pack-destination', packDir], root);
        const [info] = JSON.parse(packed.stdout) as Array<{
          filename: string;
          files: Array<{ path: string }>;
        }>;
        const files = info!.files.map((f) => f.path);
        const ownManifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
          exports: Record<string, unknown>;
        };
        const entries = Object.keys(ownManifest.exports);
        assert.deepEqual(entries, [
          '.',
          './client',
          './testing',
          './transport',
          './redis',
          './metrics',
          './otel',
          './package.json',
        ]);
        for (const [entry, target] of Object.entries(ownManifest.exports)) {
          for (const file of entryFiles(target)) {
            assert.ok(files.includes(file), `${file} (of ${entry}) is not in the tarball`);
          }
        }
        for (const needed of [
          'README.md',
          'LICENSE',
          'CHANGELOG.md',
          'package.json',
          'build/src/index.js',
          'build/src/index.d.ts',
          'build/src/testing/index.js',
          'build/src/testing/index.d.ts',
          'build/src/client/index.js',
          'build/src/client/index.d.ts',
          'build/src/transport/index.js',
          'build/src/transport/index.d.ts',
          // The bundle /carom/client.js serves.
          'build/client/carom-client.js',
          // The source maps point at src/, so the sources ship too.
          'src/index.ts',
        ]) {
          assert.ok(files.includes(needed), `${needed} is not in the tarball`);
        }
        for (const path of files) {
          assert.ok(
            !/^(test|examples|bench|scripts|build\/test|build\/examples|build\/bench|node_modules)\//.test(
              path,
            ),
            `${path} should not be in the tarball`,
          );
          // Of build/, only the compiled sources and the client bundle ship.
          assert.ok(
            !path.startsWith('build/') ||
              path.startsWith('build/src/') ||
              path === 'build/client/carom-client.js',
            `${path} is a build leftover`,
          );
          assert.ok(
            !/\.tsbuildinfo$|(^|\/)\.stamp$|\.test\.[cm]?[jt]s$/.test(path),
            `${path} ships`,
          );
        }
        // Compiled JS whose source is gone (a file deleted from src/, a stale build) would ship too.
        for (const path of files.filter((f) => /^build\/src\/.*\.js$/.test(f))) {
          const source = path.replace(/^build\//, '').replace(/\.js$/, '.ts');
          assert.ok(files.includes(source), `${path} has no source ${source}: a build leftover`);
        }
        const license = await readFile(join(root, 'LICENSE'), 'utf8');
        assert.match(license, /^MIT License/);
        assert.match(license, /Copyright \(c\) \d{4} the carom authors/);
        const tarball = join(packDir, info!.filename);

        // A fresh project that installs it.
        await writeFile(
          join(project, 'package.json'),
          JSON.stringify({
            name: 'carom-consumer',
            version: '1.0.0',
            private: true,
            type: 'module',
          }),
        );
        const install = ['install', '--no-audit', '--no-fund'];
        // carom/redis needs its optional peer, the redis client, installed beside it.
        const redisClient = `redis@${(JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> }).peerDependencies['redis']}`;
        try {
          await sh('npm', [...install, '--offline', tarball, redisClient], project);
        } catch (err) {
          t.diagnostic(`npm install --offline failed, retrying with --prefer-offline: ${err}`);
          await sh('npm', [...install, '--prefer-offline', tarball, redisClient], project);
        }
        const manifest = JSON.parse(
          await readFile(join(project, 'node_modules/carom/package.json'), 'utf8'),
        ) as { name: string };
        assert.equal(manifest.name, 'carom');
        const redisEntry = await sh(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            "const m = await import('carom/redis'); console.log(typeof m.redisBroker);",
          ],
          project,
        );
        assert.equal(
          redisEntry.stdout.trim(),
          'function',
          'carom/redis loads with its peer installed',
        );

        // carom/metrics and carom/otel load without their optional peers, and say what
        // to install when used; with them installed, they work.
        const OBSERVERS = `const { caromMetrics } = await import('carom/metrics');
const { caromTracing } = await import('carom/otel');
const out = [];
for (const make of [caromMetrics, caromTracing]) {
  try { out.push(typeof (await make()).bind); } catch (err) { out.push(err.code); }
}
console.log(JSON.stringify(out));`;
        const withoutPeers = await sh(
          process.execPath,
          ['--input-type=module', '-e', OBSERVERS],
          project,
        );
        assert.equal(
          withoutPeers.stdout.trim(),
          '["CAROM_ERR_PEER_MISSING","CAROM_ERR_PEER_MISSING"]',
        );
        const peers = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
          devDependencies: Record<string, string>;
        };
        const observerPeers = ['prom-client', '@opentelemetry/api'].map(
          (name) => `${name}@${peers.devDependencies[name]}`,
        );
        try {
          await sh('npm', [...install, '--offline', ...observerPeers], project);
        } catch (err) {
          t.diagnostic(`npm install --offline failed, retrying with --prefer-offline: ${err}`);
          await sh('npm', [...install, '--prefer-offline', ...observerPeers], project);
        }
        const withPeers = await sh(
          process.execPath,
          ['--input-type=module', '-e', OBSERVERS],
          project,
        );
        assert.equal(withPeers.stdout.trim(), '["function","function"]');

        // Type-check and compile with strict settings, checking the library's types too.
        await mkdir(join(project, 'src'));
        await writeFile(join(project, 'src/main.ts'), CONSUMER);
        await writeFile(
          join(project, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2022'],
              module: 'nodenext',
              moduleResolution: 'nodenext',
              strict: true,
              experimentalDecorators: true,
              emitDecoratorMetadata: true,
              skipLibCheck: false,
              // carom's public types name node:http's Server and Buffer.
              types: ['node'],
              typeRoots: [join(root, 'node_modules/@types')],
              rootDir: 'src',
              outDir: 'out',
            },
            include: ['src'],
          }),
        );
        const tsc = join(root, 'node_modules/typescript/bin/tsc');
        await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], project);

        // Run it.
        const out = await sh(process.execPath, ['out/main.js'], project, 30_000);
        const lines = out.stdout.trim().split('\n');
        assert.deepEqual(JSON.parse(lines[lines.length - 1]!), {
          subscribed: { events: ['greeting'] },
          reply: { event: 'ack', data: 'greeted Ada on greet' },
          greetings: [{ text: 'hello Ada' }],
          listened: true,
          clientReply: 'greeted Bo on greet',
          viaTransport: { user: 'ada', events: ['carom.welcome', 'ack'], frame: 2 },
        });

        // A CommonJS project, from the same tarball.
        const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
        assert.ok(
          (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22,
          `Node ${process.versions.node} cannot require() ES modules; carom needs ^20.19.0 || >=22.12.0`,
        );
        await writeFile(
          join(cjs, 'package.json'),
          JSON.stringify({
            name: 'carom-cjs-consumer',
            version: '1.0.0',
            private: true,
            type: 'commonjs',
          }),
        );
        try {
          await sh('npm', [...install, '--offline', tarball], cjs);
        } catch (err) {
          t.diagnostic(`npm install --offline failed, retrying with --prefer-offline: ${err}`);
          await sh('npm', [...install, '--prefer-offline', tarball], cjs);
        }
        await mkdir(join(cjs, 'src'));
        await writeFile(join(cjs, 'src/main.ts'), CJS_CONSUMER);
        await writeFile(join(cjs, 'plain.js'), CJS_PLAIN);
        await writeFile(
          join(cjs, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2022'],
              module: 'nodenext',
              moduleResolution: 'nodenext',
              strict: true,
              experimentalDecorators: true,
              emitDecoratorMetadata: true,
              skipLibCheck: false,
              types: ['node'],
              typeRoots: [join(root, 'node_modules/@types')],
              rootDir: 'src',
              outDir: 'out',
            },
            include: ['src'],
          }),
        );
        await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], cjs);
        const compiled = await readFile(join(cjs, 'out/main.js'), 'utf8');
        for (const entry of ['carom', 'carom/testing', 'carom/client', 'carom/transport']) {
          assert.ok(compiled.includes(`require("${entry}")`), `main.js requires ${entry}`);
        }
        const cjsOut = await sh(process.execPath, ['out/main.js'], cjs, 30_000);
        assert.deepEqual(JSON.parse(cjsOut.stdout.trim().split('\n').at(-1)!), {
          reply: 'rung by Ada',
          bells: [{ rung: 'Ada' }],
          clientReply: 'rung by Bo',
          frame: 2,
          commonjs: true,
        });
        const plain = await sh(process.execPath, ['plain.js'], cjs, 30_000);
        assert.deepEqual(JSON.parse(plain.stdout.trim().split('\n').at(-1)!), {
          carom: 'function',
          client: 'function',
          testing: 'function',
          transport: 'function',
          subscribed: { events: ['news'], excluded: [] },
          listed: ['news'],
        });
      } finally {
        await rm(packDir, { recursive: true, force: true });
        await rm(project, { recursive: true, force: true });
        await rm(cjs, { recursive: true, force: true });
      }
    },
  );
});
