/**
 * The AsyncAPI document over HTTP: `listen({ asyncapiPath })` serves it, and
 * only then; an app that never asks for it never loads the converter.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, it } from 'node:test';
import { IsString } from 'class-validator';
import {
  asyncApiRoute,
  Carom,
  Handler,
  On,
  Payload,
  Sender,
  Topic,
  type UsageError,
} from '../../src/index.js';
import { assertValidAsyncApi, operations } from '../support/asyncapi.js';

class Note {
  @IsString() text!: string;
}

@Topic('notes')
class NoteSender extends Sender<Note> {}

@On('note')
class NoteHandler extends Handler<Note> {
  handle(@Payload() note: Note): string {
    return note.text;
  }
}

const apps: Carom[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function listening(options: { asyncapiPath?: string } = {}): Promise<string> {
  const app = new Carom({ handlers: [NoteHandler], senders: [NoteSender], logLevel: 'silent' });
  apps.push(app);
  const { port } = await app.listen({
    port: 0,
    host: '127.0.0.1',
    ...options,
    asyncapi: { title: 'notes', version: '2.0.0' },
  });
  return `http://127.0.0.1:${port}`;
}

describe('listen({ asyncapiPath })', () => {
  it('serves the document at the path, on GET and HEAD', async () => {
    const base = await listening({ asyncapiPath: '/asyncapi.json' });
    const response = await fetch(`${base}/asyncapi.json?fresh=1`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const doc = (await response.json()) as Record<string, any>;
    await assertValidAsyncApi(doc);
    assert.deepEqual(doc['info'], { title: 'notes', version: '2.0.0' });
    assert.equal(doc['servers'].carom.host, base.slice('http://'.length));
    // Asked in code, the document names where listen bound.
    const direct = (await apps[0]!.asyncapi()) as Record<string, any>;
    assert.equal(direct['servers'].carom.host, base.slice('http://'.length));
    assert.ok(operations(doc).receive.has('note'));
    assert.ok(operations(doc).send.has('notes'));
    const head = await fetch(`${base}/asyncapi.json`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await fetch(`${base}/asyncapi.json`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    // The rest of what listen serves is unchanged.
    assert.equal((await fetch(`${base}/elsewhere`)).status, 404);
    assert.equal((await fetch(`${base}/ws`)).status, 426);
    assert.equal((await fetch(`${base}/carom/client.js`)).status, 200);
  });

  it('refuses a path the server answers already, or one that is not a path', async () => {
    for (const path of ['/ws', '/carom/client.js']) {
      const app = new Carom({ handlers: [NoteHandler], logLevel: 'silent' });
      apps.push(app);
      await assert.rejects(
        app.listen({ port: 0, host: '127.0.0.1', asyncapiPath: path }),
        (err: UsageError) => err.code === 'CAROM_ERR_BAD_ARGUMENT' && err.message.includes(path),
      );
    }
    const app = new Carom({ logLevel: 'silent' });
    apps.push(app);
    for (const path of ['asyncapi.json', '/a?b', 42]) {
      assert.throws(
        () => asyncApiRoute(app, { path: path as string }),
        (err: UsageError) => err.code === 'CAROM_ERR_BAD_ARGUMENT',
      );
    }
  });

  it('serves nothing there without the option', async () => {
    const base = await listening();
    assert.equal((await fetch(`${base}/asyncapi.json`)).status, 404);
  });
});

describe('the cost of the AsyncAPI document', () => {
  it('an app that never asks for it never loads its converter', async () => {
    const entry = fileURLToPath(new URL('../../src/index.js', import.meta.url));
    // A child process, so that nothing this test file loaded counts.
    const script = `
      import { createRequire } from 'node:module';
      const { Carom } = await import(${JSON.stringify(entry)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache)
        .some((path) => path.includes('class-validator-jsonschema'));
      const app = new Carom({ logLevel: 'silent' });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const before = loaded();
      await app.asyncapi();
      const after = loaded();
      await app.close();
      process.stdout.write(JSON.stringify({ before, after }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: 30_000 },
    );
    assert.deepEqual(JSON.parse(stdout), { before: false, after: true });
  });
});
