/**
 * The browser client served as one ES module at /carom/client.js: by
 * `app.listen`, and by `serveClientModule` in a plain node:http server.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CLIENT_MODULE_PATH, Carom, On, serveClientModule } from '../../src/index.js';
import { clientModuleSource } from '../../src/transport/client-module.js';
import { within } from '../support/wait.js';

class Echo {
  @On('echo')
  echo(data: unknown) {
    return data;
  }
}

const apps: Carom[] = [];
const servers: Server[] = [];
const opened: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const c of opened.splice(0)) c.close();
  for (const app of apps.splice(0)) await app.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listening(): Promise<{ app: Carom; base: string; ws: string }> {
  const app = new Carom({ handlers: [Echo], logLevel: 'fatal' });
  apps.push(app);
  const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/ws` };
}

/** The bundled client module, as `npm run build` leaves it beside this build. */
function builtClient(): Promise<Buffer> {
  return readFile(new URL('../../client/carom-client.js', import.meta.url));
}

/** Static import or re-export statements (a browser would have to resolve each one). */
function staticImports(source: string): string[] {
  const found: string[] = [];
  const pattern =
    /^\s*(?:import\s*(?:type\s+)?(?:[\w$*{}\s,]+\s+from\s*)?['"][^'"]+['"]|export\s*(?:\*|\{[^}]*\})\s*from\s*['"][^'"]+['"])/gm;
  for (const m of source.matchAll(pattern)) found.push(m[0].trim());
  return found;
}

/** Loads source text as an ES module from a data: URL, where no bare or relative import resolves. */
async function loadAsModule(source: string): Promise<Record<string, unknown>> {
  const url = `data:text/javascript;base64,${Buffer.from(source).toString('base64')}`;
  return (await import(url)) as Record<string, unknown>;
}

describe('GET /carom/client.js from app.listen', () => {
  it('answers 200 text/javascript with the compiled client, one module without static imports', async () => {
    const { base } = await listening();
    const res = await fetch(`${base}${CLIENT_MODULE_PATH}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript\b/);
    const body = await res.text();
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(body)));
    assert.equal(body, (await builtClient()).toString());
    assert.deepEqual(staticImports(body), []);
    assert.match(body, /export\s+function\s+connect\b|export\s*\{[^}]*\bconnect\b/);
    assert.equal(CLIENT_MODULE_PATH, '/carom/client.js');
  });

  it('the served text loads as a module on its own, and its connect() talks to the app', async () => {
    const { base, ws } = await listening();
    const body = await (await fetch(`${base}/carom/client.js`)).text();
    const mod = await loadAsModule(body);
    assert.equal(typeof mod.connect, 'function');
    assert.equal(typeof mod.RequestError, 'function');
    type Client = {
      request(event: string, data: unknown): Promise<unknown>;
      close(): void;
    };
    const connectFn = mod.connect as (url: string, options: object) => Client;
    const client = connectFn(ws, { WebSocket, reconnect: false });
    opened.push(client);
    const reply = await within(client.request('echo', { hello: 'module' }), 'the echo');
    assert.deepEqual(reply, { hello: 'module' });
  });

  it('ignores a query string, answers HEAD with the headers only, and leaves POST alone', async () => {
    const { base } = await listening();
    const get = await fetch(`${base}/carom/client.js?v=3`);
    assert.equal(get.status, 200);
    const body = await get.text();
    const head = await fetch(`${base}/carom/client.js`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/javascript\b/);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(body)));
    assert.equal(await head.text(), '');
    const post = await fetch(`${base}/carom/client.js`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 404);
    await post.text();
    const other = await fetch(`${base}/carom/other.js`);
    assert.equal(other.status, 404);
    await other.text();
  });
});

describe('serveClientModule in a plain node:http server', () => {
  async function plainServer(): Promise<{ base: string; answers: Array<[string, boolean]> }> {
    const answers: Array<[string, boolean]> = [];
    const server = createServer((req, res) => {
      const served = serveClientModule(req, res);
      answers.push([`${req.method} ${req.url}`, served]);
      if (served) return;
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end('mine\n');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { base: `http://127.0.0.1:${port}`, answers };
  }

  it('serves GET and HEAD of /carom/client.js and returns false for other paths', async () => {
    const { base, answers } = await plainServer();
    const get = await fetch(`${base}/carom/client.js`);
    assert.equal(get.status, 200);
    assert.match(get.headers.get('content-type') ?? '', /^text\/javascript\b/);
    const body = await get.text();
    assert.equal(body, (await clientModuleSource()).toString());
    assert.deepEqual(staticImports(body), []);
    assert.equal(typeof (await loadAsModule(body)).connect, 'function');

    const head = await fetch(`${base}/carom/client.js`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(body)));
    assert.equal(await head.text(), '');

    const other = await fetch(`${base}/index.html`);
    assert.equal(other.status, 418);
    assert.equal(await other.text(), 'mine\n');
    const post = await fetch(`${base}/carom/client.js`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 418);
    await post.text();

    assert.deepEqual(answers, [
      ['GET /carom/client.js', true],
      ['HEAD /carom/client.js', true],
      ['GET /index.html', false],
      ['POST /carom/client.js', false],
    ]);
  });
});
