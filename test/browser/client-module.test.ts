/**
 * The served `/carom/client.js` in Chromium: a page that imports it makes no
 * further request (the bundle is one module, so no import of it reaches the
 * network), and the client it gives talks to the app: a request, a channel's
 * announcement under the exported `CHANNEL_CREATED`, the client's own codes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { Carom, On, serveClientModule } from '../../src/index.js';
import { closeBrowser, launchBrowser, poll, TIMEOUT } from './browser.js';

class Echo {
  @On('echo')
  echo(data: unknown) {
    return data;
  }

  /** Answers a second later: a request with a short timeout fails before, whatever the load. */
  @On('slow')
  slow(data: unknown): Promise<unknown> {
    return new Promise((resolve) => setTimeout(() => resolve(data), 1000).unref());
  }
}

/**
 * The page: imports the client and reports what it saw as `window.report`.
 * The empty icon keeps Chromium from asking for /favicon.ico, which is not the
 * client's request.
 */
const PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><link rel="icon" href="data:,"><title>client module</title></head>
  <body>
    <script type="module">
      import { CHANNEL_CREATED, ClientErrorCode, connect } from '/carom/client.js';
      const client = connect('ws://' + location.host + '/ws', { reconnect: false });
      const created = [];
      client.on(CHANNEL_CREATED, ({ name }) => created.push(name));
      window.created = created;
      client.request('echo', { hello: 'page' }).then(
        async (reply) => {
          let timeout;
          try {
            await client.request('slow', 'late', { timeoutMs: 50 });
          } catch (err) {
            timeout = err.code;
          }
          window.report = { reply, state: client.state, id: client.connectionId, timeout, TIMEOUT: ClientErrorCode.TIMEOUT };
        },
        (err) => {
          window.report = { error: String(err) };
        },
      );
    </script>
  </body>
</html>
`;

/**
 * A page whose client dials a path nothing serves. Chromium does not show the
 * 404 to the page: the client sees closes before `open`, keeps retrying, and
 * reports `UNREACHABLE` once after five of them.
 */
const WRONG_PATH_PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><link rel="icon" href="data:,"><title>wrong path</title></head>
  <body>
    <script type="module">
      import { connect } from '/carom/client.js';
      const client = connect('ws://' + location.host + '/nope', {
        reconnect: { initialDelayMs: 10, maxDelayMs: 20, jitter: 0 },
      });
      window.errors = [];
      window.states = [];
      client.onState((state) => window.states.push(state));
      client.onError((e) => {
        window.errors.push({ code: e.code, details: e.details });
      });
    </script>
  </body>
</html>
`;

declare const window: {
  errors?: Array<{ code: string; details: unknown }>;
  states?: string[];
  report?: { reply?: unknown; state?: string; id?: string; error?: string };
  created?: string[];
};

let browser: Browser | undefined;
let context: BrowserContext | undefined;
let app: Carom | undefined;
let server: Server | undefined;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await closeBrowser(browser);
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  await app?.close();
  app = undefined;
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
  }
});

/** A node:http server with the page at `/`, the client module and an app on `/ws`. */
async function serving(): Promise<string> {
  server = createServer((req, res) => {
    if (serveClientModule(req, res)) return;
    if (req.url === '/' || req.url === '/wrong') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(req.url === '/' ? PAGE : WRONG_PATH_PAGE);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  app = new Carom({ handlers: [Echo], logLevel: 'fatal' });
  app.attach(server);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('/carom/client.js in Chromium', () => {
  it('loads as one module (no request after it) and its client works in the page', async () => {
    const base = await serving();
    context = await browser!.newContext();
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}/`, { waitUntil: 'load' });

    const report = await poll(
      'the page to report',
      () => page.evaluate(() => window.report),
      (r) => r !== undefined,
    );
    assert.deepEqual(report, {
      reply: { hello: 'page' },
      state: 'open',
      id: report?.id,
      timeout: 'TIMEOUT',
      TIMEOUT: 'TIMEOUT',
    });
    assert.equal(typeof report?.id, 'string', 'the welcome reached the page');

    app!.channels.create('news');
    await poll(
      'the page to hear carom.channel.created',
      () => page.evaluate(() => window.created),
      (names) => names?.[0] === 'news',
    );

    assert.deepEqual(requests, [`${base}/`, `${base}/carom/client.js`]);
    assert.deepEqual(errors, []);
  });

  it('a wrong path: the page cannot see the 404, so the client retries and reports UNREACHABLE once', async () => {
    const base = await serving();
    context = await browser!.newContext();
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    await page.goto(`${base}/wrong`, { waitUntil: 'load' });
    await poll(
      'the page to hear UNREACHABLE and three more attempts',
      () => page.evaluate(() => ({ errors: window.errors, states: window.states })),
      (r) =>
        (r.errors?.some((e) => e.code === 'UNREACHABLE') ?? false) &&
        (r.states?.filter((s) => s === 'reconnecting').length ?? 0) >= 8,
    );
    const { errors, states } = await page.evaluate(() => ({
      errors: window.errors,
      states: window.states,
    }));
    assert.deepEqual(errors, [
      { code: 'UNREACHABLE', details: { attempts: 5, url: `${base.replace('http', 'ws')}/nope` } },
    ]);
    assert.ok(!states?.includes('open'));
    assert.ok(!states?.includes('closed'), 'a browser client does not give up');
  });
});
