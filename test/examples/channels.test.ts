import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { createTestApp, type TestApp } from '../../src/testing/index.js';
import { channelsOptions } from '../../examples/channels/app.js';
import { MAX_BODY } from '../../examples/channels/api.js';
import { start, type RunningChannels } from '../../examples/channels/server.js';
import type { Envelope } from '../support/envelope.js';
import { within } from '../support/wait.js';

describe('channels example through the testing kit', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(channelsOptions());
  });
  afterEach(() => t.close());

  it('lists no channels at first', async () => {
    const page = await t.connect();
    const reply = await page.request('channels.list', {});
    assert.deepEqual(reply.data.channels, []);
    // When the app was made: the same on every answer, so a change means another process.
    const started = Date.parse(reply.data.serverStarted);
    assert.ok(started <= t.app.clock.now(), reply.data.serverStarted);
    const again = await page.request('channels.list', {});
    assert.equal(again.data.serverStarted, reply.data.serverStarted);
  });

  it('lets a page that connects later see the channels that exist', async () => {
    t.app.channels.create('news');
    t.app.channels.create('sport.results');
    t.app.channels.create('gone');
    t.app.channels.delete('gone');
    const late = await t.connect();
    const reply = await late.request('channels.list', {});
    assert.deepEqual(reply.data.channels, ['news', 'sport.results']);
  });

  it('announces creation and deletion to every page, subscribed or not', async () => {
    const a = await t.connect();
    const b = await t.connect();
    t.app.channels.create('news');
    t.app.channels.delete('news');
    for (const page of [a, b]) {
      assert.deepEqual(
        page.received.map((e) => [e.event, e.data]),
        [
          ['carom.channel.created', { name: 'news' }],
          ['carom.channel.deleted', { name: 'news' }],
        ],
      );
    }
  });

  it('sends a channel message to its subscribers only', async () => {
    t.app.channels.create('news');
    t.app.channels.create('weather');
    const reader = await t.connect();
    const other = await t.connect();
    await reader.subscribe('news');
    await other.subscribe('weather');
    assert.equal(t.app.publish('news', { headline: 'hi' }), 1);
    assert.deepEqual(reader.dataOf('news'), [{ headline: 'hi' }]);
    assert.deepEqual(other.dataOf('news'), []);
  });

  it('drops subscriptions to a deleted channel', async () => {
    t.app.channels.create('news');
    const reader = await t.connect();
    await reader.subscribe('news');
    t.app.channels.delete('news');
    assert.deepEqual(reader.connection!.subscriptions, []);
    const again = await reader.subscribe('news');
    assert.equal(again.data.code, 'UNKNOWN_EVENT');
  });
});

/** A `ws` client that keeps what it receives, with bounded waits. */
class Page {
  readonly messages: Envelope[] = [];
  private readonly waiters = new Set<() => void>();
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      this.messages.push(JSON.parse(String(raw)));
      for (const w of [...this.waiters]) w();
    });
    ws.on('error', () => undefined);
  }

  static async open(port: number): Promise<Page> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      `opening a page on port ${port}`,
    );
    return new Page(ws);
  }

  /** Resolves with the first message (already received or to come) that matches. */
  waitFor(match: (m: Envelope) => boolean, what: string): Promise<Envelope> {
    let waiter = (): void => undefined;
    const found = new Promise<Envelope>((resolve) => {
      const check = (): boolean => {
        const hit = this.messages.find(match);
        if (hit) resolve(hit);
        return hit !== undefined;
      };
      waiter = () => void check();
      if (!check()) this.waiters.add(waiter);
    });
    return within(found, what)
      .catch((err: Error) => {
        throw new Error(`${err.message}; got ${JSON.stringify(this.messages)}`);
      })
      .finally(() => this.waiters.delete(waiter));
  }

  async request(event: string, data: unknown): Promise<Envelope> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ event, data, id }));
    return this.waitFor((m) => m.id === id, `reply to ${event}`);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

describe('channels example over HTTP', () => {
  const TOKEN = 'test-token-1234';
  let running: RunningChannels;
  let base: string;
  const pages: Page[] = [];

  before(async () => {
    running = await start(0, '127.0.0.1', { token: TOKEN, print: () => undefined });
    base = `http://127.0.0.1:${running.port}`;
  });
  after(() => running.close());
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close()));
    for (const name of running.app.channels.list()) running.app.channels.delete(name);
  });

  async function page(): Promise<Page> {
    const p = await Page.open(running.port);
    pages.push(p);
    return p;
  }

  function call(
    method: string,
    path: string,
    body?: string,
    token: string | null = TOKEN,
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${base}${path}`, { method, headers, body });
  }

  /** Checks an error answer; returns its message. */
  async function assertError(res: Response, status: number, code: string): Promise<string> {
    assert.equal(res.status, status, `${res.status} ${await res.clone().text()}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, code);
    assert.equal(typeof body.message, 'string');
    assert.ok(body.message.length > 0);
    return body.message;
  }

  describe('authorization', () => {
    const routes: Array<[string, string, string?]> = [
      ['GET', '/api/channels'],
      ['POST', '/api/channels', '{"name":"news"}'],
      ['DELETE', '/api/channels/news'],
      ['POST', '/api/channels/news/messages', '{"x":1}'],
      ['GET', '/api/elsewhere'],
    ];

    for (const [method, path, body] of routes) {
      it(`${method} ${path} without a token is 401`, async () => {
        const res = await call(method, path, body, null);
        assert.equal(res.headers.get('www-authenticate')?.startsWith('Bearer'), true);
        assert.match(await assertError(res, 401, 'unauthorized'), /^no token/);
      });
    }

    it('refuses a wrong token, another scheme, and an empty bearer', async () => {
      running.app.channels.create('news');
      // A wrong token is told apart from a missing one, with RFC 6750's error name.
      for (const wrong of ['nope', `${TOKEN}x`]) {
        const res = await call('DELETE', '/api/channels/news', undefined, wrong);
        assert.equal(
          res.headers.get('www-authenticate'),
          'Bearer realm="carom channels", error="invalid_token"',
        );
        assert.match(await assertError(res, 401, 'invalid_token'), /^wrong token/);
      }
      const basic = await fetch(`${base}/api/channels/news`, {
        method: 'DELETE',
        headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
      });
      await assertError(basic, 401, 'unauthorized');
      const empty = await fetch(`${base}/api/channels/news`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer ' },
      });
      await assertError(empty, 401, 'unauthorized');
      assert.deepEqual(running.app.channels.list(), ['news'], 'nothing was deleted');
    });

    it('accepts the scheme in any case', async () => {
      const res = await fetch(`${base}/api/channels`, {
        headers: { authorization: `bearer ${TOKEN}` },
      });
      assert.equal(res.status, 200);
    });

    it('takes the token from CHANNELS_TOKEN when none is given', async () => {
      const saved = process.env.CHANNELS_TOKEN;
      process.env.CHANNELS_TOKEN = 'from-the-env';
      const printed: string[] = [];
      const other = await start(0, '127.0.0.1', { print: (line) => printed.push(line) });
      try {
        assert.equal(other.token, 'from-the-env');
        assert.ok(
          !printed.join('\n').includes('from-the-env'),
          'a token from the env is not printed',
        );
        const res = await fetch(`http://127.0.0.1:${other.port}/api/channels`, {
          headers: { authorization: 'Bearer from-the-env' },
        });
        assert.equal(res.status, 200);
      } finally {
        if (saved === undefined) delete process.env.CHANNELS_TOKEN;
        else process.env.CHANNELS_TOKEN = saved;
        await other.close();
      }
    });

    it('generates and prints a token when there is none', async () => {
      const saved = process.env.CHANNELS_TOKEN;
      delete process.env.CHANNELS_TOKEN;
      const printed: string[] = [];
      const other = await start(0, '127.0.0.1', { print: (line) => printed.push(line) });
      try {
        assert.ok(other.token.length >= 16);
        assert.ok(printed.some((line) => line.includes(other.token)));
      } finally {
        if (saved !== undefined) process.env.CHANNELS_TOKEN = saved;
        await other.close();
      }
    });
  });

  describe('POST /api/channels', () => {
    it('creates a channel: 201, its name and where it is', async () => {
      const res = await call('POST', '/api/channels', '{"name":"news"}');
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('location'), '/api/channels/news');
      assert.deepEqual(await res.json(), { name: 'news' });
      assert.deepEqual(running.app.channels.list(), ['news']);
      const list = await call('GET', '/api/channels');
      assert.equal(list.status, 200);
      assert.deepEqual(await list.json(), { channels: ['news'] });
    });

    it('announces the new channel to every page, and channels.list shows it', async () => {
      const a = await page();
      const b = await page();
      assert.equal((await call('POST', '/api/channels', '{"name":"sport.results"}')).status, 201);
      for (const p of [a, b]) {
        const created = await p.waitFor((m) => m.event === 'carom.channel.created', 'created');
        assert.deepEqual(created.data, { name: 'sport.results' });
      }
      const late = await page();
      const reply = await late.request('channels.list', {});
      assert.deepEqual(reply.data.channels, ['sport.results']);
    });

    it('answers 409 for a name that exists', async () => {
      running.app.channels.create('news');
      await assertError(await call('POST', '/api/channels', '{"name":"news"}'), 409, 'exists');
      assert.deepEqual(running.app.channels.list(), ['news']);
    });

    it('answers 400 for bad JSON and an empty body', async () => {
      await assertError(await call('POST', '/api/channels', '{"name":'), 400, 'bad_json');
      await assertError(await call('POST', '/api/channels', ''), 400, 'bad_json');
      assert.deepEqual(running.app.channels.list(), []);
    });

    it('answers 400 for a missing or bad name', async () => {
      const bodies = [
        '{}',
        'null',
        '[]',
        '"news"',
        '{"name":42}',
        '{"name":""}',
        '{"name":"two words"}',
        '{"name":"-news"}',
        '{"name":"news.*"}',
        '{"name":"*"}',
        `{"name":"${'x'.repeat(65)}"}`,
        '{"name":"carom.channel.created"}',
        '{"name":"subscribe"}',
        '{"name":"error"}',
      ];
      for (const body of bodies) {
        await assertError(await call('POST', '/api/channels', body), 400, 'bad_name');
      }
      assert.deepEqual(running.app.channels.list(), []);
    });

    it('accepts the longest name allowed', async () => {
      const name = `a${'b'.repeat(63)}`;
      const res = await call('POST', '/api/channels', JSON.stringify({ name }));
      assert.equal(res.status, 201);
    });

    it('answers 413 for a body over the limit', async () => {
      const huge = JSON.stringify({ name: 'x', pad: 'y'.repeat(MAX_BODY) });
      await assertError(await call('POST', '/api/channels', huge), 413, 'too_large');
      assert.deepEqual(running.app.channels.list(), []);
    });
  });

  describe('DELETE /api/channels/NAME', () => {
    it('deletes: 204, and every page hears of it', async () => {
      running.app.channels.create('news');
      const p = await page();
      const res = await call('DELETE', '/api/channels/news');
      assert.equal(res.status, 204);
      assert.equal(await res.text(), '');
      const deleted = await p.waitFor((m) => m.event === 'carom.channel.deleted', 'deleted');
      assert.deepEqual(deleted.data, { name: 'news' });
      assert.deepEqual(running.app.channels.list(), []);
    });

    it('answers 404 for an unknown channel, and for one deleted already', async () => {
      await assertError(await call('DELETE', '/api/channels/nope'), 404, 'not_found');
      running.app.channels.create('news');
      assert.equal((await call('DELETE', '/api/channels/news')).status, 204);
      await assertError(await call('DELETE', '/api/channels/news'), 404, 'not_found');
    });

    it('decodes the name in the path', async () => {
      running.app.channels.create('a.b-c_d');
      assert.equal(
        (await call('DELETE', `/api/channels/${encodeURIComponent('a.b-c_d')}`)).status,
        204,
      );
    });
  });

  describe('POST /api/channels/NAME/messages', () => {
    it('publishes the body to subscribed pages only and says how many received it', async () => {
      running.app.channels.create('news');
      running.app.channels.create('weather');
      const reader = await page();
      const second = await page();
      const other = await page();
      assert.equal((await reader.request('subscribe', { events: ['news'] })).event, 'ack');
      assert.equal((await second.request('subscribe', { events: ['news'] })).event, 'ack');
      assert.equal((await other.request('subscribe', { events: ['weather'] })).event, 'ack');

      const data = { headline: 'carom ships', tags: ['ws', 'ts'], n: 1.5, none: null };
      const res = await call('POST', '/api/channels/news/messages', JSON.stringify(data));
      assert.equal(res.status, 202);
      assert.deepEqual(await res.json(), { channel: 'news', received: 2 });

      for (const p of [reader, second]) {
        const message = await p.waitFor((m) => m.event === 'news', 'the pushed message');
        assert.deepEqual(message.data, data);
      }
      // A later message on a channel it does subscribe to proves `other` saw nothing of news.
      assert.equal((await call('POST', '/api/channels/weather/messages', '"rain"')).status, 202);
      await other.waitFor((m) => m.event === 'weather', 'weather');
      assert.deepEqual(
        other.messages.filter((m) => m.event === 'news'),
        [],
      );
    });

    it('takes any JSON value as the data', async () => {
      running.app.channels.create('news');
      const reader = await page();
      await reader.request('subscribe', { events: ['news'] });
      for (const body of ['[1,2]', '"text"', '7', 'null', 'false']) {
        const res = await call('POST', '/api/channels/news/messages', body);
        assert.equal(res.status, 202, body);
      }
      const seen = async (n: number) =>
        reader.waitFor(
          () => reader.messages.filter((m) => m.event === 'news').length >= n,
          `${n} news`,
        );
      await seen(5);
      assert.deepEqual(
        reader.messages.filter((m) => m.event === 'news').map((m) => m.data),
        [[1, 2], 'text', 7, null, false],
      );
    });

    it('answers 202 with 0 when nobody subscribes', async () => {
      running.app.channels.create('news');
      const res = await call('POST', '/api/channels/news/messages', '{"x":1}');
      assert.equal(res.status, 202);
      assert.deepEqual(await res.json(), { channel: 'news', received: 0 });
    });

    it('answers 404 for an unknown channel', async () => {
      await assertError(
        await call('POST', '/api/channels/nope/messages', '{"x":1}'),
        404,
        'not_found',
      );
    });

    it('answers 400 for bad JSON or an empty body', async () => {
      running.app.channels.create('news');
      const reader = await page();
      await reader.request('subscribe', { events: ['news'] });
      await assertError(
        await call('POST', '/api/channels/news/messages', '{oops'),
        400,
        'bad_json',
      );
      await assertError(await call('POST', '/api/channels/news/messages', ''), 400, 'bad_json');
      await assertError(
        await call('POST', '/api/channels/news/messages', "{'a':1}"),
        400,
        'bad_json',
      );
      // Nothing was published: the next good message is the first one the reader sees.
      assert.equal((await call('POST', '/api/channels/news/messages', '{"ok":true}')).status, 202);
      const first = await reader.waitFor((m) => m.event === 'news', 'news');
      assert.deepEqual(first.data, { ok: true });
      assert.equal(reader.messages.filter((m) => m.event === 'news').length, 1);
    });
  });

  describe('other requests', () => {
    it('answers 405 with Allow for a method a path does not take', async () => {
      const cases: Array<[string, string, string]> = [
        ['PUT', '/api/channels', 'GET, POST'],
        ['GET', '/api/channels/news', 'DELETE'],
        ['GET', '/api/channels/news/messages', 'POST'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await call(method, path);
        assert.equal(res.headers.get('allow'), allow);
        await assertError(res, 405, 'method_not_allowed');
      }
    });

    it('answers 404 for an unknown API path', async () => {
      await assertError(await call('GET', '/api/nothing'), 404, 'not_found');
      await assertError(await call('GET', '/api/channels/a/b/c'), 404, 'not_found');
    });

    it('serves the page, the client module, and 404 for other files', async () => {
      const pageRes = await fetch(`${base}/`);
      assert.equal(pageRes.status, 200);
      assert.match(pageRes.headers.get('content-type') ?? '', /^text\/html/);
      const html = await pageRes.text();
      assert.match(html, /carom · channels/);
      assert.match(html, /from '\/carom\/client\.js'/);
      const client = await fetch(`${base}/carom/client.js`);
      assert.equal(client.status, 200);
      assert.match(client.headers.get('content-type') ?? '', /javascript/);
      assert.match(await client.text(), /export\s*\{[^}]*\bconnect\b/);
      assert.equal((await fetch(`${base}/nope.html`)).status, 404);
      assert.equal((await fetch(`${base}/../package.json`)).status, 404);
      assert.equal((await fetch(`${base}/%2e%2e%2fpackage.json`)).status, 404);
    });
  });
});
