/**
 * The package as a user gets it: `npm pack`, installed into a fresh project
 * outside the repo, imported as 'carom', 'carom/testing', 'carom/client' and 'carom/transport',
 * type-checked with strict settings (library types included) and run.
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

describe('the packed package', () => {
  it(
    'installs into a fresh project, type-checks strictly and runs',
    { timeout: 180_000 },
    async (t) => {
      assert.ok(
        existsSync(join(root, 'build/src/index.js')),
        'build/src is missing: run `npm run build` first (`npm test` does)',
      );
      const packDir = await mkdtemp(join(tmpdir(), 'carom-pack-'));
      const project = await mkdtemp(join(tmpdir(), 'carom-consumer-'));
      try {
        assert.ok(relative(root, project).startsWith('..'), 'the project must be outside the repo');

        // Pack.
        const packed = await sh('npm', ['pack', '--json', '--pack-destination', packDir], root);
        const [info] = JSON.parse(packed.stdout) as Array<{
          filename: string;
          files: Array<{ path: string }>;
        }>;
        const files = info!.files.map((f) => f.path);
        for (const needed of [
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
        }
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
        try {
          await sh('npm', [...install, '--offline', tarball], project);
        } catch (err) {
          t.diagnostic(`npm install --offline failed, retrying with --prefer-offline: ${err}`);
          await sh('npm', [...install, '--prefer-offline', tarball], project);
        }
        const manifest = JSON.parse(
          await readFile(join(project, 'node_modules/carom/package.json'), 'utf8'),
        ) as { name: string };
        assert.equal(manifest.name, 'carom');

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
      } finally {
        await rm(packDir, { recursive: true, force: true });
        await rm(project, { recursive: true, force: true });
      }
    },
  );
});
